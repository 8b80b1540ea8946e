package treasury

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/treasury/policy"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func pol(kind string, mod func(*policy.Policy)) policy.Policy {
	p := policy.Policy{Kind: kind, Asset: "BTC", Min: tomlval.MustDec("0.5"), Target: tomlval.MustDec("1"), Max: tomlval.MustDec("2"),
		MinSweep: tomlval.MustDec("0.01")}
	if mod != nil {
		mod(&p)
	}
	return p
}

func TestDecide(t *testing.T) {
	four := 4
	for _, tc := range []struct {
		name          string
		p             policy.Policy
		avail         string
		action        string
		amount, net   string
		reasonContain string
	}{
		{"within range", pol(policy.KindSweep, nil), "1.5", ActionNone, "0", "0", "within"},
		{"at max", pol(policy.KindSweep, nil), "2", ActionNone, "0", "0", "within"},
		{"above max", pol(policy.KindSweep, nil), "5", ActionSend, "4", "4", "above max"},
		{"fee from the amount", pol(policy.KindSweep, func(p *policy.Policy) { p.Fee = tomlval.MustDec("0.0002") }), "5", ActionSend, "4", "3.9998", ""},
		{"fee on top", pol(policy.KindSweep, func(p *policy.Policy) { p.Fee, p.FeeOnTop = tomlval.MustDec("0.0002"), true }), "5", ActionSend, "3.9998", "3.9998", ""},
		{"rounded down", pol(policy.KindSweep, func(p *policy.Policy) { p.Precision = &four }), "5.123456789", ActionSend, "4.1234", "4.1234", ""},
		{"net below min_sweep", pol(policy.KindSweep, func(p *policy.Policy) { p.Fee = tomlval.MustDec("0.0005"); p.Max = tomlval.MustDec("1") }), "1.01", ActionNone, "0", "0", "below min_sweep"},
		{"fee too high", pol(policy.KindSweep, func(p *policy.Policy) {
			p.Fee, p.MaxFeeRatio, p.MinSweep = tomlval.MustDec("0.05"), tomlval.MustDec("0.01"), tomlval.Decimal{}
		}), "3", ActionNone, "0", "0", "fee"},
		{"convert", pol(policy.KindConvert, nil), "5", ActionConvert, "4", "4", ""},
		{"settlement", pol(policy.KindSettlement, nil), "5", ActionSend, "4", "4", ""},
		{"below min alerts", pol(policy.KindSweep, nil), "0.2", ActionAlert, "0.8", "0", "below min"},
		{"below min pulls", pol(policy.KindSweep, func(p *policy.Policy) { p.BelowMin = policy.BelowMinPull }), "0.2", ActionPull, "0.8", "0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decide(tc.p, dec(tc.avail))
			if got.action != tc.action || !got.amount.Equal(dec(tc.amount)) || !got.net.Equal(dec(tc.net)) {
				t.Errorf("decide(%s) = %s %s (net %s), want %s %s (net %s)", tc.avail, got.action, got.amount, got.net, tc.action, tc.amount, tc.net)
			}
			if tc.reasonContain != "" && !strings.Contains(got.reason, tc.reasonContain) {
				t.Errorf("reason %q lacks %q", got.reason, tc.reasonContain)
			}
		})
	}
}

// BenchmarkDecide measures the decision of one policy run, the part of a
// sweep that does not wait on the venue.
func BenchmarkDecide(b *testing.B) {
	p := pol(policy.KindSweep, func(p *policy.Policy) { p.Fee, p.MaxFeeRatio = tomlval.MustDec("0.0002"), tomlval.MustDec("0.01") })
	avail := dec("5.123456789")
	b.ReportAllocs()
	for b.Loop() {
		if d := decide(p, avail); d.action != ActionSend {
			b.Fatal(d.action)
		}
	}
}

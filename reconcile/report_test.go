package reconcile

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"", time.Time{}, ""},
		{"72h", now.Add(-72 * time.Hour), ""},
		{" 90m ", now.Add(-90 * time.Minute), ""},
		{"7d", now.Add(-7 * 24 * time.Hour), ""},
		{"2025-03-04", time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC), ""},
		{"2025-03-04T10:00:00Z", time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), ""},
		{"2025-03-04T10:00:00+01:00", time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC), ""},
		{"0d", time.Time{}, "number of days"},
		{"400d", time.Time{}, "number of days"},
		{"-5h", time.Time{}, "must be positive"},
		{"10000h", time.Time{}, "at most"},
		{"2025-03-11", time.Time{}, "not in the past"},
		{"2023-01-01", time.Time{}, "more than 366 days"},
		{"yesterday", time.Time{}, "want an RFC 3339 time"},
	} {
		got, err := ParseSince(c.in, now)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseSince(%q) = %v, %v; want an error containing %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func FuzzParseSince(f *testing.F) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "72h", "7d", "2025-03-04", "2025-03-04T10:00:00Z", "1e9h", "9999999999d", "T:d", "-0s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSince(s, now)
		if err != nil || got.IsZero() {
			return
		}
		if !got.Before(now) || now.Sub(got) > maxSince {
			t.Fatalf("ParseSince(%q) = %v, outside (now-%s, now)", s, got, maxSince)
		}
	})
}

func sampleReport() Report {
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	return Report{
		ID: 3, Started: at, Finished: at.Add(2 * time.Second), Since: at.Add(-time.Hour), Until: at, Grace: "10m0s",
		Breaks: 1, Pending: 1, Imported: 1, BalanceSequence: 42,
		Counts: []Count{{CheckTrades, Matched, 10}, {CheckTrades, MissingInLedger, 1}, {CheckTransactions, outcomePending, 1}},
		Findings: []Finding{
			{Check: CheckTrades, Outcome: MissingInLedger, Break: true, Ref: "t-1", ClientID: "c-1", Venue: "buy 1 BTC/USDT at 60000",
				Detail: "trade made outside the engine", At: at.Add(-30 * time.Minute), FirstSeen: at, Imported: "hercle:trade:t-1"},
			{Check: CheckTransactions, Outcome: MissingInLedger, Pending: true, Ref: "tx-1", Asset: "ETH", Venue: "2.5",
				Detail: "deposit\twith a tab\nand a newline", At: at.Add(-time.Minute), FirstSeen: at},
		},
		Skipped: []string{"heropayments: no client configured"},
	}
}

func TestReportJSONRoundTripAndText(t *testing.T) {
	rep := sampleReport()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeReport(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, back, cmpopts.IgnoreUnexported(Finding{})); diff != "" {
		t.Fatalf("round trip changed the report:\n%s", diff)
	}
	if back.Count(CheckTrades, Matched) != 10 || len(back.Find(CheckTrades, MissingInLedger)) != 1 || back.Clean() {
		t.Fatalf("queries on the decoded report: %+v", back)
	}
	var sb strings.Builder
	if err := rep.WriteText(&sb); err != nil {
		t.Fatal(err)
	}
	out := sb.String()
	for _, want := range []string{"1 BREAK(S)", "report 3", "balance sequence 42", "Skipped: heropayments",
		"BREAK", "pending", "[imported as hercle:trade:t-1]", "deposit with a tab and a newline"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\t") {
		t.Errorf("text report has raw tabs:\n%s", out)
	}
}

func TestDecodeReportRefuses(t *testing.T) {
	for name, b := range map[string]string{
		"not json":        `{"started":`,
		"no times":        `{}`,
		"finish < start":  `{"started":"2025-03-04T10:00:00Z","finished":"2025-03-04T09:00:00Z"}`,
		"negative breaks": `{"started":"2025-03-04T10:00:00Z","finished":"2025-03-04T10:00:00Z","breaks":-1}`,
		"trailing data":   `{"started":"2025-03-04T10:00:00Z","finished":"2025-03-04T10:00:00Z"} {}`,
		"a stray brace":   `{"started":"2025-03-04T10:00:00Z","finished":"2025-03-04T10:00:00Z"}}`,
		"a stray bracket": `{"started":"2025-03-04T10:00:00Z","finished":"2025-03-04T10:00:00Z"}]`,
	} {
		if _, err := DecodeReport([]byte(b)); !errors.Is(err, ErrBadReport) {
			t.Errorf("DecodeReport(%s) = %v, want ErrBadReport", name, err)
		}
	}
}

func FuzzDecodeReport(f *testing.F) {
	b, err := json.Marshal(sampleReport())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(`{"started":"2025-03-04T10:00:00Z","finished":"2025-03-04T10:00:00Z","findings":[{"check":"x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := DecodeReport(b)
		if err != nil {
			return
		}
		if rep.Started.IsZero() || rep.Finished.Before(rep.Started) || rep.Breaks < 0 {
			t.Fatalf("DecodeReport accepted an invalid report: %+v", rep)
		}
		var sb strings.Builder
		if err := rep.WriteText(&sb); err != nil {
			t.Fatal(err)
		}
		again, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeReport(again); err != nil {
			t.Fatalf("re-decode of an accepted report: %v", err)
		}
	})
}

func TestFromConfig(t *testing.T) {
	c, err := FromConfig(Settings{PauseAbove: -1, Tolerances: map[string]tomlval.Decimal{"BTC": tomlval.MustDec("0.0001")}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Schedule != DefaultSchedule || c.Grace != DefaultGrace || c.Lookback != DefaultLookback ||
		c.PauseAbove != -1 || !c.tolerance(market.Asset("BTC")).Equal(decimal.RequireFromString("0.0001")) || !c.tolerance("ETH").IsZero() {
		t.Fatalf("FromConfig = %+v", c)
	}
	if _, err := FromConfig(Settings{Schedule: "not a spec"}); err == nil {
		t.Fatal("FromConfig accepted a bad schedule")
	}
	if _, err := New(Config{PauseAbove: -2}, Deps{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("New with a bad threshold = %v", err)
	}
}

func TestAddPendingAndFirstSeen(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	r := newRun(Config{Grace: 10 * time.Minute}, now, now.Add(-time.Hour))
	old := Finding{Check: CheckWithdrawals, Outcome: StatusMismatch, Ref: "w-1"}
	r.prev[old.key()] = now.Add(-11 * time.Minute)
	for _, c := range []struct {
		f       Finding
		at      time.Time
		pending bool
	}{
		{Finding{Check: CheckTrades, Outcome: MissingInLedger, Ref: "t-old"}, now.Add(-10 * time.Minute), false},
		{Finding{Check: CheckTrades, Outcome: MissingInLedger, Ref: "t-new"}, now.Add(-9 * time.Minute), true},
		{Finding{Check: CheckWithdrawals, Outcome: StatusMismatch, Ref: "w-2"}, time.Time{}, true}, // first sighting
		{old, time.Time{}, false}, // seen 11 minutes ago
	} {
		f := r.add(c.f, c.at)
		if f.Pending != c.pending {
			t.Errorf("%s at %v: pending = %v, want %v", c.f.Ref, c.at, f.Pending, c.pending)
		}
	}
	rep := r.report(now, now)
	if rep.Breaks != 2 || rep.Pending != 2 {
		t.Fatalf("breaks %d pending %d, want 2 and 2", rep.Breaks, rep.Pending)
	}
	if got := rep.Find(CheckWithdrawals, StatusMismatch); len(got) != 2 || !got[0].FirstSeen.Equal(now.Add(-11*time.Minute)) {
		t.Fatalf("first seen not carried over: %+v", got)
	}
}

package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/lightningnetwork/lnd/zpay32"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
)

// TestParseBolt11Amount reads the amount of the simulator's own signed
// invoices on every network, and of hand-written prefixes.
func TestParseBolt11Amount(t *testing.T) {
	at := time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, network := range []string{"mainnet", "testnet", "signet", "regtest"} {
		l, err := newLNURLService(Options{Seed: 7, Clock: clock.NewManual(at).Clock(), LightningNetwork: network})
		if err != nil {
			t.Fatal(err)
		}
		for _, msat := range []int64{1, 10, 1000, 123_456_789, 250_000_000, 100_000_000_000, 2_100_000_000_000_000} {
			pr, err := l.invoice(msat, `[["text/plain","x"]]`)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseBolt11Amount(pr)
			if want := decimal.New(msat, -11); err != nil || !got.Equal(want) {
				t.Errorf("%s: parseBolt11Amount(%s) = %s, %v, want %s", network, pr, got, err, want)
			}
		}
	}
	for _, tc := range []struct {
		pr   string
		want string // empty: refused
	}{
		{"lnbc2500u1pvjluez", "0.0025"},
		{"LNBC20M1PVJLUEZ", "0.02"},
		{"lntbs10n1pvjluez", "0.00000001"},
		{"lnbcrt3p1pvjluez", ""}, // not a whole millisatoshi
		{"lnbc30p1pvjluez", "0.00000000003"},
		{"lnbc1pvjluez", ""},    // no amount
		{"lnbc01u1pvjluez", ""}, // leading zero
		{"lnxy1u1pvjluez", ""},
		{"bc1qcold", ""},
	} {
		got, err := parseBolt11Amount(tc.pr)
		if tc.want == "" {
			if err == nil {
				t.Errorf("parseBolt11Amount(%s) = %s, want a refusal", tc.pr, got)
			}
		} else if err != nil || !got.Equal(decimal.RequireFromString(tc.want)) {
			t.Errorf("parseBolt11Amount(%s) = %s, %v, want %s", tc.pr, got, err, tc.want)
		}
	}
}

// FuzzLNURLCallback sends arbitrary names and amounts to the LNURL-pay
// endpoints: the answer is JSON and never a 5xx; an invoice, when there is
// one, is signed and asks for exactly the amount requested.
func FuzzLNURLCallback(f *testing.F) {
	for _, s := range [][2]string{{"alice", "1000"}, {"bob.x+tag", "100000000000"}, {"alice", "999"},
		{"Alice", "1000"}, {"", "1000"}, {"alice", "-1"}, {"alice", "1e3"}, {"alice", "9223372036854775807"}} {
		f.Add(s[0], s[1])
	}
	at := time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC)
	l, err := newLNURLService(Options{Seed: 1, Clock: clock.NewManual(at).Clock()})
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	l.mount(mux)
	f.Fuzz(func(t *testing.T, name, amount string) {
		for _, target := range []string{
			LNURLPayPath + url.PathEscape(name),
			lnurlCallbackPath + url.PathEscape(name) + "/callback?amount=" + url.QueryEscape(amount),
		} {
			req, err := http.NewRequest(http.MethodGet, "http://sim"+target, nil)
			if err != nil {
				return
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("GET %s: status %d %s", target, rec.Code, rec.Body)
			}
			if rec.Code != http.StatusOK {
				continue // the mux's own 404 or 301 for paths it cleans
			}
			var ans struct {
				Status string `json:"status"`
				PR     string `json:"pr"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
				t.Fatalf("GET %s: body is not JSON: %q", target, rec.Body)
			}
			if ans.PR == "" {
				continue
			}
			inv, err := zpay32.Decode(ans.PR, l.net)
			msat, _ := strconv.ParseInt(amount, 10, 64)
			if err != nil || inv.MilliSat == nil || int64(*inv.MilliSat) != msat {
				t.Fatalf("GET %s: invoice %s (%v) is not for %d msat", target, ans.PR, err, msat)
			}
		}
	})
}

package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestNumber(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0", "0"},
		{"0.05", "0.05"},
		{"999", "999"},
		{"1000", "1,000"},
		{"60100", "60,100"},
		{"1234567.891", "1,234,567.891"},
		{"-1234.5", "-1,234.5"},
		{"-100", "-100"},
		{"100000", "100,000"},
	} {
		if got := Number(dec(tc.in)); got != tc.want {
			t.Errorf("Number(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEventConstructors(t *testing.T) {
	at := time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		got  Event
		want Event
	}{
		{"fill", FillEvent(Fill{Side: "buy", Amount: dec("0.05"), Base: "BTC", Price: dec("60100"), Quote: "EUR",
			Strategy: "rebalance core", Path: "OTC", ClientID: "c-42", Time: at}),
			Event{Class: ClassFills, Key: "fill:c-42", Title: "BUY 0.05 BTC @ 60,100 EUR (rebalance core, OTC)",
				Fields: []Field{{"notional", "3,005 EUR"}, {"client_id", "c-42"}}, Time: at}},
		{"fill without strategy or id", FillEvent(Fill{Side: "sell", Amount: dec("2"), Base: "ETH", Price: dec("3000.5"), Quote: "USDT"}),
			Event{Class: ClassFills, Title: "SELL 2 ETH @ 3,000.5 USDT", Fields: []Field{{"notional", "6,001 USDT"}}}},
		{"sweep sent", SweepEvent(Sweep{Status: SweepSent, Policy: "btc-cold", Amount: dec("0.5"), Asset: "BTC",
			Destination: "cold-wallet", Method: "crypto", ClientID: "w-1"}),
			Event{Class: ClassSweeps, Key: "sweep:w-1:sent", Title: "Sweep sent: 0.5 BTC to cold-wallet (crypto)",
				Fields: []Field{{"policy", "btc-cold"}, {"client_id", "w-1"}}}},
		{"sweep failed", SweepEvent(Sweep{Status: SweepFailed, Amount: dec("12000"), Asset: "EUR", Destination: "bank-main",
			Method: "bank", ClientID: "w-2", Reason: "payee not approved"}),
			Event{Class: ClassSweeps, Key: "sweep:w-2:failed", Title: "Sweep failed: 12,000 EUR to bank-main (bank)",
				Text: "payee not approved", Severity: SeverityWarning, Fields: []Field{{"client_id", "w-2"}}}},
		{"breaks", BreakEvent(Break{Run: "17", Breaks: 3, Pending: 1, Paused: true,
			Counts:   []Count{{"trades missing_at_venue", 2}, {"balances amount_mismatch", 1}},
			Examples: []string{"a", "b", "c", "d", "e"}}),
			Event{Class: ClassBreaks, Key: "break:17", Title: "Reconciliation: 3 breaks (trading paused)", Severity: SeverityCritical,
				Fields: []Field{{"trades missing_at_venue", "2"}, {"balances amount_mismatch", "1"}, {"pending", "1"},
					{"e.g.", "a"}, {"e.g.", "b"}, {"e.g.", "c"}, {"more", "2"}, {"run", "17"}}}},
		{"one break", BreakEvent(Break{Breaks: 1}),
			Event{Class: ClassBreaks, Title: "Reconciliation: 1 break", Severity: SeverityWarning}},
		{"kill switch on", KillEvent(Kill{Kind: KillSwitch, On: true, Reason: "feed dead", By: "ops", Time: at}),
			Event{Class: ClassKills, Key: "kill:kill_switch:on:1714555800000000000", Title: "Kill switch ON: feed dead",
				Severity: SeverityCritical, Fields: []Field{{"by", "ops"}}, Time: at}},
		{"breaker tripped", KillEvent(Kill{Kind: Breaker, On: true, Reason: "6 rejects in 10m", Until: at.Add(30 * time.Minute)}),
			Event{Class: ClassKills, Title: "Circuit breaker tripped: 6 rejects in 10m", Severity: SeverityCritical,
				Fields: []Field{{"until", "2024-05-01T10:00:00Z"}}}},
		{"resumed", KillEvent(Kill{Kind: Pause, Time: at}),
			Event{Class: ClassKills, Key: "kill:pause:off:1714555800000000000", Title: "Trading resumed", Time: at}},
		{"daily", DailyEvent(Daily{Day: "2024-05-01",
			Balances: []Balance{{"BTC", dec("1.2345")}, {"EUR", dec("125000.5")}},
			Figures:  []Field{{"realised PnL", "1,234.56 EUR"}, {"fills", "42"}}}),
			Event{Class: ClassDaily, Key: "daily:2024-05-01", Title: "Daily summary 2024-05-01",
				Fields: []Field{{"BTC", "1.2345"}, {"EUR", "125,000.5"}, {"realised PnL", "1,234.56 EUR"}, {"fills", "42"}}}},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestRendering(t *testing.T) {
	ev := Event{Class: ClassAlerts, Severity: SeverityWarning, Title: "Feed <stale> & slow", Text: "BTCEUR for 30s",
		Fields: []Field{{"since", "10:00"}}}
	if got, want := slackText(ev), "⚠️ *Feed &lt;stale&gt; &amp; slow*\nBTCEUR for 30s\nsince: 10:00"; got != want {
		t.Errorf("slackText = %q, want %q", got, want)
	}
	if got, want := telegramText(ev), "⚠️ Feed <stale> & slow\nBTCEUR for 30s\nsince: 10:00"; got != want {
		t.Errorf("telegramText = %q, want %q", got, want)
	}
	long := Event{Title: strings.Repeat("é", 5000)}
	if got := []rune(telegramText(long)); len(got) != maxText || got[len(got)-1] != '…' {
		t.Errorf("a 5000-rune title renders as %d runes, want %d ending in …", len(got), maxText)
	}
}

func FuzzTelegramRetryAfter(f *testing.F) {
	f.Add([]byte(`{"ok":false,"error_code":429,"parameters":{"retry_after":5}}`))
	f.Add([]byte(`{"parameters":{"retry_after":99999999999}}`))
	f.Add([]byte(`{"parameters":{"retry_after":-1}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, ok := telegramRetryAfter(body)
		if ok != (d > 0) || d > 5*time.Minute {
			t.Errorf("telegramRetryAfter(%q) = %v, %v", body, d, ok)
		}
	})
}

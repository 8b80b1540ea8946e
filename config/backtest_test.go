package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/otcdesk/engine/backtest"
)

const backtestBase = `mode = "paper"
[backtest]
reference = "EUR"
balances = { EUR = "1000", BTC = "0.1" }
[[backtest.pair]]
symbol = "BTCEUR"
base = "BTC"
quote = "EUR"
min_size = "0.0001"
max_size = "20"
[backtest.venue]
latency = "250ms"
fee_bps = "2.5"
`

func TestBacktestSection(t *testing.T) {
	cfg, err := Parse("bt.toml", []byte(backtestBase))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Backtest.Validate(); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	b := cfg.Backtest
	if b.Reference != "EUR" || b.Balances["BTC"].String() != "0.1" || len(b.Pairs) != 1 ||
		b.Pairs[0].MaxSize.String() != "20" || b.Venue.Latency.String() != "250ms" || b.Venue.FeeBps.String() != "2.5" {
		t.Fatalf("backtest = %+v", b)
	}
}

func TestBacktestValidate(t *testing.T) {
	tests := []struct {
		name, from, to string
		want           []string
	}{
		{"no pairs", "[[backtest.pair]]\nsymbol = \"BTCEUR\"\nbase = \"BTC\"\nquote = \"EUR\"\nmin_size = \"0.0001\"\nmax_size = \"20\"\n", "",
			[]string{"backtest.pair: required", "BTC cannot be valued in EUR"}},
		{"lower-case reference", `reference = "EUR"`, `reference = "eur"`, []string{"backtest.reference"}},
		{"float balance", `EUR = "1000"`, `EUR = 1000.5`, []string{"backtest.balances.EUR"}},
		{"negative balance", `EUR = "1000"`, `EUR = "-1"`, []string{"backtest.balances.EUR: must not be negative"}},
		{"min above max", `max_size = "20"`, `max_size = "0.00001"`, []string{"backtest.pair[0].min_size"}},
		{"bad latency", `latency = "250ms"`, `latency = "soon"`, []string{"backtest.venue.latency"}},
		{"fee of 100%", `fee_bps = "2.5"`, `fee_bps = "10000"`, []string{"backtest.venue.fee_bps: must be below 10000"}},
		{"same base and quote", `quote = "EUR"`, `quote = "BTC"`, []string{"backtest.pair[0]: base and quote are both BTC", "cannot be valued in EUR"}},
		{"unpriced balance", `BTC = "0.1"`, `BTC = "0.1", DOGE = "5"`, []string{"DOGE cannot be valued in EUR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(backtestBase, tt.from, tt.to, 1)
			cfg, err := Parse("bt.toml", []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Backtest.Validate()
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v, want *Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want it to mention %q", err, w)
				}
			}
		})
	}
	if err := (backtest.Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "backtest.balances: required") {
		t.Fatalf("zero section: Validate = %v, want balances and pairs required", err)
	}
}

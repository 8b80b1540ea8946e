package strategy

import (
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

// BenchmarkRebalanceCheck is one weights check of a EUR/BTC/ETH portfolio
// at 50/25/25 with a 0.002 band and a 50 EUR min_trade, as the backtest's
// 5-second case runs it 60,000 times a run: within the band; drifted with
// every trade below min_trade or without a pair (the usual drifted check
// there, which only skips); drifted enough to trade. The euro balance has
// 18 places, as fills leave it, and BTC's price moves between checks.
func BenchmarkRebalanceCheck(b *testing.B) {
	priced := func() *State {
		return newState().
			pair("BTCEUR", "BTC", "EUR", "0.0001", "10").price("BTCEUR", "60010", "59990").
			pair("ETHEUR", "ETH", "EUR", "0.001", "100").price("ETHEUR", "3001", "2999")
	}
	cases := []struct {
		name           string
		state          func() *State
		intents, skips int
	}{
		{"in-band", func() *State {
			return priced().bal("EUR", "52000.123456789012345678", "52000.123456789012345678").bal("BTC", "0.4333", "0.4333").bal("ETH", "8.6666", "8.6666")
		}, 0, 0},
		{"skips", func() *State {
			return priced().bal("EUR", "51990.123456789012345678", "51990.123456789012345678").bal("BTC", "0.4375", "0.4375").bal("ETH", "8.5866", "8.5866")
		}, 0, 2},
		{"trades", func() *State {
			return priced().bal("EUR", "50000", "50000").bal("BTC", "0.5", "0.5").bal("ETH", "8", "8")
		}, 1, 1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := rebalanceParams(map[string]string{"EUR": "0.5", "BTC": "0.25", "ETH": "0.25"})
			p.Band, p.MinTrade, p.Every = dp("0.002"), dp("50"), tomlval.Dur(5*time.Second)
			r, err := NewRebalance("rebalance", p)
			if err != nil {
				b.Fatal(err)
			}
			s := c.state()
			s.IndexPairs() // as the loop's state is
			got := r.Handle(s, Timer{Due: s.Clock})
			if len(got.Intents) != c.intents || len(got.Skips) != c.skips {
				b.Fatalf("%d intents, %d skips (%v), want %d and %d", len(got.Intents), len(got.Skips), got.Skips, c.intents, c.skips)
			}
			// BTC's price moves between checks, as in a run.
			ticks := [2]market.Tick{s.Ticks["BTCEUR"], s.Ticks["BTCEUR"]}
			ticks[1].BuyPrice, ticks[1].SellPrice = d("60010.5"), d("59990.5")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				s.Ticks["BTCEUR"] = ticks[i%2]
				r.Handle(s, Timer{Due: s.Clock})
			}
		})
	}
}

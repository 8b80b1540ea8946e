package daemon

import (
	"maps"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// A fresh paper venue opens only with balances the fed pairs value in the
// reference: the shipped feed (BTCEUR, ETHEUR, BTCUSDT, USDTEUR) leaves the
// simulator's GBP and USD out, which nothing would price.
func TestValuedBalances(t *testing.T) {
	fed := []feeds.PairSettings{{Pair: "BTCEUR"}, {Pair: "ETHEUR"}, {Pair: "BTCUSDT"}, {Pair: "USDTEUR"}}
	kept, left := valuedBalances(sim.DefaultBalances(), nil, fed, "EUR")
	if got := slices.Sorted(maps.Keys(kept)); !slices.Equal(got, []market.Asset{"BTC", "ETH", "EUR", "USDT"}) || !slices.Equal(left, []string{"GBP", "USD"}) {
		t.Errorf("kept %v, left %v; want BTC, ETH, EUR, USDT kept, GBP and USD left", got, left)
	}
	if !kept["BTC"].Equal(sim.DefaultBalances()["BTC"]) {
		t.Errorf("BTC %s, want the simulator's %s", kept["BTC"], sim.DefaultBalances()["BTC"])
	}
	// A pair the venue does not list values nothing; one with the
	// reference as its base values its quote.
	listed := []sim.PairConfig{{Pair: market.Pair{Symbol: "EURUSD", Base: "EUR", Quote: "USD"}}}
	kept, left = valuedBalances(map[market.Asset]decimal.Decimal{"EUR": decimal.NewFromInt(1), "USD": decimal.NewFromInt(2), "GBP": decimal.NewFromInt(3)},
		listed, []feeds.PairSettings{{Pair: "EURUSD"}, {Pair: "GBPEUR"}}, "EUR")
	if len(kept) != 2 || !kept["USD"].Equal(decimal.NewFromInt(2)) || !slices.Equal(left, []string{"GBP"}) {
		t.Errorf("kept %v, left %v; want EUR and USD kept, GBP left", kept, left)
	}
}

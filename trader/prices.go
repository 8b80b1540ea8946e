package trader

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// PriceView is the strategy.View risk's quote check reads while an order
// executes off the loop's goroutine: the last ticks from a source safe for
// concurrent use (the feed's view), the pairs' specs, no balances. The
// portfolio methods are empty: the quote check does not use them.
type PriceView struct {
	Last   func(pair string) (market.Tick, bool)
	Specs  map[string]market.Pair
	At     time.Time
	MaxAge time.Duration
}

var _ strategy.View = PriceView{}

// Prices returns the view at now, for EngineOptions.Prices.
func Prices(last func(string) (market.Tick, bool), specs map[string]market.Pair, maxAge time.Duration) func(time.Time) strategy.View {
	return func(now time.Time) strategy.View { return PriceView{Last: last, Specs: specs, At: now, MaxAge: maxAge} }
}

func (v PriceView) Now() time.Time                         { return v.At }
func (v PriceView) Tick(pair string) (market.Tick, bool)   { return v.Last(pair) }
func (v PriceView) Pair(s string) (market.Pair, bool)      { p, ok := v.Specs[s]; return p, ok }
func (v PriceView) Pairs() []market.Pair                   { return nil }
func (v PriceView) Available(market.Asset) decimal.Decimal { return decimal.Zero }
func (v PriceView) Total(market.Asset) decimal.Decimal     { return decimal.Zero }
func (v PriceView) OpenIntents() []strategy.Intent         { return nil }

// Stale reports whether t is older than MaxAge at At.
func (v PriceView) Stale(t market.Tick) bool {
	age, ok := strategy.Age(t, v.At)
	return !ok || v.MaxAge <= 0 || age > v.MaxAge
}

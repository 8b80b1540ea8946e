package risk

import (
	"testing"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// The event loop runs intents concurrently: one approved and still in
// flight has not moved the totals yet. Its incoming amount must count
// against the position limit, or two buys that each fit take the position
// past it together.
func TestPositionCountsOpenIntents(t *testing.T) {
	f := newFixture(t, func(l *Limits, _ *Options) {
		l.Assets = map[string]AssetLimits{"BTC": {MaxPosition: dec("1.15")}}
	})
	s := baseState()
	// 1 BTC held, 0.1 BTC on its way in: 0.1 more would make 1.2.
	s.Open = []strategy.Intent{baseIntent()}
	s.Open[0].ID = "in-flight"
	_, err := f.e.Check(ctx, t0, s, baseIntent())
	f.expectReason(t, err, Position)

	// Sells: 50 000 EUR held, a sell of 0.01 BTC (600 EUR at mid) in
	// flight; 0.01 more makes 51 200 EUR, under 51 300; 0.02 more 51 800.
	f = newFixture(t, func(l *Limits, _ *Options) {
		l.Assets = map[string]AssetLimits{"EUR": {MaxPosition: dec("51300")}}
	})
	s = baseState()
	sell := baseIntent()
	sell.Side, sell.Size = market.Sell, d("0.01")
	s.Open = []strategy.Intent{sell}
	s.Open[0].ID = "in-flight"
	if _, err := f.e.Check(ctx, t0, s, sell); err != nil {
		t.Fatalf("600 + 600 EUR on 50 000 fits under 51 300: %v", err)
	}
	sell.Size = d("0.02")
	_, err = f.e.Check(ctx, t0, s, sell)
	f.expectReason(t, err, Position)
}

// An OTC buy by quote amount is sized from the amount at the quoted price,
// then fills at up to its slippage above that price: it may spend the
// amount plus its slippage, and the balance checks must hold that. (An RFQ
// by amount spends the amount exactly.)
func TestOTCBuyByAmountSpendsUpToItsSlippage(t *testing.T) {
	in := baseIntent()
	in.Size, in.Amount, in.Path = d("0"), d("9000"), strategy.OTC // slippage 0.5%: up to 9045 EUR
	f := newFixture(t, func(l *Limits, _ *Options) {
		l.Assets = map[string]AssetLimits{"EUR": {MinBalance: dec("40960")}}
	})
	_, err := f.e.Check(ctx, t0, baseState(), in)
	f.expectReason(t, err, MinBalance)

	in.Path = strategy.RFQ
	f = newFixture(t, func(l *Limits, _ *Options) {
		l.Assets = map[string]AssetLimits{"EUR": {MinBalance: dec("40960")}}
	})
	if _, err := f.e.Check(ctx, t0, baseState(), in); err != nil {
		t.Fatalf("an RFQ spending exactly 9000 of 50 000 EUR leaves 41 000: %v", err)
	}
}

package strategy

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// valuationPlaces is how many decimal places a division keeps when an
// amount is valued in another asset. Valuations are compared with limits;
// trade sizes are truncated separately to each strategy's precision.
const valuationPlaces = 18

// FindPair returns the listed pair joining a and b. inverted is false when a
// is the base (a pair "ab"), true when b is (a pair "ba"). A direct listing is
// preferred when both exist.
func FindPair(v View, a, b market.Asset) (p market.Pair, inverted, ok bool) {
	if f, is := v.(pairFinder); is {
		return f.findPair(a, b)
	}
	var alt market.Pair
	found := false
	for _, p := range v.Pairs() {
		if p.Base == a && p.Quote == b {
			return p, false, true
		}
		if p.Base == b && p.Quote == a && !found {
			alt, found = p, true
		}
	}
	return alt, true, found
}

// pairFinder is a View that finds a pair as FindPair does without listing
// and sorting every pair (State): strategies and risk look pairs up on
// every check, and Pairs allocates and sorts a new list each time.
type pairFinder interface {
	findPair(a, b market.Asset) (p market.Pair, inverted, ok bool)
}

// FreshMid returns the mid price of pair's last tick, or ErrNoPrice or
// ErrStalePrice.
func FreshMid(v View, pair string) (decimal.Decimal, error) {
	t, ok := v.Tick(pair)
	if !ok || !t.BuyPrice.IsPositive() || !t.SellPrice.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("%s: %w", pair, ErrNoPrice)
	}
	if v.Stale(t) {
		return decimal.Decimal{}, fmt.Errorf("%s: %w", pair, ErrStalePrice)
	}
	return t.Mid(), nil
}

// Convert values amount of from in to, at the mid of the pair joining them
// (either way round). It uses fresh prices only and never chains pairs:
// ErrNoPair, ErrNoPrice or ErrStalePrice otherwise.
func Convert(v View, amount decimal.Decimal, from, to market.Asset) (decimal.Decimal, error) {
	if from == to {
		return amount, nil
	}
	p, inverted, ok := FindPair(v, from, to)
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("value %s in %s: %w", from, to, ErrNoPair)
	}
	mid, err := FreshMid(v, p.Symbol)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("value %s in %s: %w", from, to, err)
	}
	if inverted {
		return amount.DivRound(mid, valuationPlaces), nil
	}
	return amount.Mul(mid), nil
}

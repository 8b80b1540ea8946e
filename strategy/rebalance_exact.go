package strategy

import (
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// valuation is a rebalance check's exact arithmetic, kept between checks:
// each weighted asset's balance and prices as last read (a decimal is
// immutable, so one read again is the same number), and the check's
// numbers, reused.
type valuation struct {
	c             calc
	bal           []readDec // by asset: its total balance
	buy, sell     []readDec // by asset: its pair's prices
	mids          []exact   // by asset: the mid of buy and sell
	halves        []bool    // by asset: whether mids holds it (the sum halves exactly)
	targets       []exact
	values, diffs []exact
	total, lo, hi exact
	sum           exact // scratch: a sum of prices
	minTrade      exact
	least         exact // scratch: the lesser of two legs
	// sells and buys are the legs of the last check, reused.
	sells, buys    []leg
	bandLo, bandHi exact
}

// readDec is a decimal as last read and its exact form.
type readDec struct {
	d    decimal.Decimal
	n    exact
	read bool
}

// load reads d unless it is the decimal read last, and reports whether it
// changed. A decimal is compared by its big.Int's address: r.d keeps that
// big.Int alive, so no other decimal can be given its address.
func (r *readDec) load(c *calc, d decimal.Decimal) bool {
	if r.read && r.d == d {
		return false
	}
	c.set(&r.n, d)
	r.d, r.read = d, true
	return true
}

func newValuation(targets []decimal.Decimal, bandLo, bandHi, minTrade decimal.Decimal) *valuation {
	n := len(targets)
	x := &valuation{
		bal: make([]readDec, n), buy: make([]readDec, n), sell: make([]readDec, n),
		mids: make([]exact, n), halves: make([]bool, n), targets: make([]exact, n), values: make([]exact, n), diffs: make([]exact, n),
	}
	x.c.init()
	for i, t := range targets {
		x.c.set(&x.targets[i], t)
	}
	x.c.set(&x.bandLo, bandLo)
	x.c.set(&x.bandHi, bandHi)
	x.c.set(&x.minTrade, minTrade)
	return x
}

// legsExact is legs for the usual check: every weighted asset valued
// through a pair quoted in the reference, at a fresh mid that halves
// exactly, and no weight within 10⁻¹⁸ of the band's edge. It reports
// false for anything else, and legs then takes the decimal path, which
// also explains a missing or stale price. Where it answers, the answer is
// legs's own: the same numbers with the same exponents (TestLegsExact).
func (r *Rebalance) legsExact(v View) (sells, buys []leg, drifted, ok bool) {
	x, c := r.exact, &r.exact.c
	x.total.v.SetInt64(0) // decimal.Zero, which legs adds to
	x.total.exp = 0
	for i, a := range r.assets {
		x.bal[i].load(c, v.Total(a))
		if a == r.p.Reference {
			c.copy(&x.values[i], &x.bal[i].n)
		} else {
			mid, ok := r.exactMid(v, i, a)
			if !ok {
				return nil, nil, false, false
			}
			c.mul(&x.values[i], &x.bal[i].n, mid)
		}
		c.add(&x.total, &x.total, &x.values[i])
	}
	if x.total.sign() <= 0 {
		return nil, nil, false, false
	}
	for i := range x.diffs {
		c.mul(&x.diffs[i], &x.targets[i], &x.total)
		c.sub(&x.diffs[i], &x.diffs[i], &x.values[i])
	}
	c.mul(&x.lo, &x.bandLo, &x.total)
	c.mul(&x.hi, &x.bandHi, &x.total)
	for i := range x.diffs {
		if c.cmpAbs(&x.diffs[i], &x.hi) > 0 {
			drifted = true
			break
		}
		if c.cmpAbs(&x.diffs[i], &x.lo) >= 0 {
			return nil, nil, false, false // at the band's edge: legs divides
		}
	}
	if !drifted {
		return nil, nil, false, true
	}
	sells, buys = r.exactLegs()
	return sells, buys, true, true
}

// exactMid returns the fresh mid of asset i's pair with the reference, as
// FreshMid gives it, or false where Convert would not multiply by one.
func (r *Rebalance) exactMid(v View, i int, a market.Asset) (*exact, bool) {
	x, c := r.exact, &r.exact.c
	p, inverted, ok := FindPair(v, a, r.p.Reference)
	if !ok || inverted {
		return nil, false
	}
	t, ok := v.Tick(p.Symbol)
	if !ok || !t.BuyPrice.IsPositive() || !t.SellPrice.IsPositive() || v.Stale(t) {
		return nil, false
	}
	newBuy := x.buy[i].load(c, t.BuyPrice)
	newSell := x.sell[i].load(c, t.SellPrice)
	if newBuy || newSell {
		c.add(&x.sum, &x.buy[i].n, &x.sell[i].n)
		// Tick.Mid halves the sum by × 0.5 (× 5 at one place more) if
		// it has fewer places than Div keeps, and divides it otherwise;
		// legs then divides too.
		x.halves[i] = x.sum.exp > -int32(decimal.DivisionPrecision)
		if x.halves[i] {
			c.mul(&x.mids[i], &x.sum, &c.half)
		}
	}
	if !x.halves[i] {
		return nil, false
	}
	return &x.mids[i], true
}

// exactLegs is sortLegs over the check's diffs, into the legs of the last
// check: a leg's big.Int keeps its words from one check to the next.
func (r *Rebalance) exactLegs() (sells, buys []leg) {
	x, c := r.exact, &r.exact.c
	sells, buys = x.sells[:0], x.buys[:0]
	for i := range x.diffs {
		switch diff := &x.diffs[i]; diff.sign() {
		case -1:
			sells = grow(sells, r.assets[i])
			l := &sells[len(sells)-1].value
			l.v.Neg(&diff.v)
			l.exp = diff.exp
		case 1:
			buys = grow(buys, r.assets[i])
			c.copy(&buys[len(buys)-1].value, diff)
		}
	}
	sortByValue(c, sells)
	sortByValue(c, buys)
	x.sells, x.buys = sells, buys
	return sells, buys
}

// grow returns legs one longer, the new leg for asset reusing the big.Int
// the slot held before.
func grow(legs []leg, asset market.Asset) []leg {
	if len(legs) < cap(legs) {
		legs = legs[:len(legs)+1]
	} else {
		legs = append(legs, leg{})
	}
	legs[len(legs)-1].asset = asset
	return legs
}

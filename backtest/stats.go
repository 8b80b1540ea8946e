package backtest

import (
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// valuer values assets in the reference currency at the last mid prices.
type valuer struct {
	ref    market.Asset
	assets []market.Asset // sorted
	routes map[market.Asset]route
}

// route is the pair an asset is valued through.
type route struct {
	pair     string
	inverted bool // the reference is the pair's base
}

func newValuer(ref market.Asset, pairs []market.Pair, assets []market.Asset) (*valuer, error) {
	v := &valuer{ref: ref, assets: assets, routes: map[market.Asset]route{}}
	for _, a := range assets {
		if a == ref {
			continue
		}
		found := false
		for _, p := range pairs {
			if p.Base == a && p.Quote == ref {
				v.routes[a], found = route{pair: p.Symbol}, true
				break
			}
		}
		for _, p := range pairs {
			if !found && p.Base == ref && p.Quote == a {
				v.routes[a], found = route{pair: p.Symbol, inverted: true}, true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s cannot be valued in %s: list a pair joining them", a, ref)
		}
	}
	return v, nil
}

// priced reports whether t has a buy and a sell price.
func priced(t market.Tick) bool { return t.BuyPrice.IsPositive() && t.SellPrice.IsPositive() }

// value returns amount of asset in the reference, and false while the pair
// it is valued through has no price yet.
func (v *valuer) value(asset market.Asset, amount decimal.Decimal, m *lastTicks) (decimal.Decimal, bool) {
	if asset == v.ref || amount.IsZero() {
		return amount, true
	}
	mid, inverted, ok := v.mid(asset, m)
	if !ok {
		return decimal.Decimal{}, false
	}
	return at(amount, mid, inverted), true
}

// mid returns the mid price asset is valued at, and whether its pair is
// the inverse (the reference is its base).
func (v *valuer) mid(asset market.Asset, m *lastTicks) (mid decimal.Decimal, inverted, ok bool) {
	r := v.routes[asset]
	t, ok := m.mark(r.pair)
	if !ok {
		return decimal.Decimal{}, false, false
	}
	return t.BuyPrice.Add(t.SellPrice).Mul(half), r.inverted, true // market.Tick.Mid, without a division
}

// at values amount at mid.
func at(amount, mid decimal.Decimal, inverted bool) decimal.Decimal {
	if amount.IsZero() {
		return amount
	}
	if inverted {
		return amount.DivRound(mid, 18)
	}
	return amount.Mul(mid)
}

// equities values two sets of balances at once (each asset's mid worked
// out once): the total and risky part of the first, the total of the
// second; value's results exactly.
func (v *valuer) equities(balances, other map[market.Asset]decimal.Decimal, m *lastTicks) (total, risky, otherTotal decimal.Decimal, ok bool) {
	for _, a := range v.assets {
		x, y := balances[a], other[a]
		if a != v.ref && !(x.IsZero() && y.IsZero()) {
			mid, inverted, priced := v.mid(a, m)
			if !priced {
				return decimal.Decimal{}, decimal.Decimal{}, decimal.Decimal{}, false
			}
			x, y = at(x, mid, inverted), at(y, mid, inverted)
			risky = risky.Add(x.Abs())
		}
		total, otherTotal = total.Add(x), otherTotal.Add(y)
	}
	return total, risky, otherTotal, true
}

var half = decimal.New(5, -1)

// equity values every balance; it returns the total and what is held in
// assets other than the reference.
func (v *valuer) equity(balances map[market.Asset]decimal.Decimal, m *lastTicks) (total, risky decimal.Decimal, ok bool) {
	for _, a := range v.assets {
		x, ok := v.value(a, balances[a], m)
		if !ok {
			return decimal.Decimal{}, decimal.Decimal{}, false
		}
		total = total.Add(x)
		if a != v.ref {
			risky = risky.Add(x.Abs())
		}
	}
	return total, risky, true
}

// point is one sample of the equity curve.
type point struct {
	at       time.Time
	equity   decimal.Decimal
	bench    decimal.Decimal // the opening balances held throughout
	drawdown decimal.Decimal // below the running peak, as a fraction of it
	exposure decimal.Decimal // share of equity outside the reference
}

// curve keeps the statistics of the equity curve online, in constant
// memory: drawdown, exposure, and daily returns for Sharpe and Sortino.
type curve struct {
	n     int64 // samples
	first point
	last  point

	peak, maxDD, maxDDAmount decimal.Decimal
	peakAt, ddPeakAt, ddAt   time.Time

	exposureSum, exposureMax decimal.Decimal

	// Daily closes (UTC): the equity at each midnight, given to close by
	// the replay whatever the sampling interval.
	lastClose decimal.Decimal
	days      int64   // daily returns
	mean, m2  float64 // Welford's running mean and sum of squared deviations
	downSq    float64 // sum of squared negative returns
}

// add takes one sample; samples come in time order.
func (c *curve) add(at time.Time, equity, risky, bench decimal.Decimal) point {
	p := point{at: at, equity: equity, bench: bench}
	if equity.IsPositive() {
		p.exposure = risky.DivRound(equity, 8)
	}
	if c.n == 0 {
		c.first, c.peak, c.peakAt, c.lastClose = p, equity, at, equity
	}
	if equity.GreaterThan(c.peak) {
		c.peak, c.peakAt = equity, at
	}
	if c.peak.IsPositive() {
		p.drawdown = c.peak.Sub(equity).DivRound(c.peak, 8)
	}
	if p.drawdown.GreaterThan(c.maxDD) {
		c.maxDD, c.maxDDAmount, c.ddPeakAt, c.ddAt = p.drawdown, c.peak.Sub(equity), c.peakAt, at
	}
	c.exposureSum = c.exposureSum.Add(p.exposure)
	if p.exposure.GreaterThan(c.exposureMax) {
		c.exposureMax = p.exposure
	}
	c.n++
	c.last = p
	return p
}

// close ends a day at equity.
func (c *curve) close(equity decimal.Decimal) {
	if !c.lastClose.IsPositive() {
		c.lastClose = equity
		return
	}
	r := equity.DivRound(c.lastClose, 18).Sub(decimal.NewFromInt(1)).InexactFloat64()
	c.lastClose = equity
	c.days++
	d := r - c.mean
	c.mean += d / float64(c.days)
	c.m2 += d * (r - c.mean)
	if r < 0 {
		c.downSq += r * r
	}
}

// finish closes the last, possibly partial, day.
func (c *curve) finish() {
	if c.n > 0 {
		c.close(c.last.equity)
	}
}

// annualised scales a daily ratio to a year of 365 trading days (crypto
// trades every day).
var annualised = math.Sqrt(365)

// sharpe is the mean daily return over its sample standard deviation,
// annualised; nil with fewer than two days or no variation.
func (c *curve) sharpe() *float64 {
	if c.days < 2 {
		return nil
	}
	sd := math.Sqrt(c.m2 / float64(c.days-1))
	if sd == 0 {
		return nil
	}
	return ratio(c.mean / sd * annualised)
}

// sortino is the mean daily return over the downside deviation (the root
// mean square of the negative returns, over all days), annualised; nil
// without a losing day.
func (c *curve) sortino() *float64 {
	if c.days < 2 || c.downSq == 0 {
		return nil
	}
	return ratio(c.mean / math.Sqrt(c.downSq/float64(c.days)) * annualised)
}

// ratio rounds to four places, so the summary does not carry float noise.
func ratio(x float64) *float64 {
	r := math.Round(x*1e4) / 1e4
	return &r
}

// chartPoint is a sample as the chart draws it: float64 is for drawing
// only, never for money.
type chartPoint struct {
	at                      time.Time
	equity, bench, drawdown float64
}

func chartPointOf(p point) chartPoint {
	return chartPoint{at: p.at, equity: p.equity.InexactFloat64(), bench: p.bench.InexactFloat64(), drawdown: p.drawdown.InexactFloat64()}
}

// downsampler keeps at most max points of a series in constant memory
// (allocated up front): when full it drops every other point and from then
// on keeps one sample in twice as many. The chart needs the shape, not
// every sample.
type downsampler[T any] struct {
	stride int64
	seen   int64
	pts    []T
}

func newDownsampler[T any](max int) downsampler[T] {
	return downsampler[T]{stride: 1, pts: make([]T, 0, max)}
}

func (d *downsampler[T]) add(p T) {
	if d.keep() {
		d.put(p)
	}
}

// keep counts a sample and reports whether the series keeps it, so that
// a caller works a sample out only when it is kept; a kept one is then
// given to put.
func (d *downsampler[T]) keep() bool {
	d.seen++
	if (d.seen-1)%d.stride != 0 {
		return false
	}
	if len(d.pts) == cap(d.pts) {
		kept := d.pts[:0]
		for i := 0; i < len(d.pts); i += 2 {
			kept = append(kept, d.pts[i])
		}
		d.pts = kept
		d.stride *= 2
		if (d.seen-1)%d.stride != 0 {
			return false
		}
	}
	return true
}

// put adds the sample keep kept.
func (d *downsampler[T]) put(p T) { d.pts = append(d.pts, p) }

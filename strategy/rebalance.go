package strategy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

// KindRebalance is the registry kind of the rebalance strategy.
const KindRebalance = "rebalance"

// RebalanceParams configure a rebalance strategy: keep the portfolio's
// weights across Weights' assets, valued in Reference at mid prices, within
// Band of their targets.
type RebalanceParams struct {
	// Reference is the asset everything is valued in ("EUR"). Every other
	// weighted asset needs a listed pair with it, either way round.
	Reference market.Asset `toml:"reference"`
	// Weights are target shares by asset; they sum to exactly 1.
	Weights map[string]tomlval.Decimal `toml:"weights"`
	// Band is the drift, in weight, that triggers a rebalance: 0.05 means
	// an asset at 0.56 against a 0.5 target triggers one.
	Band tomlval.Decimal `toml:"band"`
	// MinTrade is the smallest trade worth making, in Reference.
	MinTrade tomlval.Decimal `toml:"min_trade"`
	// MaxTrade is the largest trade one check makes, in Reference; 0 (the
	// default) is no cap. A bigger move is made over several checks. Set it
	// at or below risk's max_order_notional, or a large drift proposes
	// trades that risk rejects every time.
	MaxTrade tomlval.Decimal `toml:"max_trade"`
	// Every is how often the weights are checked.
	Every tomlval.Duration `toml:"every"`
	// Path is "rfq" (default) or "otc".
	Path Path `toml:"path"`
	// MaxSlippage is in percent (1.0 = 1%); it also pads what a buy may
	// spend, so a buy never needs more than is available.
	MaxSlippage tomlval.Decimal `toml:"max_slippage"`
	// Precision is how many decimal places a trade size keeps (truncated).
	Precision int32 `toml:"precision"`
}

// DefaultRebalanceParams returns the defaults: a 5-point band, a check every
// 5 minutes, RFQ, 0.5% slippage, sizes to 8 places.
func DefaultRebalanceParams() RebalanceParams {
	return RebalanceParams{
		Band:        tomlval.Dec(decimal.RequireFromString("0.05")),
		Every:       tomlval.Dur(5 * time.Minute),
		Path:        RFQ,
		MaxSlippage: tomlval.Dec(decimal.RequireFromString("0.5")),
		Precision:   8,
	}
}

// Validate returns every problem, each with its key.
func (p RebalanceParams) Validate() error {
	var pr tomlval.Problems
	if p.Reference == "" || strings.ToUpper(string(p.Reference)) != string(p.Reference) {
		pr.Add("reference", "must be an upper-case asset code, got %q", p.Reference)
	}
	if len(p.Weights) < 2 {
		pr.Add("weights", "need at least two assets, got %d", len(p.Weights))
	}
	sum, ok := decimal.Zero, true
	for _, a := range sortedKeys(p.Weights) {
		w := p.Weights[a]
		key := "weights." + a
		if strings.ToUpper(a) != a {
			pr.Add(key, "asset codes are upper case")
		}
		if !pr.Decimal(key, w) {
			ok = false
			continue
		}
		if w.IsNegative() || w.GreaterThan(decimal.NewFromInt(1)) {
			pr.Add(key, "must be between 0 and 1, got %s", w.Decimal)
		}
		sum = sum.Add(w.Decimal)
	}
	if ok && len(p.Weights) > 0 && !sum.Equal(decimal.NewFromInt(1)) {
		pr.Add("weights", "must sum to exactly 1, got %s", sum)
	}
	if pr.Decimal("band", p.Band) && (!p.Band.IsPositive() || p.Band.GreaterThanOrEqual(decimal.NewFromInt(1))) {
		pr.Add("band", "must be above 0 and below 1, got %s", p.Band.Decimal)
	}
	pr.NonNegative("min_trade", p.MinTrade)
	pr.NonNegative("max_trade", p.MaxTrade)
	if p.MaxTrade.IsPositive() && p.MaxTrade.LessThan(p.MinTrade.Decimal) {
		pr.Add("max_trade", "must be 0 (no cap) or at least min_trade %s, got %s", p.MinTrade.Decimal, p.MaxTrade.Decimal)
	}
	if pr.Duration("every", p.Every) && p.Every.Duration <= 0 {
		pr.Add("every", "must be positive, got %s", p.Every.Duration)
	}
	common(&pr, p.Path, p.MaxSlippage, p.Precision)
	return pr.Err("params")
}

// Rebalance keeps target weights. Every Params.Every it values each
// weighted asset's total balance in the reference asset; if any weight is
// off its target by more than the band, it proposes the trades that bring
// all of them back, selling overweight assets into underweight ones through
// whatever pair joins them. It never spends more than is available, clamps
// a trade to MaxTrade and the pair's maximum (the next check does the rest)
// and skips one under the pair's minimum or MinTrade. It waits while any of
// its intents is open, and does nothing when a needed price is missing or
// stale.
type Rebalance struct {
	name string
	p    RebalanceParams
	// assets are the weighted assets in order, targets their weights:
	// p.Weights, read once.
	assets  []market.Asset
	targets []decimal.Decimal
	// bandLo and bandHi are the band less and plus one unit of the 18th
	// place, the bounds drifted compares against without dividing.
	bandLo, bandHi decimal.Decimal
	// exact values the portfolio without allocating, where it can.
	exact *valuation
	next  time.Time // next check; zero until NextTimer first runs
	round int
}

// NewRebalance validates p and returns the strategy. It reads p.Weights
// once: changing the map afterwards changes nothing.
func NewRebalance(name string, p RebalanceParams) (*Rebalance, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	r := &Rebalance{name: name, p: p}
	for _, a := range sortedKeys(p.Weights) {
		r.assets = append(r.assets, market.Asset(a))
		r.targets = append(r.targets, p.Weights[a].Decimal)
	}
	unit := decimal.New(1, -valuationPlaces)
	r.bandLo, r.bandHi = p.Band.Sub(unit), p.Band.Add(unit)
	r.exact = newValuation(r.targets, r.bandLo, r.bandHi, p.MinTrade.Decimal)
	return r, nil
}

func newRebalanceFactory(name string, decode func(any) error) (Strategy, error) {
	p := DefaultRebalanceParams()
	if err := decodeInto(decode, &p); err != nil {
		return nil, err
	}
	return NewRebalance(name, p)
}

// Name returns the instance name.
func (r *Rebalance) Name() string { return r.name }

// NextTimer returns the next check: one period after start-up, then every
// period after the last check.
func (r *Rebalance) NextTimer(now time.Time) time.Time {
	if r.next.IsZero() {
		r.next = now.Add(r.p.Every.Duration)
	}
	return r.next
}

// IgnoresPrices reports true: Handle acts on Timer events only.
func (r *Rebalance) IgnoresPrices() bool { return true }

// Handle checks the weights on a Timer event and ignores other events.
func (r *Rebalance) Handle(v View, e Event) Decision {
	if _, ok := e.(Timer); !ok {
		return Decision{}
	}
	r.next = v.Now().Add(r.p.Every.Duration)
	return r.check(v)
}

// leg is an amount, in the reference asset, one asset is to sell or buy:
// exact, so that matching legs (most drifted checks only skip) allocates
// only for what it decides.
type leg struct {
	asset market.Asset
	value exact
}

func (r *Rebalance) check(v View) Decision {
	var d Decision
	if n := countOpen(v, r.name); n > 0 {
		d.skip("", "waiting for %d open intent(s) before checking weights", n)
		return d
	}
	sells, buys, drifted, why := r.legs(v)
	switch {
	case why != "":
		d.skip("", "%s", why)
		return d
	case !drifted:
		return d
	}
	r.round++
	r.match(v, &d, sells, buys)
	c := &r.exact.c
	for i := range sells {
		if s := &sells[i]; s.value.sign() > 0 && c.cmp(&s.value, &r.exact.minTrade) >= 0 {
			d.Skips = append(d.Skips, Skip{why: noPairToSell{s.asset, s.value.decimal(), r.p.Reference}})
		}
	}
	return d
}

// legs values the portfolio in the reference and returns what each asset
// is to sell and buy to reach its target weight, largest first, and
// whether any weight drifted beyond the band; why says why the portfolio
// could not be valued. Without drift it returns no legs: check makes none.
func (r *Rebalance) legs(v View) (sells, buys []leg, drifted bool, why string) {
	if sells, buys, drifted, ok := r.legsExact(v); ok {
		return sells, buys, drifted, ""
	}
	return r.legsDecimal(v)
}

// legsDecimal is legs in decimal.Decimal, for every case.
func (r *Rebalance) legsDecimal(v View) (sells, buys []leg, drifted bool, why string) {
	ref := r.p.Reference
	values := make([]decimal.Decimal, len(r.assets))
	total := decimal.Zero
	for i, a := range r.assets {
		val, err := Convert(v, v.Total(a), a, ref)
		if err != nil {
			return nil, nil, false, fmt.Sprintf("cannot value the portfolio: %v", err)
		}
		values[i] = val
		total = total.Add(val)
	}
	if !total.IsPositive() {
		return nil, nil, false, fmt.Sprintf("portfolio is worth nothing in %s", ref)
	}
	diffs := make([]decimal.Decimal, len(r.assets))
	for i, target := range r.targets {
		diffs[i] = target.Mul(total).Sub(values[i])
	}
	if !r.drifted(values, diffs, total) {
		return nil, nil, false, ""
	}
	sells, buys = r.sortLegs(diffs)
	return sells, buys, true, ""
}

// sortLegs returns what each asset is to sell (a negative diff) and to buy
// (a positive one), largest first.
func (r *Rebalance) sortLegs(diffs []decimal.Decimal) (sells, buys []leg) {
	c := &r.exact.c
	for i, diff := range diffs {
		switch diff.Sign() {
		case -1:
			sells = append(sells, leg{asset: r.assets[i]})
			c.set(&sells[len(sells)-1].value, diff.Neg())
		case 1:
			buys = append(buys, leg{asset: r.assets[i]})
			c.set(&buys[len(buys)-1].value, diff)
		}
	}
	sortByValue(c, sells)
	sortByValue(c, buys)
	return sells, buys
}

// sortByValue sorts legs largest first, then by asset.
func sortByValue(c *calc, legs []leg) {
	slices.SortFunc(legs, func(a, b leg) int {
		if n := c.cmp(&b.value, &a.value); n != 0 {
			return n
		}
		return strings.Compare(string(a.asset), string(b.asset))
	})
}

// drifted reports whether any asset's weight, its value over total (which
// is positive) rounded to 18 places, is off its target by more than the
// band. It divides only where it must: diffs[i] is target×total − value,
// exact, so |diff|/total is how far the unrounded weight is from its
// target, and rounding moves a weight by at most half a unit of the 18th
// place. A |diff| above (band + 1e-18)×total is therefore drift and one
// below (band − 1e-18)×total is not, found by multiplying; only a weight
// within 1e-18 of the band's edge is divided out and rounded.
func (r *Rebalance) drifted(values, diffs []decimal.Decimal, total decimal.Decimal) bool {
	lo, hi := r.bandLo.Mul(total), r.bandHi.Mul(total)
	for i, diff := range diffs {
		switch off := diff.Abs(); {
		case off.GreaterThan(hi):
			return true
		case off.LessThan(lo):
			continue
		}
		weight := values[i].DivRound(total, valuationPlaces)
		if weight.Sub(r.targets[i]).Abs().GreaterThan(r.p.Band.Decimal) {
			return true
		}
	}
	return false
}

// match pairs the sells with the buys, largest first, into intents over
// the listed pairs; what cannot be traded is skipped with its reason.
func (r *Rebalance) match(v View, d *Decision, sells, buys []leg) {
	ref := r.p.Reference
	// spent is what the intents proposed so far in this check take of each
	// asset: the view's Available does not see them until they are decided.
	var spent map[market.Asset]decimal.Decimal // made at the first intent
	c, least := &r.exact.c, &r.exact.least
	for i := range sells {
		for j := range buys {
			s, b := &sells[i], &buys[j]
			if s.value.sign() <= 0 || b.value.sign() <= 0 {
				continue
			}
			pair, inverted, ok := FindPair(v, s.asset, b.asset)
			if !ok {
				continue
			}
			// The lesser of the two (the sell's when they are equal, as
			// decimal.Min), taken off both.
			if c.cmp(&b.value, &s.value) < 0 {
				c.copy(least, &b.value)
			} else {
				c.copy(least, &s.value)
			}
			c.sub(&s.value, &s.value, least)
			c.sub(&b.value, &b.value, least)
			if c.cmp(least, &r.exact.minTrade) < 0 {
				d.Skips = append(d.Skips, Skip{Pair: pair.Symbol, why: belowMinTrade{least.decimal(), ref, b.asset, r.p.MinTrade.Decimal}})
				continue
			}
			x := least.decimal()
			var notes []string
			if m := r.p.MaxTrade.Decimal; m.IsPositive() && x.GreaterThan(m) {
				notes = append(notes, fmt.Sprintf("clamped to max_trade %s of %s %s", m, x.StringFixed(2), ref))
				x = m
			}
			avail := v.Available(s.asset).Sub(spent[s.asset])
			in, spend, why := r.trade(v, pair, !inverted, s.asset, b.asset, x, avail, notes)
			if why != "" {
				d.skip(pair.Symbol, "%s", why)
				continue
			}
			if spent == nil {
				spent = map[market.Asset]decimal.Decimal{}
			}
			spent[s.asset] = spent[s.asset].Add(spend)
			d.Intents = append(d.Intents, in)
		}
	}
}

// belowMinTrade is why a rebalance skipped an amount below min_trade.
type belowMinTrade struct {
	x        decimal.Decimal
	ref, buy market.Asset
	min      decimal.Decimal
}

func (b belowMinTrade) String() string {
	return fmt.Sprintf("%s %s into %s is below min_trade %s", b.x.StringFixed(2), b.ref, b.buy, b.min)
}

// noPairToSell is why a rebalance left an overweight asset's value unsold.
type noPairToSell struct {
	asset market.Asset
	value decimal.Decimal
	ref   market.Asset
}

func (n noPairToSell) String() string {
	return fmt.Sprintf("no pair to sell %s worth %s %s into an underweight asset", n.asset, n.value.StringFixed(2), n.ref)
}

// trade builds the intent moving x (in the reference asset) from sell into
// buy over pair; sellIsBase says which side of the pair sell is; avail is
// what may still be spent of sell; notes say how x was already clamped. It
// returns the intent and the most it may spend of sell, or a reason when
// the trade cannot be made.
func (r *Rebalance) trade(v View, pair market.Pair, sellIsBase bool, sell, buy market.Asset, x, avail decimal.Decimal, notes []string) (Intent, decimal.Decimal, string) {
	t, ok := v.Tick(pair.Symbol)
	if !ok || !t.BuyPrice.IsPositive() || !t.SellPrice.IsPositive() {
		return Intent{}, decimal.Zero, fmt.Sprintf("no price for %s", pair.Symbol)
	}
	if v.Stale(t) {
		return Intent{}, decimal.Zero, fmt.Sprintf("price of %s is stale", pair.Symbol)
	}
	base, side := sell, market.Sell
	if !sellIsBase {
		base, side = buy, market.Buy
	}
	want, err := Convert(v, x, r.p.Reference, base)
	if err != nil {
		return Intent{}, decimal.Zero, err.Error()
	}
	size := want.Truncate(r.p.Precision)
	// What the trade spends of sell must be available: the base itself
	// for a sell, the quote at the buy price plus slippage for a buy.
	if avail.IsNegative() {
		avail = decimal.Zero
	}
	worst := t.BuyPrice.Mul(decimal.NewFromInt(1).Add(percent(r.p.MaxSlippage.Decimal)))
	if side == market.Sell {
		if size.GreaterThan(avail) {
			size = avail.Truncate(r.p.Precision)
			notes = append(notes, "clamped to available "+avail.String())
		}
	} else {
		if canBuy := avail.DivRound(worst, valuationPlaces).Truncate(r.p.Precision); size.GreaterThan(canBuy) {
			size = canBuy
			notes = append(notes, fmt.Sprintf("clamped to what available %s %s buys", avail, sell))
		}
	}
	if above(size, pair.MaxSize) {
		size = pair.MaxSize
		notes = append(notes, "clamped to pair maximum "+pair.MaxSize.String())
	}
	if maxQ := pair.MaxQuoteSize; maxQ.IsPositive() && above(size.Mul(t.Mid()), maxQ) {
		size = maxQ.DivRound(t.Mid(), valuationPlaces).Truncate(r.p.Precision)
		notes = append(notes, "clamped to pair quote maximum "+maxQ.String())
	}
	switch {
	case !size.IsPositive():
		return Intent{}, decimal.Zero, fmt.Sprintf("nothing available to %s %s (%s)", side, pair.Symbol, strings.Join(notes, "; "))
	case below(size, pair.MinSize):
		return Intent{}, decimal.Zero, fmt.Sprintf("size %s below pair minimum %s", size, pair.MinSize)
	case below(size.Mul(t.Mid()), pair.MinQuoteSize):
		return Intent{}, decimal.Zero, fmt.Sprintf("quote size %s below pair minimum %s", size.Mul(t.Mid()), pair.MinQuoteSize)
	}
	if len(notes) > 0 {
		if worth, err := Convert(v, size, base, r.p.Reference); err == nil && worth.LessThan(r.p.MinTrade.Decimal) {
			return Intent{}, decimal.Zero, fmt.Sprintf("after clamping (%s) the trade is worth %s %s, below min_trade", strings.Join(notes, "; "), worth.StringFixed(2), r.p.Reference)
		}
	}
	reason := fmt.Sprintf("rebalance: move %s %s from %s into %s", x.StringFixed(2), r.p.Reference, sell, buy)
	if len(notes) > 0 {
		reason += " (" + strings.Join(notes, "; ") + ")"
	}
	spend := size
	if side == market.Buy {
		spend = size.Mul(worst)
	}
	return Intent{
		Strategy:    r.name,
		Ref:         fmt.Sprintf("round %d %s", r.round, pair.Symbol),
		Pair:        pair.Symbol,
		Side:        side,
		Size:        size,
		Path:        r.p.Path,
		MaxSlippage: r.p.MaxSlippage.Decimal,
		Reason:      reason,
	}, spend, ""
}

// countOpen counts the open intents of the named strategy.
func countOpen(v View, name string) int {
	n := 0
	for _, in := range v.OpenIntents() {
		if in.Strategy == name {
			n++
		}
	}
	return n
}

// sortedKeys returns m's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

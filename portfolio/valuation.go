package portfolio

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// places is the number of decimal places a quotient is rounded to (half
// away from zero): the rate of a path with an inverted hop, a part of a
// lot's cost, a share of a trade's value. Every such figure is computed
// once and booked on both sides of the identity, so no sum drifts.
const places = 24

// Quote is the last price of a pair: what the engine could sell the base
// for (Bid) and buy it at (Ask). A source with a single last or mid price
// sets both to it.
type Quote struct {
	Bid decimal.Decimal
	Ask decimal.Decimal
}

// QuoteOf returns the quote of a tick: its sell price as Bid, its buy
// price as Ask.
func QuoteOf(t market.Tick) Quote { return Quote{Bid: t.SellPrice, Ask: t.BuyPrice} }

var half = decimal.New(5, -1)

// Mid returns the price holdings are valued at: the midpoint of Bid and
// Ask, or the one of them that is positive; ok is false when neither is.
func (q Quote) Mid() (decimal.Decimal, bool) {
	switch bid, ask := q.Bid.IsPositive(), q.Ask.IsPositive(); {
	case bid && ask:
		return q.Bid.Add(q.Ask).Mul(half), true // exact: no division
	case bid:
		return q.Bid, true
	case ask:
		return q.Ask, true
	}
	return decimal.Decimal{}, false
}

// PriceSource gives the prices in force at one instant. Quote returns the
// last quote of the pair named symbol; ok is false when there is none.
// It is called from the goroutine that calls the Book.
type PriceSource interface {
	Quote(symbol string) (Quote, bool)
}

// Prices is a PriceSource held in a map, by pair symbol.
type Prices map[string]Quote

// Quote implements PriceSource.
func (p Prices) Quote(symbol string) (Quote, bool) {
	q, ok := p[symbol]
	return q, ok
}

// History gives the prices in force at a past instant: the Book values
// each entry at the prices of its time. At may return nil when it knows
// no prices for t; an entry needing them is then refused (ErrUnpriced).
// A source without history (a running engine valuing each entry as it
// arrives) may return the latest prices whatever t is.
type History interface {
	At(t time.Time) PriceSource
}

// HistoryFunc adapts a function to History.
type HistoryFunc func(t time.Time) PriceSource

// At implements History.
func (f HistoryFunc) At(t time.Time) PriceSource { return f(t) }

// Hop is one step of a valuation path.
type Hop struct {
	Pair string       `json:"pair"`
	From market.Asset `json:"from"`
	To   market.Asset `json:"to"`
	// Inverted: From is the pair's quote and To its base, so the amount
	// is divided by the price instead of multiplied.
	Inverted bool            `json:"inverted"`
	Price    decimal.Decimal `json:"price"` // the pair's mid
}

// Path is how an asset was valued: the hops from it to the reference. The
// reference's own path has no hops.
type Path struct {
	From market.Asset `json:"from"`
	Hops []Hop        `json:"hops"`
}

// String formats the path as "USDT→BTC (BTCUSDT) →EUR (BTCEUR)"; the
// reference's own path is just its code.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(string(p.From))
	for i, h := range p.Hops {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "→%s (%s)", h.To, h.Pair)
	}
	return b.String()
}

// Route is an asset's valuation at one set of prices: the path and the
// rate, reference units per unit of the asset.
type Route struct {
	Path Path
	Rate decimal.Decimal
}

// Value returns amount valued through r: amount × Rate, exact.
func (r Route) Value(amount decimal.Decimal) decimal.Decimal { return amount.Mul(r.Rate) }

// Valuer values assets in a reference through any chain of pairs. It is
// immutable after NewValuer and safe for concurrent use (the PriceSource
// it is given must be too, for that).
type Valuer struct {
	ref   market.Asset
	pairs map[string]market.Pair
	edges map[market.Asset][]edge // sorted by pair symbol
}

// edge leads from an asset to the other asset of a pair.
type edge struct {
	pair     string
	to       market.Asset
	inverted bool // the edge leads from the pair's quote to its base
}

// NewValuer returns a Valuer for ref over pairs. It returns ErrInvalidPair
// for a pair without a symbol, base or quote, with base equal to quote, or
// with a symbol listed twice.
func NewValuer(ref market.Asset, pairs []market.Pair) (*Valuer, error) {
	v := &Valuer{ref: ref, pairs: map[string]market.Pair{}, edges: map[market.Asset][]edge{}}
	for _, p := range pairs {
		if p.Symbol == "" || p.Base == "" || p.Quote == "" || p.Base == p.Quote {
			return nil, fmt.Errorf("%w %q: needs a symbol and two different assets (base %q, quote %q)", ErrInvalidPair, p.Symbol, p.Base, p.Quote)
		}
		if _, dup := v.pairs[p.Symbol]; dup {
			return nil, fmt.Errorf("%w %q: listed twice", ErrInvalidPair, p.Symbol)
		}
		v.pairs[p.Symbol] = p
		v.edges[p.Base] = append(v.edges[p.Base], edge{pair: p.Symbol, to: p.Quote})
		v.edges[p.Quote] = append(v.edges[p.Quote], edge{pair: p.Symbol, to: p.Base, inverted: true})
	}
	for _, es := range v.edges {
		sort.Slice(es, func(i, j int) bool { return es[i].pair < es[j].pair })
	}
	return v, nil
}

// Reference returns the asset v values in.
func (v *Valuer) Reference() market.Asset { return v.ref }

// Route returns how asset is valued at prices: through the fewest pairs
// that have a price; among paths of equal length, the one whose pair
// symbols sort first, hop by hop from the asset. ok is false when no
// priced path joins asset to the reference: the asset is unvalued, which
// is not the same as worth zero.
func (v *Valuer) Route(prices PriceSource, asset market.Asset) (Route, bool) {
	return v.snapshot(prices).route(asset)
}

// snapshot is a Valuer at one set of prices, caching mids and routes; it
// lives for one entry or one report.
type snapshot struct {
	v      *Valuer
	prices PriceSource
	mids   map[string]decimal.Decimal // zero: no usable price
	routes map[market.Asset]*Route    // nil: no path
}

func (v *Valuer) snapshot(prices PriceSource) *snapshot {
	return &snapshot{v: v, prices: prices, mids: map[string]decimal.Decimal{}, routes: map[market.Asset]*Route{}}
}

func (s *snapshot) mid(symbol string) (decimal.Decimal, bool) {
	if m, ok := s.mids[symbol]; ok {
		return m, !m.IsZero()
	}
	var m decimal.Decimal
	if s.prices != nil {
		if q, ok := s.prices.Quote(symbol); ok {
			m, _ = q.Mid()
		}
	}
	s.mids[symbol] = m
	return m, !m.IsZero()
}

// route finds the path breadth first. Edges are visited in symbol order
// and each asset keeps the first edge that reached it, which makes the
// path the smallest, hop by hop, among the shortest.
func (s *snapshot) route(asset market.Asset) (Route, bool) {
	if r, ok := s.routes[asset]; ok {
		if r == nil {
			return Route{}, false
		}
		return *r, true
	}
	if asset == s.v.ref {
		r := &Route{Path: Path{From: asset}, Rate: decimal.NewFromInt(1)}
		s.routes[asset] = r
		return *r, true
	}
	type step struct {
		from market.Asset
		hop  Hop
	}
	prev := map[market.Asset]step{asset: {}}
	queue := []market.Asset{asset}
	for len(queue) > 0 && !has(prev, s.v.ref) {
		a := queue[0]
		queue = queue[1:]
		for _, e := range s.v.edges[a] {
			if has(prev, e.to) {
				continue
			}
			m, ok := s.mid(e.pair)
			if !ok {
				continue
			}
			prev[e.to] = step{from: a, hop: Hop{Pair: e.pair, From: a, To: e.to, Inverted: e.inverted, Price: m}}
			queue = append(queue, e.to)
		}
	}
	if !has(prev, s.v.ref) {
		s.routes[asset] = nil
		return Route{}, false
	}
	var hops []Hop
	for a := s.v.ref; a != asset; a = prev[a].from {
		hops = append(hops, prev[a].hop)
	}
	for i, j := 0, len(hops)-1; i < j; i, j = i+1, j-1 {
		hops[i], hops[j] = hops[j], hops[i]
	}
	r := &Route{Path: Path{From: asset, Hops: hops}, Rate: rate(hops)}
	s.routes[asset] = r
	return *r, true
}

func has[V any](m map[market.Asset]V, a market.Asset) bool {
	_, ok := m[a]
	return ok
}

// rate multiplies the prices of the direct hops and divides once by the
// product of the inverted ones, so a path rounds at most once.
func rate(hops []Hop) decimal.Decimal {
	num, den := decimal.NewFromInt(1), decimal.NewFromInt(1)
	for _, h := range hops {
		if h.Inverted {
			den = den.Mul(h.Price)
		} else {
			num = num.Mul(h.Price)
		}
	}
	if den.Equal(decimal.NewFromInt(1)) {
		return num
	}
	return num.DivRound(den, places)
}

// value returns amount of asset in the reference; ok is false when asset
// has no path.
func (s *snapshot) value(asset market.Asset, amount decimal.Decimal) (decimal.Decimal, bool) {
	if asset == s.v.ref {
		return amount, true
	}
	r, ok := s.route(asset)
	if !ok {
		return decimal.Decimal{}, false
	}
	return r.Value(amount), true
}

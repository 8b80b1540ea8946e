package pnl

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/portfolio"
)

// pricePlaces bounds the decimal places of a price read from a fill
// (quote amount over base amount).
const pricePlaces = 18

// fillPoint is one fill's price.
type fillPoint struct {
	at    time.Time
	seq   uint64
	price decimal.Decimal
}

// Fills is the price history the journal itself holds: every trade entry
// (a fill, or one reconciliation imported) gives its pair's price at its
// time, the quote amount over the base amount. It also learns each pair's
// base and quote from the trades, so a ledger read without the venue can
// still be valued. It is not safe for concurrent use.
type Fills struct {
	pairs  map[string]market.Pair
	series map[string][]fillPoint // by symbol, ordered by time then Seq
}

// NewFills returns an empty history that knows pairs.
func NewFills(pairs []market.Pair) *Fills {
	f := &Fills{pairs: map[string]market.Pair{}, series: map[string][]fillPoint{}}
	for _, p := range pairs {
		f.pairs[p.Symbol] = p
	}
	return f
}

// Pairs returns every pair known, sorted by symbol.
func (f *Fills) Pairs() []market.Pair {
	out := make([]market.Pair, 0, len(f.pairs))
	for _, p := range f.pairs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Symbol < out[j].Symbol })
	return out
}

// Pair returns the spec of symbol, if known.
func (f *Fills) Pair(symbol string) (market.Pair, bool) {
	p, ok := f.pairs[symbol]
	return p, ok
}

// Add learns the price of e if it is a trade naming its pair (ref
// "pair"), and the pair itself when it was not known.
func (f *Fills) Add(e ledger.Entry) {
	tr, ok := TradeOf(e, f.pairs)
	if !ok {
		return
	}
	f.pairs[tr.Pair.Symbol] = tr.Pair
	pt := fillPoint{at: e.Time, seq: e.Seq, price: tr.Price}
	s := f.series[tr.Pair.Symbol]
	i := sort.Search(len(s), func(i int) bool {
		return s[i].at.After(pt.at) || s[i].at.Equal(pt.at) && s[i].seq > pt.seq
	})
	s = append(s, fillPoint{})
	copy(s[i+1:], s[i:])
	s[i] = pt
	f.series[tr.Pair.Symbol] = s
}

// Trade is a fill as a journal entry records it.
type Trade struct {
	Pair market.Pair
	Side market.Side
	// Size is the base traded, Amount the quote, Price Amount over Size.
	Size, Amount, Price decimal.Decimal
}

// TradeOf reads the trade a journal entry records: a trade entry naming
// its pair (ref "pair"), whose base and quote come from known, or else
// from the symbol (base then quote) or the side. ok is false for any
// other entry.
func TradeOf(e ledger.Entry, known map[string]market.Pair) (Trade, bool) {
	if e.Kind != ledger.KindTrade || e.Refs["pair"] == "" {
		return Trade{}, false
	}
	symbol := e.Refs["pair"]
	legs := map[market.Asset]decimal.Decimal{}
	for _, p := range e.Postings {
		if p.Account.Class() == "venue" {
			legs[p.Asset] = legs[p.Asset].Add(p.Amount)
		}
	}
	if len(legs) != 2 {
		return Trade{}, false
	}
	pair, ok := known[symbol]
	if !ok {
		if pair, ok = pairOf(symbol, e.Refs["side"], legs); !ok {
			return Trade{}, false
		}
	}
	base, quote := legs[pair.Base], legs[pair.Quote]
	if base.IsZero() || quote.IsZero() {
		return Trade{}, false
	}
	side := market.Buy
	if base.IsNegative() {
		side = market.Sell
	}
	return Trade{Pair: pair, Side: side, Size: base.Abs(), Amount: quote.Abs(), Price: quote.Abs().DivRound(base.Abs(), pricePlaces)}, true
}

// pairOf works out a trade's pair from its symbol and legs: the symbol
// spelled base then quote, or else the side (a buy credits the base).
func pairOf(symbol, side string, legs map[market.Asset]decimal.Decimal) (market.Pair, bool) {
	var assets []market.Asset
	for a := range legs {
		assets = append(assets, a)
	}
	for _, a := range [][2]market.Asset{{assets[0], assets[1]}, {assets[1], assets[0]}} {
		if string(a[0])+string(a[1]) == symbol {
			return market.Pair{Symbol: symbol, Base: a[0], Quote: a[1]}, true
		}
	}
	for _, a := range assets {
		credited := legs[a].IsPositive()
		if side == string(market.Buy) && credited || side == string(market.Sell) && !credited {
			other := assets[0]
			if other == a {
				other = assets[1]
			}
			return market.Pair{Symbol: symbol, Base: a, Quote: other}, true
		}
	}
	return market.Pair{}, false
}

// Last returns the price of symbol's last fill at or before t; else of
// its first fill after t (an opening balance booked before the pair
// first traded is valued at its first trade); ok is false for a pair
// never filled.
func (f *Fills) Last(symbol string, t time.Time) (decimal.Decimal, bool) {
	p, ok, _ := f.last(symbol, t)
	return p, ok
}

// last is Last, with before false when the price is of a fill after t.
func (f *Fills) last(symbol string, t time.Time) (p decimal.Decimal, ok, before bool) {
	s := f.series[symbol]
	if len(s) == 0 {
		return decimal.Decimal{}, false, false
	}
	i := sort.Search(len(s), func(i int) bool { return s[i].at.After(t) })
	if i == 0 {
		return s[0].price, true, false
	}
	return s[i-1].price, true, true
}

// Source is a PriceSource in layers: each pair's quote comes from the
// first layer that has one.
type Source []portfolio.PriceSource

// Quote implements portfolio.PriceSource.
func (s Source) Quote(symbol string) (portfolio.Quote, bool) {
	for _, l := range s {
		if l == nil {
			continue
		}
		if q, ok := l.Quote(symbol); ok {
			return q, true
		}
	}
	return portfolio.Quote{}, false
}

// at is the PriceSource of the fills at one instant.
type at struct {
	f *Fills
	t time.Time
}

func (a at) Quote(symbol string) (portfolio.Quote, bool) {
	p, ok := a.f.Last(symbol, a.t)
	return portfolio.Quote{Bid: p, Ask: p}, ok
}

// At returns the fills' prices in force at t (see Last).
func (f *Fills) At(t time.Time) portfolio.PriceSource { return at{f, t} }

// ReadPrices reads a price file: one pair a line, "SYMBOL PRICE" for a
// pair the journal or the venue knows, or "BASE/QUOTE PRICE" for any;
// "SYMBOL BID ASK" gives both sides. Blank lines and lines starting with
// "#" are skipped. The pairs written BASE/QUOTE are returned too.
func ReadPrices(r io.Reader) (portfolio.Prices, []market.Pair, error) {
	prices := portfolio.Prices{}
	var pairs []market.Pair
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 && len(f) != 3 {
			return nil, nil, fmt.Errorf("line %d: want \"PAIR PRICE\" or \"PAIR BID ASK\"", n)
		}
		var q portfolio.Quote
		for i, s := range f[1:] {
			d, err := decimal.NewFromString(s)
			if err != nil || !d.IsPositive() {
				return nil, nil, fmt.Errorf("line %d: price %q: want a positive decimal", n, s)
			}
			if i == 0 {
				q.Bid, q.Ask = d, d
			} else {
				q.Ask = d
			}
		}
		symbol := f[0]
		if base, quote, ok := strings.Cut(symbol, "/"); ok {
			if base == "" || quote == "" || base == quote {
				return nil, nil, fmt.Errorf("line %d: pair %q: want BASE/QUOTE", n, symbol)
			}
			symbol = base + quote
			pairs = append(pairs, market.Pair{Symbol: symbol, Base: market.Asset(base), Quote: market.Asset(quote)})
		}
		prices[symbol] = q
	}
	return prices, pairs, sc.Err()
}

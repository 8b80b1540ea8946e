package portfolio

import (
	"sort"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// flow says what moved a held quantity.
type flow uint8

const (
	flowTrade    flow = iota + 1 // exchanged with a counterparty
	flowFee                      // paid to a fees account (negative: a rebate)
	flowExternal                 // in from or out to an external, opening or adjustment account
)

// event is one asset's change of holding in one entry, valued at the
// entry's time: what the book folds. Events are kept so that a reversal
// can replay the book without the entry it undoes.
type event struct {
	asset market.Asset
	q, v  decimal.Decimal // change of quantity and its value (same sign, or v zero)
	flow  flow
	key   string // attribution key of the entry
	day   string // the entry's day in the day zone
}

// legs sums an entry's postings per asset by the class of the account on
// the outside of the holdings: what the holdings received from it is
// minus the sum.
type legs struct {
	trade, fee, external map[market.Asset]decimal.Decimal
}

func legsOf(ps []ledger.Posting) legs {
	l := legs{trade: map[market.Asset]decimal.Decimal{}, fee: map[market.Asset]decimal.Decimal{}, external: map[market.Asset]decimal.Decimal{}}
	for _, p := range ps {
		var m map[market.Asset]decimal.Decimal
		switch p.Account.Class() {
		case "counterparty":
			m = l.trade
		case "fees":
			m = l.fee
		case "external", "equity":
			m = l.external
		default: // venue and transit: the holdings themselves
			continue
		}
		m[p.Asset] = m[p.Asset].Sub(p.Amount)
	}
	return l
}

// sortedNonZero returns the assets of m with a non-zero amount, sorted.
func sortedNonZero(m map[market.Asset]decimal.Decimal) []market.Asset {
	out := make([]market.Asset, 0, len(m))
	for a, q := range m {
		if !q.IsZero() {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// eventsOf values an entry's changes of holding at the prices of its time,
// in the order the book folds them: what came in from outside, then trade
// legs, then fees, then what went out. It returns an *UnpricedError when
// a needed value has no price path.
func (b *Book) eventsOf(e ledger.Entry, key string) ([]event, error) {
	l := legsOf(e.Postings)
	day := e.Time.In(b.cfg.DayZone).Format(dayLayout)
	var snap *snapshot // built on first need: an entry in the reference needs no prices
	value := func(a market.Asset, q decimal.Decimal) (decimal.Decimal, error) {
		if a == b.cfg.Reference {
			return q, nil
		}
		if snap == nil {
			var ps PriceSource
			if b.history != nil {
				ps = b.history.At(e.Time)
			}
			snap = b.valuer.snapshot(ps)
		}
		v, ok := snap.value(a, q)
		if !ok {
			return decimal.Decimal{}, &UnpricedError{Entry: e.Key, Asset: a, Reference: b.cfg.Reference, At: e.Time}
		}
		return v, nil
	}
	var in, out []event
	for _, a := range sortedNonZero(l.external) {
		q := l.external[a]
		v, err := value(a, q)
		if err != nil {
			return nil, err
		}
		if q.IsPositive() {
			in = append(in, event{asset: a, q: q, v: v, flow: flowExternal})
		} else {
			out = append(out, event{asset: a, q: q, v: v, flow: flowExternal})
		}
	}
	trades, err := b.tradeEvents(e, l.trade, value)
	if err != nil {
		return nil, err
	}
	evs := append(in, trades...)
	for _, a := range sortedNonZero(l.fee) {
		v, err := value(a, l.fee[a])
		if err != nil {
			return nil, err
		}
		evs = append(evs, event{asset: a, q: l.fee[a], v: v, flow: flowFee})
	}
	evs = append(evs, out...)
	for i := range evs {
		evs[i].key, evs[i].day = key, day
	}
	return evs, nil
}

// tradeEvents values the trade legs. What was given and what was got are
// worth the same, V, so a trade moves value between assets and realises
// the difference with the basis of what was given, but creates none: the
// cost of what was got is what was given, at V. V is, in order of
// preference: the amount of the reference when it is the only asset on
// its side; the value of the quote of the entry's "pair" ref (what the
// venue priced the trade in) when it is the only asset on its side; the
// value of the whole given side; the value of the whole got side. A side
// of several assets shares V (see split). A trade with nothing on one
// side (a gift, a loss) is booked at zero consideration.
func (b *Book) tradeEvents(e ledger.Entry, legs map[market.Asset]decimal.Decimal, value func(market.Asset, decimal.Decimal) (decimal.Decimal, error)) ([]event, error) {
	var given, got []market.Asset
	for _, a := range sortedNonZero(legs) {
		if legs[a].IsNegative() {
			given = append(given, a)
		} else {
			got = append(got, a)
		}
	}
	if len(given) == 0 || len(got) == 0 {
		evs := make([]event, 0, len(given)+len(got))
		for _, a := range append(given, got...) {
			evs = append(evs, event{asset: a, q: legs[a], flow: flowTrade})
		}
		return evs, nil
	}
	sideValue := func(side []market.Asset) (decimal.Decimal, error) {
		var sum decimal.Decimal
		for _, a := range side {
			v, err := value(a, legs[a].Abs())
			if err != nil {
				return decimal.Decimal{}, err
			}
			sum = sum.Add(v)
		}
		return sum, nil
	}
	total, err := b.consideration(e, given, got, sideValue)
	if err != nil {
		return nil, err
	}
	gv, err := split(total, given, legs, b.cfg.Reference, sideValue)
	if err != nil {
		return nil, err
	}
	av, err := split(total, got, legs, b.cfg.Reference, sideValue)
	if err != nil {
		return nil, err
	}
	evs := make([]event, 0, len(given)+len(got))
	for i, a := range given {
		evs = append(evs, event{asset: a, q: legs[a], v: gv[i].Neg(), flow: flowTrade})
	}
	for i, a := range got {
		evs = append(evs, event{asset: a, q: legs[a], v: av[i], flow: flowTrade})
	}
	return evs, nil
}

// consideration is the value V of a trade (see tradeEvents).
func (b *Book) consideration(e ledger.Entry, given, got []market.Asset, sideValue func([]market.Asset) (decimal.Decimal, error)) (decimal.Decimal, error) {
	anchors := []market.Asset{b.cfg.Reference}
	if p, ok := b.valuer.pairs[e.Refs["pair"]]; ok {
		anchors = append(anchors, p.Quote)
	}
	for _, a := range anchors {
		for _, side := range [][]market.Asset{given, got} {
			if len(side) != 1 || side[0] != a {
				continue
			}
			if v, err := sideValue(side); err == nil {
				return v, nil
			}
		}
	}
	if v, err := sideValue(given); err == nil {
		return v, nil
	}
	return sideValue(got)
}

// split shares total among the assets of one side: the reference, if it
// is one of them, at its amount, the others in proportion to their values
// (equally when they are all worth nothing), the last taking the
// remainder so that the shares sum to total exactly.
func split(total decimal.Decimal, side []market.Asset, legs map[market.Asset]decimal.Decimal, ref market.Asset, sideValue func([]market.Asset) (decimal.Decimal, error)) ([]decimal.Decimal, error) {
	out := make([]decimal.Decimal, len(side))
	if len(side) == 1 {
		out[0] = total
		return out, nil
	}
	rest := total
	var others []int
	weights := make([]decimal.Decimal, len(side))
	var sum decimal.Decimal
	for i, a := range side {
		if a == ref {
			out[i] = legs[a].Abs()
			rest = rest.Sub(out[i])
			continue
		}
		w, err := sideValue([]market.Asset{a})
		if err != nil {
			return nil, err
		}
		others, weights[i], sum = append(others, i), w, sum.Add(w)
	}
	if sum.IsZero() {
		for _, i := range others {
			weights[i] = decimal.NewFromInt(1)
		}
		sum = decimal.NewFromInt(int64(len(others)))
	}
	shared := rest
	for _, i := range others[:len(others)-1] {
		out[i] = shared.Mul(weights[i]).DivRound(sum, places)
		rest = rest.Sub(out[i])
	}
	out[others[len(others)-1]] = rest
	return out, nil
}

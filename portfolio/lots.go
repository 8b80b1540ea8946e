package portfolio

import (
	"sort"

	"github.com/shopspring/decimal"
)

// lot is a quantity acquired by one attribution key. Lots of a position
// all have the position's sign: a short position (more disposed of than
// held) is a queue of negative lots whose cost is minus the proceeds.
type lot struct {
	key  string
	qty  decimal.Decimal
	cost decimal.Decimal // FIFO only: under Average the position's cost is pooled
}

// position is the holding of one asset: quantity, cost basis and lots.
// Invariants: qty is the sum of the lots' quantities; under FIFO cost is
// the sum of their costs; qty zero implies cost zero and no lots.
type position struct {
	qty  decimal.Decimal
	cost decimal.Decimal
	lots []lot // oldest first
}

// apply books a change of q units valued v (same sign as q, or zero:
// positive v is the cost of what came in, negative v minus the proceeds of
// what went out) and returns the profit realised. The part of q opposite
// to the position closes it, first; what remains opens new lots.
func (p *position) apply(q, v decimal.Decimal, key string, m Method) decimal.Decimal {
	var realised decimal.Decimal
	if !p.qty.IsZero() && !q.IsZero() && p.qty.Sign() != q.Sign() {
		c, vc := q, v // the closing part of the change, and its value
		if q.Abs().GreaterThan(p.qty.Abs()) {
			c = p.qty.Neg()
			vc = v.Mul(c).DivRound(q, places)
		}
		basis := p.take(c.Neg(), m)
		realised = vc.Add(basis).Neg()
		q, v = q.Sub(c), v.Sub(vc)
	}
	if !q.IsZero() {
		p.qty, p.cost = p.qty.Add(q), p.cost.Add(v)
		l := lot{key: key, qty: q, cost: v}
		if m == Average {
			l.cost = decimal.Decimal{}
			if n := len(p.lots); n > 0 && p.lots[n-1].key == key {
				p.lots[n-1].qty = p.lots[n-1].qty.Add(q)
				return realised
			}
		}
		p.lots = append(p.lots, l)
	}
	return realised
}

// take removes t units (t has the position's sign, |t| <= |qty|) and
// returns their cost basis: the oldest lots' costs under FIFO, the
// average cost under Average. Lots are consumed oldest first under both
// methods, which says whose units left.
func (p *position) take(t decimal.Decimal, m Method) decimal.Decimal {
	var basis decimal.Decimal
	if m == Average {
		basis = p.cost
		if !t.Equal(p.qty) {
			basis = p.cost.Mul(t).DivRound(p.qty, places)
		}
	}
	rest := t
	for !rest.IsZero() && len(p.lots) > 0 {
		l := &p.lots[0]
		if rest.Abs().GreaterThanOrEqual(l.qty.Abs()) {
			rest = rest.Sub(l.qty)
			if m == FIFO {
				basis = basis.Add(l.cost)
			}
			p.lots = p.lots[1:]
			continue
		}
		if m == FIFO {
			part := l.cost.Mul(rest).DivRound(l.qty, places)
			l.cost = l.cost.Sub(part)
			basis = basis.Add(part)
		}
		l.qty = l.qty.Sub(rest)
		rest = decimal.Decimal{}
	}
	p.qty, p.cost = p.qty.Sub(t), p.cost.Sub(basis)
	if p.qty.IsZero() {
		p.lots = nil
	}
	return basis
}

// share is what one attribution key holds of a position.
type share struct {
	key       string
	qty, cost decimal.Decimal
}

// shares splits the position by key, sorted by key. Under Average the
// pooled cost is shared in proportion to quantity, the last key taking the
// remainder, so the shares' costs sum to the position's exactly.
func (p *position) shares(m Method) []share {
	byKey := map[string]*share{}
	var out []*share
	for _, l := range p.lots {
		s := byKey[l.key]
		if s == nil {
			s = &share{key: l.key}
			byKey[l.key] = s
			out = append(out, s)
		}
		s.qty, s.cost = s.qty.Add(l.qty), s.cost.Add(l.cost)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	res := make([]share, len(out))
	var given decimal.Decimal
	for i, s := range out {
		if m == Average {
			s.cost = p.cost.Sub(given)
			if i < len(out)-1 {
				s.cost = p.cost.Mul(s.qty).DivRound(p.qty, places)
			}
			given = given.Add(s.cost)
		}
		res[i] = *s
	}
	return res
}

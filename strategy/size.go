package strategy

import (
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// sizeLimits returns the pair's minimum and maximum for an amount in the
// base asset (quote false) or in the quote currency (quote true). Zero
// means no limit.
func sizeLimits(p market.Pair, quote bool) (lo, hi decimal.Decimal) {
	if quote {
		return p.MinQuoteSize, p.MaxQuoteSize
	}
	return p.MinSize, p.MaxSize
}

// below reports whether x is under the limit lo (a zero lo is no limit).
func below(x, lo decimal.Decimal) bool { return lo.IsPositive() && x.LessThan(lo) }

// above reports whether x is over the limit hi (a zero hi is no limit).
func above(x, hi decimal.Decimal) bool { return hi.IsPositive() && x.GreaterThan(hi) }

// percent turns a percentage (1.0 = 1%) into a fraction.
func percent(p decimal.Decimal) decimal.Decimal { return p.Div(decimal.NewFromInt(100)) }

// split divides total into the fewest parts no larger than hi, as equal as
// the precision allows; the last part takes the remainder, so the parts sum
// to total exactly. A zero hi means one part.
func split(total, hi decimal.Decimal, places int32) []decimal.Decimal {
	if !above(total, hi) {
		return []decimal.Decimal{total}
	}
	n := total.Div(hi).Ceil()
	part := total.DivRound(n, places+2).RoundCeil(places)
	if part.GreaterThan(hi) {
		part = hi
	}
	count := int(n.IntPart())
	parts := make([]decimal.Decimal, 0, count)
	rest := total
	for range count - 1 {
		parts = append(parts, part)
		rest = rest.Sub(part)
	}
	return append(parts, rest)
}

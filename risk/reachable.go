package risk

import (
	"fmt"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// Unreachable returns why a strategy with needs n could never get an
// intent past these limits with prices only for fed (the pairs with a
// price feed), or nothing. Each reason is one the check would give on
// every intent, for ever: a pair with no price, a notional that cannot be
// valued in Reference, more slippage than MaxSlippage.
func (l Limits) Unreachable(n strategy.Needs, fed []market.Pair) []string {
	var out []string
	if n.MaxSlippage.GreaterThan(l.MaxSlippage.Decimal) {
		out = append(out, fmt.Sprintf("allows %s%% slippage, above risk.max_slippage %s%%: risk would reject every intent",
			n.MaxSlippage, l.MaxSlippage.Decimal))
	}
	valued := func(p market.Pair) {
		if p.Quote == l.Reference {
			return
		}
		if _, ok := join(fed, p.Quote, l.Reference); !ok {
			out = append(out, fmt.Sprintf("trades %s, whose notional (in %s) cannot be valued in risk.reference %s: no pair in feeds.pairs joins them, so risk would reject every intent (no_price)",
				p.Symbol, p.Quote, l.Reference))
		}
	}
	for _, s := range n.Pairs {
		p, ok := bySymbol(fed, s)
		if !ok {
			out = append(out, fmt.Sprintf("trades %s, which has no price feed: add it to feeds.pairs", s))
			continue
		}
		valued(p)
	}
	for _, j := range n.Joins {
		p, ok := join(fed, j[0], j[1])
		if !ok {
			out = append(out, fmt.Sprintf("converts between %s and %s, but no pair in feeds.pairs joins them", j[0], j[1]))
			continue
		}
		valued(p)
	}
	return out
}

func bySymbol(ps []market.Pair, s string) (market.Pair, bool) {
	for _, p := range ps {
		if p.Symbol == s {
			return p, true
		}
	}
	return market.Pair{}, false
}

// join returns the pair joining a and b, either way round.
func join(ps []market.Pair, a, b market.Asset) (market.Pair, bool) {
	for _, p := range ps {
		if p.Base == a && p.Quote == b || p.Base == b && p.Quote == a {
			return p, true
		}
	}
	return market.Pair{}, false
}

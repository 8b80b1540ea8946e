package strategy

import (
	"slices"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Needs is what a strategy must have to trade at all: the pairs it names,
// the assets it converts between (by whichever listed pair joins them),
// and the most slippage its intents allow. Start-up checks them against
// the price feeds and the risk limits, so a strategy that could never
// trade (a pair without a feed, a notional risk cannot value, a slippage
// risk rejects every time) is refused instead of skipping for ever.
type Needs struct {
	Pairs       []string          // pair symbols it trades
	Joins       [][2]market.Asset // assets it converts between, either way round
	MaxSlippage decimal.Decimal   // percent
}

// Needer is implemented by strategies that declare their Needs. All the
// built-ins do.
type Needer interface {
	Needs() Needs
}

// Needs: the threshold's pair.
func (t *Threshold) Needs() Needs {
	return Needs{Pairs: []string{t.p.Pair}, MaxSlippage: t.p.MaxSlippage.Decimal}
}

// Needs: the TWAP's pair.
func (t *TWAP) Needs() Needs {
	return Needs{Pairs: []string{t.p.Pair}, MaxSlippage: t.p.MaxSlippage.Decimal}
}

// Needs: each weighted asset joined to the reference it is valued in.
func (r *Rebalance) Needs() Needs {
	n := Needs{MaxSlippage: r.p.MaxSlippage.Decimal}
	assets := make([]string, 0, len(r.p.Weights))
	for a := range r.p.Weights {
		assets = append(assets, a)
	}
	slices.Sort(assets)
	for _, a := range assets {
		if market.Asset(a) != r.p.Reference {
			n.Joins = append(n.Joins, [2]market.Asset{market.Asset(a), r.p.Reference})
		}
	}
	return n
}

// Needs: the pair joining what it converts from and to.
func (a *Autoconvert) Needs() Needs {
	return Needs{Joins: [][2]market.Asset{{a.p.From, a.p.To}}, MaxSlippage: a.p.MaxSlippage.Decimal}
}

package daemon

import (
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/sim"
)

// shadowFeed is shadow mode's price feed: Hercle's own hub, reached with
// HERCLE_API_KEY, whose prices go to the strategies as in live mode and
// set the in-process simulator's mid, so the orders the engine sends the
// simulator fill at the real market. The hub client can only subscribe
// to prices; no REST client to Hercle exists in this mode, so nothing
// that moves money can leave for it.
func (r *run) shadowFeed() (base, key string, onPrice func(hub.PriceUpdate)) {
	d := r.d
	base = d.cfg.Hercle.BaseURL
	if base == "" {
		base = hercle.ProductionURL
		if d.cfg.Hercle.Environment == "sandbox" {
			base = hercle.SandboxURL
		}
	}
	v := r.simSrv.Venue()
	d.log.Info("shadow mode: prices from Hercle's hub, fills by the in-process simulator", "prices_from", base)
	two := decimal.NewFromInt(2)
	return base, d.secrets.HercleAPIKey.Reveal(), func(p hub.PriceUpdate) {
		// The simulator's price first: a strategy acting on the tick
		// gets a quote at this price.
		if p.BuyPrice.IsPositive() && p.SellPrice.IsPositive() {
			if err := v.SetPrice(p.Pair, p.BuyPrice.Add(p.SellPrice.Decimal).Div(two)); err != nil {
				d.log.Warn("shadow mode: the simulator cannot follow this pair's price", "pair", p.Pair, "err", err)
			}
		}
		r.source.HandlePrice(p)
	}
}

// shadowPairs are the simulator's pairs in shadow mode: its defaults,
// still (no walk of their own) until Hercle's prices move them.
func shadowPairs() []sim.PairConfig {
	ps := sim.DefaultPairs()
	for i := range ps {
		ps[i].VolatilityBps = 0
	}
	return ps
}

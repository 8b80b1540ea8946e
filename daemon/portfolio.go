package daemon

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/portfolio"
	"github.com/otcdesk/engine/scheduler"
)

// startPortfolio follows the ledger into the portfolio (package pnl) on
// its own goroutine: a replay of the journal, then every commit. It
// values holdings at the feed's last prices. It never holds the loop up.
func (r *run) startPortfolio(context.Context) error {
	d := r.d
	cfg, err := d.cfg.Portfolio.Config(d.cfg.Risk.Reference, d.cfg.Risk.DayZone)
	if err != nil {
		return err
	}
	view := r.source.View()
	f, err := pnl.NewFollower(pnl.FollowerOptions{
		Ledger: r.store,
		Options: pnl.Options{Config: cfg, Pairs: r.pairs,
			Fallback: func() portfolio.PriceSource { return feedPrices{view} }},
		PricesFrom: "the feed's last prices",
		Keys:       d.attributionKeys(),
		Logger:     d.log.With("component", "portfolio"),
		Registerer: d.reg,
		Clock:      d.o.Clock,
	})
	if err != nil {
		return err
	}
	r.pf = f
	d.mu.Lock()
	d.portfolio = f
	d.mu.Unlock()
	r.g.start("portfolio", f.Run)
	return nil
}

// attributionKeys are the keys the portfolio metrics are labelled with:
// every configured strategy, enabled or not, and treasury policy.
func (d *Daemon) attributionKeys() []string {
	var keys []string
	for _, s := range d.cfg.Strategies {
		keys = append(keys, s.Name)
	}
	for name := range d.cfg.Treasury.Policies {
		keys = append(keys, pnl.TreasuryKey(name))
	}
	sort.Strings(keys)
	return keys
}

// feedPrices are the feed's last ticks as portfolio quotes.
type feedPrices struct{ v *feeds.View }

func (p feedPrices) Quote(symbol string) (portfolio.Quote, bool) {
	t, ok := p.v.Last(symbol)
	if !ok {
		return portfolio.Quote{}, false
	}
	return portfolio.QuoteOf(t), true
}

// portfolioOrNil returns the portfolio, nil before start-up made it.
func (d *Daemon) portfolioOrNil() *pnl.Follower {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.portfolio
}

// portfolioView answers GET /admin/portfolio: positions per asset and
// venue, in transit, valued with their paths, PnL by key and by day.
func (d *Daemon) portfolioView(r *http.Request) (int, any) {
	f := d.portfolioOrNil()
	if f == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	p, err := f.Portfolio(ctx)
	if err != nil {
		return http.StatusServiceUnavailable, errBody(err.Error())
	}
	return http.StatusOK, p
}

// pnlView answers GET /admin/pnl?since=&by=.
func (d *Daemon) pnlView(r *http.Request) (int, any) {
	f := d.portfolioOrNil()
	if f == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	zone, err := scheduler.ParseZone(d.cfg.Risk.DayZone)
	if err != nil {
		return http.StatusInternalServerError, errBody(err.Error())
	}
	q, err := pnl.ParseQuery(r.URL.Query().Get("since"), r.URL.Query().Get("by"), d.o.Clock.Now(), zone)
	if err != nil {
		return http.StatusBadRequest, errBody(err.Error())
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	v, err := f.PnL(ctx, q)
	if err != nil {
		return http.StatusServiceUnavailable, errBody(err.Error())
	}
	return http.StatusOK, v
}

// errBody is an admin error answer.
func errBody(msg string) map[string]string { return map[string]string{"error": msg} }

package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/pnl"
)

// startSummary logs, every portfolio.summary_every, one line that says
// where the engine stands: its state, equity and PnL in the reference,
// open intents and the last reconciliation. A quiet engine is then seen
// to be alive and well, not guessed to be.
func (r *run) startSummary(context.Context) error {
	every := r.d.cfg.Portfolio.SummaryEvery.Duration
	if every <= 0 || r.pf == nil {
		return nil
	}
	r.g.start("summary", func(ctx context.Context) error {
		for {
			t := r.d.o.Clock.NewTimer(every)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C():
			}
			r.d.logSummary(ctx, r.pf, r.store)
		}
	})
	return nil
}

// logSummary logs the summary line. What cannot be read in time is left
// out of the line, with the reason, rather than holding it up.
func (d *Daemon) logSummary(ctx context.Context, f *pnl.Follower, store *ledger.Store) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var attrs []any
	if st, _, err := d.readStatus(ctx); err == nil {
		attrs = append(attrs, "state", st.State, "open_intents", st.OpenIntents)
		if len(st.Stale) > 0 {
			attrs = append(attrs, "stale_pairs", st.Stale)
		}
	} else {
		attrs = append(attrs, "status_err", err.Error())
	}
	if p, err := f.Portfolio(ctx); err == nil {
		ref := " " + string(p.Reference)
		attrs = append(attrs, "equity", money(p.Equity)+ref, "in_transit", money(p.InTransit)+ref,
			"realised", money(p.Totals.Realised)+ref, "unrealised", money(p.Totals.Unrealised)+ref, "fees", money(p.Totals.Fees)+ref)
		if !p.Complete {
			attrs = append(attrs, "unvalued", fmt.Sprint(p.Unvalued))
		}
	} else {
		attrs = append(attrs, "portfolio_err", err.Error())
	}
	switch rep, err := store.LastReport(ctx); {
	case err == nil && rep.Breaks == 0:
		attrs = append(attrs, "reconcile", "clean at "+rep.Finished.UTC().Format(time.TimeOnly))
	case err == nil:
		attrs = append(attrs, "reconcile", fmt.Sprintf("%d breaks at %s", rep.Breaks, rep.Finished.UTC().Format(time.TimeOnly)))
	case errors.Is(err, ledger.ErrNotFound):
		attrs = append(attrs, "reconcile", "not run yet")
	default:
		attrs = append(attrs, "reconcile_err", err.Error())
	}
	d.log.Info("summary", attrs...)
}

// money rounds an amount in the reference for a person to read: cents
// from one unit up, eight places below (a reference such as BTC).
func money(v decimal.Decimal) string {
	if v.Abs().LessThan(decimal.NewFromInt(1)) {
		return v.Round(8).String()
	}
	return v.StringFixed(2)
}

package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// riskedConverter puts treasury's conversions through risk's pre-trade
// check, as every strategy intent is (order and daily notional, slippage,
// pair sizes, fresh price, balances and positions, kill switch and gate),
// so a treasury trade counts toward the same daily totals. A refusal is a
// failed conversion and sends nothing; the reservation is given back when
// nothing moved.
type riskedConverter struct {
	exec *execution.Executor
	risk *risk.Engine
	view func() strategy.View
	log  *slog.Logger
}

func (c riskedConverter) Execute(ctx context.Context, in strategy.Intent) execution.Result {
	a, err := c.risk.Check(ctx, time.Now(), c.view(), in)
	if err != nil {
		return execution.Result{Intent: in, Status: execution.Failed, Detail: "refused by risk: " + err.Error()}
	}
	r := c.exec.Execute(ctx, in)
	if r.Status == execution.Failed {
		if err := c.risk.Release(context.WithoutCancel(ctx), a); err != nil {
			c.log.Error("release risk reservation", "client_id", r.Intent.ID, "err", err)
		}
	}
	return r
}

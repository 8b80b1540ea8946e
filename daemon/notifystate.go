package daemon

import (
	"context"
	"time"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/notify"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
)

// reconcilePrefix starts the risk stop reason of reconciliation's pause.
const reconcilePrefix = "reconciliation breaks: "

// startNotifyState tells the desk when trading stops or resumes (the kill
// switch, a pause by whoever asked, the breaker) and sends the daily
// summary at midnight in risk.day_zone.
func (r *run) startNotifyState(context.Context) error {
	d := r.d
	zone, err := scheduler.ParseZone(d.cfg.Risk.DayZone)
	if err != nil {
		return err
	}
	r.g.start("notify state", func(ctx context.Context) error {
		watchStops(ctx, d.o.Clock, r.eng.Risk, d.notifier, time.Second)
		return nil
	})
	r.g.start("daily summary", func(ctx context.Context) error {
		dailySummaries(ctx, d.o.Clock, r.pf, d.notifier, zone)
		return nil
	})
	return nil
}

// stopState is what stops trading, as risk says it.
type stopState struct {
	stopped bool
	reason  string
	breaker bool
}

// watchStops reads risk's stop every interval and tells each change:
// whatever turned it on or off (an operator, reconciliation, failing
// ledger writes, the breaker's cooldown), it is seen here once.
func watchStops(ctx context.Context, clk clock.Clock, rk *risk.Engine, n *notify.Notifier, every time.Duration) {
	read := func() stopState {
		now := clk.Now()
		stopped, why := rk.Killed()
		return stopState{stopped: stopped, reason: why, breaker: rk.BreakerOpen(now)}
	}
	prev := read()
	if prev.stopped {
		n.Notify(killEvent(prev.reason, true, clk.Now()))
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := read()
		if cur.stopped != prev.stopped || cur.reason != prev.reason {
			if prev.stopped && !cur.stopped {
				n.Notify(killEvent(prev.reason, false, clk.Now()))
			}
			if cur.stopped {
				n.Notify(killEvent(cur.reason, true, clk.Now()))
			}
		}
		if cur.breaker != prev.breaker {
			n.Notify(notify.KillEvent(notify.Kill{Kind: notify.Breaker, On: cur.breaker, Time: clk.Now(),
				Reason: "too many rejections by the venue"}))
		}
		prev = cur
	}
}

func killEvent(reason string, on bool, now time.Time) notify.Event {
	kind, why, by := killKind(reason)
	return notify.KillEvent(notify.Kill{Kind: kind, On: on, Reason: why, By: by, Time: now})
}

// dailySummaries sends, at each midnight in zone, the summary of the day
// that ended, from the portfolio.
func dailySummaries(ctx context.Context, clk clock.Clock, f *pnl.Follower, n *notify.Notifier, zone *time.Location) {
	for {
		now := clk.Now().In(zone)
		y, m, dd := now.Date()
		next := time.Date(y, m, dd+1, 0, 0, 0, 0, zone)
		t := clk.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		p, err := f.Portfolio(qctx)
		cancel()
		if err != nil {
			continue // the day's summary is missed; the next one follows
		}
		n.Notify(dailyEvent(p, next.AddDate(0, 0, -1).Format("2006-01-02")))
	}
}

// dailyEvent is the summary of day: what the portfolio booked on it, and
// what it holds and is worth now.
func dailyEvent(p pnl.Portfolio, day string) notify.Event {
	ref := " " + string(p.Reference)
	d := notify.Daily{Day: day, Time: p.At}
	for _, a := range p.Assets {
		if !a.Quantity.IsZero() {
			d.Balances = append(d.Balances, notify.Balance{Asset: a.Asset, Amount: a.Quantity})
		}
	}
	for _, b := range p.ByDay {
		if b.Day == day {
			d.Figures = append(d.Figures,
				notify.Field{Name: "realised PnL", Value: notify.Number(b.Realised) + ref},
				notify.Field{Name: "fees", Value: notify.Number(b.Fees) + ref},
				notify.Field{Name: "inflows", Value: notify.Number(b.Inflows) + ref},
				notify.Field{Name: "outflows", Value: notify.Number(b.Outflows) + ref})
		}
	}
	d.Figures = append(d.Figures,
		notify.Field{Name: "equity", Value: notify.Number(p.Equity) + ref},
		notify.Field{Name: "unrealised PnL", Value: notify.Number(p.Totals.Unrealised) + ref})
	if p.Pending > 0 {
		d.Figures = append(d.Figures, notify.Field{Name: "entries not booked", Value: p.Reason})
	}
	return notify.DailyEvent(d)
}

package trader

// Deciding and concluding: risk's approval of a strategy's trade, a
// command's trade or movement, and what the loop does with each result.

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// decide runs risk on a trade and queues it for execution; the error is a
// refusal (nothing recorded). s is nil for a command, answered on reply.
func (l *Loop) decide(ctx context.Context, s strategy.Strategy, in strategy.Intent, reply chan<- execution.Result) error {
	id, err := l.o.NewID()
	if err != nil {
		return fmt.Errorf("client id: %w", err)
	}
	in.ID = id
	l.metrics.decisions.WithLabelValues(in.Strategy).Inc()
	a, err := l.o.Risk.Check(ctx, l.state.Clock, &l.state, in)
	if err != nil {
		l.log.Info("intent rejected by risk", "strategy", in.Strategy, "intent", in.String(), "err", err)
		return err
	}
	l.log.Info("intent approved", "strategy", in.Strategy, "client_id", in.ID, "intent", in.String(), "reason", in.Reason)
	asset, amount := risk.Spend(l.state.Specs[in.Pair], l.state.Ticks[in.Pair], in)
	l.open[id] = &open{s: s, gen: l.gen[in.Strategy], appr: a, hold: hold{ledger.Hercle, asset, amount}, reply: reply}
	l.state.Open = append(l.state.Open, in)
	l.refreshBalances()
	l.dispatch = append(l.dispatch, job{trade: &in})
	return nil
}

// command1 runs risk on a submitted trade or movement and queues it for
// execution, or answers its refusal.
func (l *Loop) command1(ctx context.Context, c commandEvent) {
	if c.trade != nil {
		in := *c.trade
		if err := l.decide(ctx, nil, in, c.reply); err != nil {
			l.metrics.intents.WithLabelValues(in.Strategy, "rejected").Inc()
			c.reply <- execution.Result{Intent: in, Status: execution.Rejected, Detail: "refused by risk: " + err.Error(), Err: err, Time: l.state.Clock}
		}
		return
	}
	m := *c.move
	if err := l.approveMove(ctx, &m, c.reply); err != nil {
		l.metrics.intents.WithLabelValues(m.Policy, "rejected").Inc()
		c.reply <- execution.Result{Movement: m, Status: execution.Rejected, Detail: "refused by risk: " + err.Error(), Err: err, Time: l.state.Clock}
	}
}

// approveMove runs risk's transfer check on a movement, against the
// available balance of the venue it leaves from, and queues it.
func (l *Loop) approveMove(ctx context.Context, m *execution.Movement, reply chan<- execution.Result) error {
	// A movement may come with its Client-Id (a customer payout's external
	// order id, which the caller chose so that asking again cannot pay
	// twice); otherwise the loop gives it one.
	id := m.ID
	if id == "" {
		var err error
		if id, err = l.o.NewID(); err != nil {
			return fmt.Errorf("client id: %w", err)
		}
	} else if _, busy := l.open[id]; busy {
		return fmt.Errorf("client id %s is already in flight", id)
	}
	m.ID = id
	t := risk.Transfer{Destination: m.Destination, Asset: m.Asset, Amount: m.Amount, Policy: m.Policy, BetweenVenues: m.BetweenVenues()}
	a, err := l.o.Risk.CheckTransfer(ctx, l.state.Clock, l.venueView(m.Source), t)
	if err != nil {
		return err
	}
	l.log.Info("movement approved", "policy", m.Policy, "client_id", m.ID, "movement", m.String())
	l.open[id] = &open{appr: a, hold: hold{m.Source, m.Asset, m.Amount}, reply: reply}
	l.refreshBalances()
	l.dispatch = append(l.dispatch, job{move: m})
	return nil
}

func (l *Loop) reject(s strategy.Strategy, in strategy.Intent, detail string) {
	l.metrics.intents.WithLabelValues(s.Name(), "rejected").Inc()
	l.queue = append(l.queue, outcomeEvent{s, strategy.Outcome{Intent: in, Status: strategy.Rejected, Detail: detail, Time: l.state.Clock}})
}

// result applies an execution result: holds, open intents, the risk
// reservation of what did not happen, and the outcome to the strategy or
// the command that asked. Balances move only by the ledger.
func (l *Loop) result(ctx context.Context, r execution.Result) {
	id := r.ClientID()
	o, ok := l.open[id]
	if !ok {
		l.log.Error("result for an intent the loop does not know", "client_id", id)
		return
	}
	if o.reply != nil {
		o.reply <- r
		o.reply = nil
	}
	name := r.Intent.Strategy
	if r.Movement.ID != "" {
		name = r.Movement.Policy
	}
	if r.Status == execution.Unresolved && r.Movement.ID == "" {
		// Still open: its hold stays until it resolves. Recovery runs
		// only at start-up, so while Run runs the resolver keeps looking
		// it up.
		l.metrics.intents.WithLabelValues(name, "unresolved").Inc()
		l.log.Warn("intent outcome unresolved; looking it up again", "client_id", id, "detail", r.Detail)
		if l.resolver != nil && ctx.Err() == nil {
			l.unresolved = append(l.unresolved, r.Intent)
		}
		return
	}
	// A movement's money left the available balance when it was recorded
	// (its transit entry), so its hold ends with its first result.
	delete(l.open, id)
	if r.Movement.ID == "" {
		l.state.Open = slices.DeleteFunc(l.state.Open, func(in strategy.Intent) bool { return in.ID == id })
	}
	l.metrics.intents.WithLabelValues(name, r.Status.String()).Inc()
	switch r.Status {
	case execution.Filled:
		l.log.Info("trade filled", "strategy", name, "client_id", id, "trade_id", r.TradeID, "pair", r.Intent.Pair, "side", r.Intent.Side, "size", r.Size, "price", r.Price)
	case execution.Failed:
		l.o.Risk.VenueRejected(l.state.Clock)
		if err := l.o.Risk.Release(ctx, o.appr); err != nil {
			l.log.Error("release risk reservation", "client_id", id, "err", err)
		}
		l.log.Warn("intent failed", "strategy", name, "client_id", id, "detail", r.Detail)
	}
	l.refreshBalances()
	if o.s != nil {
		l.outcome(ctx, o, outcomeOf(r, l.state.Clock))
	}
}

// outcomeOf is the strategy's view of a trade's result.
func outcomeOf(r execution.Result, now time.Time) strategy.Outcome {
	o := strategy.Outcome{Intent: r.Intent, Detail: r.Detail, Time: now, Status: strategy.Failed}
	if r.Status == execution.Filled {
		o.Status, o.FilledSize, o.FilledAmount, o.Price = strategy.Filled, r.Size, r.Amount, r.Price
	}
	return o
}

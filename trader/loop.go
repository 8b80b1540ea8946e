package trader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
)

// Executor runs one approved intent to its end. *execution.Executor
// satisfies it.
type Executor interface {
	Execute(ctx context.Context, in strategy.Intent) execution.Result
}

// Resolver settles an intent an Execute left Unresolved, by lookup only,
// never sending it again. *execution.Executor satisfies it. When Exec
// implements it, Run hands every unresolved intent to it until the intent
// resolves, so its strategy gets its outcome without waiting for a
// restart's recovery.
type Resolver interface {
	Resolve(ctx context.Context, in strategy.Intent) execution.Result
}

// Risk approves intents. *risk.Engine satisfies it.
type Risk interface {
	Check(ctx context.Context, now time.Time, v strategy.View, in strategy.Intent) (risk.Approval, error)
	Release(ctx context.Context, a risk.Approval) error
	VenueRejected(now time.Time)
}

// Options configure a Loop.
type Options struct {
	Strategies []strategy.Strategy
	Risk       Risk
	Exec       Executor
	Clock      scheduler.Clock
	// MaxAge is how old a tick may be and still be traded on.
	MaxAge time.Duration
	Pairs  []market.Pair
	// Balances are the totals per asset at start.
	Balances map[market.Asset]decimal.Decimal
	// Inline runs execution on the loop's goroutine (backtests), so
	// outcomes are processed in a deterministic order. Otherwise each
	// intent executes on its own goroutine and its result comes back as
	// an event.
	Inline bool
	// NewID assigns the Client-Id of each approved intent, before risk
	// sees it, so open intents always carry their id.
	NewID    func() (string, error)
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Loop is the event loop. Feed it with Tick, Deposit and the like from any
// goroutine; Run processes events until its context ends.
type Loop struct {
	o     Options
	log   *slog.Logger
	state strategy.State
	total map[market.Asset]decimal.Decimal
	holds map[string]hold // by Client-Id
	owner map[string]strategy.Strategy
	appr  map[string]risk.Approval
	next  map[string]time.Time // per strategy name: next timer
	// due caches the earliest of next; dueOK is false when next changed
	// since. Every event asks for it, and a map scan per tick is costly.
	due   time.Time
	dueOK bool

	events   chan event
	metrics  metrics
	queue    []event           // events caused while processing one
	dispatch []strategy.Intent // approved, not yet handed to execution
	// unresolved are intents whose outcome is unknown, to hand to the
	// Resolver; only Run does (resolver is set while it runs).
	unresolved []strategy.Intent
	resolver   Resolver
}

type hold struct {
	asset  market.Asset
	amount decimal.Decimal
}

type event interface{}

type tickEvent struct{ t market.Tick }
type depositEvent struct{ d strategy.Deposit }
type resultEvent struct{ r execution.Result }
type outcomeEvent struct {
	s strategy.Strategy
	o strategy.Outcome
}

// New returns a loop ready to Run.
func New(o Options) (*Loop, error) {
	if o.Risk == nil || o.Exec == nil || o.Clock == nil || o.NewID == nil {
		return nil, errors.New("trader: Risk, Exec, Clock and NewID are required")
	}
	names := map[string]bool{}
	for _, s := range o.Strategies {
		if names[s.Name()] {
			return nil, fmt.Errorf("trader: two strategies named %q", s.Name())
		}
		names[s.Name()] = true
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Loop{
		o: o, log: o.Logger,
		total:  maps.Clone(o.Balances),
		holds:  map[string]hold{},
		owner:  map[string]strategy.Strategy{},
		appr:   map[string]risk.Approval{},
		next:   map[string]time.Time{},
		events: make(chan event, 1024),
	}
	if l.total == nil {
		l.total = map[market.Asset]decimal.Decimal{}
	}
	l.state = strategy.State{
		MaxAge:   o.MaxAge,
		Ticks:    map[string]market.Tick{},
		Specs:    map[string]market.Pair{},
		Balances: map[market.Asset]strategy.Balance{},
	}
	for _, p := range o.Pairs {
		l.state.Specs[p.Symbol] = p
	}
	var err error
	if l.metrics, err = newMetrics(o.Registry); err != nil {
		return nil, err
	}
	l.refreshBalances()
	return l, nil
}

// Tick queues a price tick. It blocks only while the loop is busy and the
// queue is full, which bounds memory under a flood of ticks.
func (l *Loop) Tick(ctx context.Context, t market.Tick) { l.send(ctx, tickEvent{t}) }

// Deposit queues a credited deposit (from a webhook or the ledger).
func (l *Loop) Deposit(ctx context.Context, d strategy.Deposit) { l.send(ctx, depositEvent{d}) }

func (l *Loop) send(ctx context.Context, e event) {
	select {
	case l.events <- e:
	case <-ctx.Done():
	}
}

// Run processes events until ctx is cancelled, then waits for the intents
// still executing: each ends recorded in the ledger, finished or left for
// recovery.
func (l *Loop) Run(ctx context.Context) error {
	running := 0
	done := make(chan execution.Result)
	if rv, ok := l.o.Exec.(Resolver); ok && !l.o.Inline {
		l.resolver = rv
		defer func() { l.resolver = nil }()
	}
	for {
		var timerC <-chan time.Time
		var timer scheduler.Timer
		if due, ok := l.nextTimer(); ok {
			timer = l.o.Clock.NewTimer(due.Sub(l.o.Clock.Now()))
			timerC = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			for ; running > 0; running-- {
				l.process(ctx, resultEvent{<-done})
			}
			return nil
		case e := <-l.events:
			l.process(ctx, e)
		case r := <-done:
			running--
			l.process(ctx, resultEvent{r})
		case <-timerC:
			l.process(ctx, timerEvent{})
		}
		if timer != nil {
			timer.Stop()
		}
		var async func(strategy.Intent)
		if !l.o.Inline {
			async = func(in strategy.Intent) {
				running++
				go func() {
					// A request already sent finishes even if ctx ends
					// meanwhile (it has its own deadline) and its answer
					// is recorded; ctx ends the lookups that follow an
					// outcome not yet final, leaving it for recovery, so
					// a shutdown does not wait for them.
					done <- l.o.Exec.Execute(ctx, in)
				}()
			}
		}
		l.execute(ctx, async)
		for _, in := range l.unresolved {
			running++
			go func() { done <- l.resolver.Resolve(ctx, in) }()
		}
		l.unresolved = nil
	}
}

// execute hands every approved intent to execution: to async when it is
// set, otherwise inline, processing each result (and the intents it
// causes) before the next.
func (l *Loop) execute(ctx context.Context, async func(strategy.Intent)) {
	for len(l.dispatch) > 0 {
		batch := l.dispatch
		l.dispatch = nil
		for _, in := range batch {
			if async != nil {
				async(in)
				continue
			}
			l.process(ctx, resultEvent{l.o.Exec.Execute(ctx, in)})
		}
	}
}

type timerEvent struct{}

// process handles one event and every follow-up it causes (outcomes of
// rejected intents), collecting approved intents in l.dispatch.
func (l *Loop) process(ctx context.Context, e event) {
	l.apply(ctx, e)
	l.drain(ctx)
}

// drain applies the queued follow-ups, in order.
func (l *Loop) drain(ctx context.Context) {
	for len(l.queue) > 0 {
		e := l.queue[0]
		l.queue = l.queue[1:]
		l.apply(ctx, e)
	}
}

// maxClockSkew is how far ahead of the local clock a venue timestamp may
// be and still order ticks.
const maxClockSkew = 5 * time.Second

// tick applies a price tick. It is apart from apply so Step can hand a
// tick over without boxing it into an event.
func (l *Loop) tick(ctx context.Context, t market.Tick) {
	l.state.Clock = l.o.Clock.Now()
	l.metrics.tick(t.Pair)
	// Out of order: never move a price backwards. A previous tick stamped
	// further ahead of our clock than any skew explains is not trusted to
	// order by, or one bad venue timestamp would freeze the pair until the
	// venue's clock caught up.
	if prev, ok := l.state.Ticks[t.Pair]; ok && t.Time.Before(prev.Time) && !prev.Time.After(l.state.Clock.Add(maxClockSkew)) {
		return
	}
	l.state.Ticks[t.Pair] = t
	l.broadcast(ctx, strategy.Price{Tick: t})
}

// apply handles one event.
func (l *Loop) apply(ctx context.Context, e event) {
	if t, ok := e.(tickEvent); ok {
		l.tick(ctx, t.t)
		return
	}
	l.state.Clock = l.o.Clock.Now()
	switch e := e.(type) {
	case depositEvent:
		l.total[e.d.Asset] = l.total[e.d.Asset].Add(e.d.Amount)
		l.refreshBalances()
		l.broadcast(ctx, e.d)
	case timerEvent:
		now := l.state.Clock
		for _, s := range l.o.Strategies {
			if due, ok := l.next[s.Name()]; ok && !due.After(now) {
				delete(l.next, s.Name())
				l.dueOK = false
				l.handle(ctx, s, strategy.Timer{Due: due})
			}
		}
	case resultEvent:
		l.result(ctx, e.r)
	case outcomeEvent:
		l.handle(ctx, e.s, e.o)
	}
}

// broadcast gives ev to every strategy in order.
func (l *Loop) broadcast(ctx context.Context, ev strategy.Event) {
	for _, s := range l.o.Strategies {
		l.handle(ctx, s, ev)
	}
}

// handle gives ev to s and acts on its decision.
func (l *Loop) handle(ctx context.Context, s strategy.Strategy, ev strategy.Event) {
	d := s.Handle(&l.state, ev)
	for _, sk := range d.Skips {
		l.log.Debug("strategy skipped", "strategy", s.Name(), "pair", sk.Pair, "reason", sk.Reason)
	}
	for _, in := range d.Intents {
		l.decide(ctx, s, in)
	}
	if t, ok := s.(strategy.Timed); ok {
		due := t.NextTimer(l.state.Clock)
		cur, armed := l.next[s.Name()]
		switch {
		case due.IsZero() && armed:
			delete(l.next, s.Name())
			l.dueOK = false
		case !due.IsZero() && (!armed || !cur.Equal(due)):
			l.next[s.Name()] = due
			l.dueOK = false
		}
	}
}

// decide runs risk on an intent and queues it for execution or returns a
// rejection to its strategy.
func (l *Loop) decide(ctx context.Context, s strategy.Strategy, in strategy.Intent) {
	in.Strategy = s.Name()
	id, err := l.o.NewID()
	if err != nil {
		l.reject(s, in, "client id: "+err.Error())
		return
	}
	in.ID = id
	l.metrics.decisions.WithLabelValues(s.Name()).Inc()
	a, err := l.o.Risk.Check(ctx, l.state.Clock, &l.state, in)
	if err != nil {
		l.log.Info("intent rejected by risk", "strategy", s.Name(), "intent", in.String(), "err", err)
		l.reject(s, in, err.Error())
		return
	}
	l.log.Info("intent approved", "strategy", s.Name(), "client_id", in.ID, "intent", in.String(), "reason", in.Reason)
	l.owner[in.ID] = s
	l.appr[in.ID] = a
	l.holds[in.ID] = l.holdFor(in)
	l.state.Open = append(l.state.Open, in)
	l.refreshBalances()
	l.dispatch = append(l.dispatch, in)
}

func (l *Loop) reject(s strategy.Strategy, in strategy.Intent, detail string) {
	l.metrics.intents.WithLabelValues(s.Name(), "rejected").Inc()
	l.queue = append(l.queue, outcomeEvent{s, strategy.Outcome{Intent: in, Status: strategy.Rejected, Detail: detail, Time: l.state.Clock}})
}

// holdFor is what an open intent may spend, as risk reckoned it when it
// approved the intent (risk.Spend).
func (l *Loop) holdFor(in strategy.Intent) hold {
	asset, amount := risk.Spend(l.state.Specs[in.Pair], l.state.Ticks[in.Pair], in)
	return hold{asset, amount}
}

// result applies an execution result: balances, holds, open intents, and
// the outcome to the strategy that asked.
func (l *Loop) result(ctx context.Context, r execution.Result) {
	id := r.Intent.ID
	s, ok := l.owner[id]
	if !ok {
		l.log.Error("result for an intent the loop does not know", "client_id", id)
		return
	}
	if r.Status == execution.Unresolved {
		// Still open: its hold stays until it resolves. Recovery runs
		// only at start-up, so while Run runs the resolver keeps looking
		// it up.
		l.metrics.intents.WithLabelValues(s.Name(), "unresolved").Inc()
		l.log.Warn("intent outcome unresolved; looking it up again", "client_id", id, "detail", r.Detail)
		if l.resolver != nil && ctx.Err() == nil {
			l.unresolved = append(l.unresolved, r.Intent)
		}
		return
	}
	delete(l.owner, id)
	delete(l.holds, id)
	a := l.appr[id]
	delete(l.appr, id)
	l.state.Open = slices.DeleteFunc(l.state.Open, func(in strategy.Intent) bool { return in.ID == id })
	o := strategy.Outcome{Intent: r.Intent, Detail: r.Detail, Time: l.state.Clock}
	switch r.Status {
	case execution.Filled:
		p := l.state.Specs[r.Intent.Pair]
		sign := decimal.NewFromInt(1)
		if r.Intent.Side == market.Sell {
			sign = sign.Neg()
		}
		l.total[p.Base] = l.total[p.Base].Add(r.Size.Mul(sign))
		l.total[p.Quote] = l.total[p.Quote].Sub(r.Amount.Mul(sign))
		o.Status, o.FilledSize, o.FilledAmount, o.Price = strategy.Filled, r.Size, r.Amount, r.Price
		l.metrics.intents.WithLabelValues(s.Name(), "filled").Inc()
		l.log.Info("trade filled", "strategy", s.Name(), "client_id", id, "trade_id", r.TradeID, "pair", r.Intent.Pair, "side", r.Intent.Side, "size", r.Size, "price", r.Price)
	default:
		o.Status = strategy.Failed
		l.o.Risk.VenueRejected(l.state.Clock)
		if err := l.o.Risk.Release(ctx, a); err != nil {
			l.log.Error("release risk reservation", "client_id", id, "err", err)
		}
		l.metrics.intents.WithLabelValues(s.Name(), "failed").Inc()
		l.log.Warn("intent failed", "strategy", s.Name(), "client_id", id, "detail", r.Detail)
	}
	l.refreshBalances()
	l.handle(ctx, s, o)
}

// refreshBalances recomputes the view's balances from totals and holds.
func (l *Loop) refreshBalances() {
	held := map[market.Asset]decimal.Decimal{}
	for _, h := range l.holds {
		held[h.asset] = held[h.asset].Add(h.amount)
	}
	clear(l.state.Balances)
	for a, t := range l.total {
		avail := t.Sub(held[a])
		if avail.Sign() < 0 {
			avail = decimal.Zero
		}
		l.state.Balances[a] = strategy.Balance{Total: t, Available: avail}
	}
}

// nextTimer returns the earliest strategy timer.
func (l *Loop) nextTimer() (time.Time, bool) {
	if !l.dueOK {
		l.due = time.Time{}
		for _, t := range l.next {
			if l.due.IsZero() || t.Before(l.due) {
				l.due = t
			}
		}
		l.dueOK = true
	}
	return l.due, !l.due.IsZero()
}

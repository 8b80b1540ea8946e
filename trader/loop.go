package trader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// Executor runs one approved intent to its end. *execution.Executor
// satisfies it.
type Executor interface {
	Execute(ctx context.Context, in strategy.Intent) execution.Result
	Move(ctx context.Context, m execution.Movement) execution.Result
}

// Resolver settles a trade an Execute left Unresolved, by lookup only,
// never sending it again. *execution.Executor satisfies it. When Exec
// implements it, Run hands every unresolved trade to it until the trade
// resolves, so its strategy gets its outcome without waiting for a
// restart's recovery.
type Resolver interface {
	Resolve(ctx context.Context, in strategy.Intent) execution.Result
}

// Risk approves intents and movements. *risk.Engine satisfies it.
type Risk interface {
	Check(ctx context.Context, now time.Time, v strategy.View, in strategy.Intent) (risk.Approval, error)
	CheckTransfer(ctx context.Context, now time.Time, v strategy.View, t risk.Transfer) (risk.Approval, error)
	Release(ctx context.Context, a risk.Approval) error
	VenueRejected(now time.Time)
}

// Options configure a Loop.
type Options struct {
	Strategies []strategy.Strategy
	Risk       Risk
	Exec       Executor
	Clock      clock.Clock // zero: the system clock
	// Books is the ledger the balances come from: every committed change
	// to a venue or transit account reaches the loop before the next
	// event it handles. Required.
	Books Books
	// MaxAge is how old a tick may be and still be traded on.
	MaxAge time.Duration
	Pairs  []market.Pair
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

// Loop is the event loop. Feed it with Tick, Deposit, Trade and Move from
// any goroutine; Run processes events until its context ends.
type Loop struct {
	o     Options
	log   *slog.Logger
	state strategy.State
	// stamps mirrors state.Ticks' times for the first few pairs.
	stamps stamps
	books  *books
	open   map[string]*open // intents approved and not finished, by Client-Id
	// parked are the strategies an operator disabled, by name.
	parked map[string]strategy.Strategy
	// gen counts, by name, the instances SetStrategy put in place.
	gen  map[string]int
	next map[string]time.Time
	// due caches the earliest of next; dueOK is false when next changed
	// since. Every event asks for it, and a map scan per tick is costly.
	due   time.Time
	dueOK bool
	// armed is a timer of next as rearm last found or put it, valid
	// until next changes (timersChanged clears it). rearm runs on every
	// tick for a strategy that acts on timers only, mostly to find its
	// timer as it was: comparing its name with armed's costs less than
	// hashing it into next.
	armed armedTimer

	events   chan event
	metrics  metrics
	queue    []event // events caused while processing one
	dispatch []job   // approved, not yet handed to execution
	// unresolved are trades whose outcome is unknown, to hand to the
	// Resolver; only Run does (resolver is set while it runs).
	unresolved []strategy.Intent
	resolver   Resolver
}

// open is an approved intent or movement not yet finished.
type open struct {
	s     strategy.Strategy // the strategy that asked; nil for a command
	gen   int               // the generation of s's name when it asked (see SetStrategy)
	appr  risk.Approval
	hold  hold
	reply chan<- execution.Result // a command's, until answered
}

// hold is what an open intent may still take from a venue's available
// balance, as risk reckoned it when it approved the intent.
type hold struct {
	venue  ledger.Venue
	asset  market.Asset
	amount decimal.Decimal
}

// job is an approved trade or movement for execution.
type job struct {
	trade *strategy.Intent
	move  *execution.Movement
}

// armedTimer is a strategy's timer, by the strategy's name.
type armedTimer struct {
	name string
	due  time.Time
}

type event interface{}

type tickEvent struct{ t market.Tick }
type depositEvent struct{ d strategy.Deposit }
type resultEvent struct{ r execution.Result }
type outcomeEvent struct {
	s strategy.Strategy
	o strategy.Outcome
}
type timerEvent struct{}

// commandEvent is a trade or movement submitted by treasury (or an
// operator), answered on reply.
type commandEvent struct {
	job
	reply chan execution.Result
}

// New returns a loop ready to Load and Run. It does no I/O.
func New(o Options) (*Loop, error) {
	if o.Risk == nil || o.Exec == nil || o.NewID == nil || o.Books == nil {
		return nil, errors.New("trader: Risk, Exec, Books and NewID are required")
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
		books:  newBooks(),
		open:   map[string]*open{},
		parked: map[string]strategy.Strategy{},
		gen:    map[string]int{},
		next:   map[string]time.Time{},
		events: make(chan event, 1024),
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
	l.state.IndexPairs()
	var err error
	if l.metrics, err = newMetrics(o.Registry); err != nil {
		return nil, err
	}
	return l, nil
}

// Tick queues a price tick. It blocks only while the loop is busy and the
// queue is full, which bounds memory under a flood of ticks.
func (l *Loop) Tick(ctx context.Context, t market.Tick) { l.send(ctx, tickEvent{t}) }

// Deposit queues a credited deposit (from a webhook or the ledger) for the
// strategies. Its amount is already in the balances: they come from the
// ledger.
func (l *Loop) Deposit(ctx context.Context, d strategy.Deposit) { l.send(ctx, depositEvent{d}) }

// Trade submits a trade decided outside the strategies (a treasury
// conversion; in.Strategy names its policy) and waits for its result: it
// passes risk against the same balances and limits as every strategy
// intent, then execution. A refusal by risk is Rejected. If ctx ends
// first, the result is Unresolved: the trade may still be sent, and is
// then followed like any other.
func (l *Loop) Trade(ctx context.Context, in strategy.Intent) execution.Result {
	return l.command(ctx, job{trade: &in}, execution.Result{Intent: in})
}

// Move submits a movement (a withdrawal, bank transfer, Lightning payment
// or settlement) and waits for its result, as Trade does: risk's transfer
// check against the loop's balances, then execution.
func (l *Loop) Move(ctx context.Context, m execution.Movement) execution.Result {
	return l.command(ctx, job{move: &m}, execution.Result{Movement: m})
}

func (l *Loop) command(ctx context.Context, j job, r execution.Result) execution.Result {
	reply := make(chan execution.Result, 1)
	select {
	case l.events <- commandEvent{j, reply}:
	case <-ctx.Done():
		r.Status, r.Detail = execution.Rejected, "not submitted: "+ctx.Err().Error()
		return r
	}
	select {
	case r := <-reply:
		return r
	case <-ctx.Done():
		r.Status, r.Detail = execution.Unresolved, "stopped waiting for the loop: "+ctx.Err().Error()
		return r
	}
}

func (l *Loop) send(ctx context.Context, e event) {
	select {
	case l.events <- e:
	case <-ctx.Done():
	}
}

// Load subscribes the loop to the ledger's balances, reads them, and
// hands every strategy that keeps state across restarts
// (strategy.Restorer) the fills the ledger holds for it. Run calls it if
// it was not called; a backtest that drives the loop with Step calls it
// first.
func (l *Loop) Load(ctx context.Context) error {
	if l.books.loaded() {
		return nil
	}
	if err := l.books.load(ctx, l.o.Books); err != nil {
		return fmt.Errorf("trader: balances: %w", err)
	}
	if err := restore(ctx, l.o.Books, l.o.Strategies, l.log); err != nil {
		l.books.close()
		return fmt.Errorf("trader: %w", err)
	}
	l.refreshBalances()
	return nil
}

// Close stops following the ledger's balances.
func (l *Loop) Close() { l.books.close() }

// Run processes events until ctx is cancelled, then waits for the intents
// still executing: each ends recorded in the ledger, finished or left for
// recovery.
func (l *Loop) Run(ctx context.Context) error {
	if err := l.Load(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // shut down before it started: nothing ran
		}
		return err
	}
	defer l.Close()
	running := 0
	done := make(chan execution.Result)
	if rv, ok := l.o.Exec.(Resolver); ok && !l.o.Inline {
		l.resolver = rv
		defer func() { l.resolver = nil }()
	}
	for {
		var timerC <-chan time.Time
		var timer clock.Timer
		if due, ok := l.nextTimer(); ok {
			timer = l.o.Clock.NewTimer(l.o.Clock.Until(due))
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
			l.refuseQueued()
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
		var async func(job)
		if !l.o.Inline {
			async = func(j job) {
				running++
				go func() {
					// A request already sent finishes even if ctx ends
					// meanwhile (it has its own deadline) and its answer
					// is recorded; ctx ends the lookups that follow an
					// outcome not yet final, leaving it for recovery, so
					// a shutdown does not wait for them.
					done <- l.run(ctx, j)
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

// refuseQueued answers the commands still queued when Run stops: nothing
// was recorded for them.
func (l *Loop) refuseQueued() {
	for {
		select {
		case e := <-l.events:
			if c, ok := e.(commandEvent); ok {
				c.reply <- execution.Result{Intent: deref(c.trade), Movement: derefMove(c.move), Status: execution.Rejected, Detail: "the engine is stopping; nothing sent"}
			}
		default:
			return
		}
	}
}

func deref(in *strategy.Intent) strategy.Intent {
	if in == nil {
		return strategy.Intent{}
	}
	return *in
}

func derefMove(m *execution.Movement) execution.Movement {
	if m == nil {
		return execution.Movement{}
	}
	return *m
}

// run executes one job.
func (l *Loop) run(ctx context.Context, j job) execution.Result {
	if j.move != nil {
		return l.o.Exec.Move(ctx, *j.move)
	}
	return l.o.Exec.Execute(ctx, *j.trade)
}

// execute hands every approved job to execution: to async when it is set,
// otherwise inline, processing each result (and the intents it causes)
// before the next.
func (l *Loop) execute(ctx context.Context, async func(job)) {
	for len(l.dispatch) > 0 {
		batch := l.dispatch
		l.dispatch = nil
		for _, j := range batch {
			if async != nil {
				async(j)
				continue
			}
			l.process(ctx, resultEvent{l.run(ctx, j)})
		}
	}
}

// process handles one event and every follow-up it causes (outcomes of
// rejected intents), collecting approved intents in l.dispatch. The
// ledger's balance changes committed so far are applied first.
func (l *Loop) process(ctx context.Context, e event) {
	l.syncBalances()
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
	st := l.stamps.find(t.Pair)
	if prev, ok := l.prevStamp(st, t.Pair); ok && t.Time.Before(prev) && !prev.After(l.state.Clock.Add(maxClockSkew)) {
		return
	}
	l.state.Ticks[t.Pair] = t
	if st != nil {
		st.at = t.Time
	} else {
		l.stamps.add(t.Pair, t.Time)
	}
	var ev strategy.Event // built once, for the first strategy that reads prices
	for _, s := range l.o.Strategies {
		if ig, ok := s.(strategy.PriceIgnorer); ok && ig.IgnoresPrices() {
			l.rearm(s)
			continue
		}
		if ev == nil {
			ev = strategy.Price{Tick: t}
		}
		l.handle(ctx, s, ev)
	}
}

// prevStamp returns the Time of pair's last tick, and false before its
// first; st is pair's stamp, nil when pair is not one of the few.
func (l *Loop) prevStamp(st *pairStamp, pair string) (time.Time, bool) {
	if st != nil {
		return st.at, true
	}
	prev, ok := l.state.Ticks[pair]
	return prev.Time, ok
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
		l.broadcast(ctx, e.d)
	case timerEvent:
		now := l.state.Clock
		for _, s := range l.o.Strategies {
			if due, ok := l.next[s.Name()]; ok && !due.After(now) {
				delete(l.next, s.Name())
				l.timersChanged()
				l.handle(ctx, s, strategy.Timer{Due: due})
			}
		}
	case commandEvent:
		l.command1(ctx, e)
	case queryEvent:
		e.fn()
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
	if len(d.Skips) > 0 && l.log.Enabled(ctx, slog.LevelDebug) {
		for _, sk := range d.Skips {
			l.log.Debug("strategy skipped", "strategy", s.Name(), "pair", sk.Pair, "reason", sk.Reason())
		}
	}
	for _, in := range d.Intents {
		in.Strategy = s.Name()
		if err := l.decide(ctx, s, in, nil); err != nil {
			l.reject(s, in, err.Error())
		}
	}
	l.rearm(s)
}

// rearm asks a Timed strategy for its next timer, after an event, and
// arms it in place of any earlier one.
func (l *Loop) rearm(s strategy.Strategy) {
	t, ok := s.(strategy.Timed)
	if !ok {
		return
	}
	due := t.NextTimer(l.state.Clock)
	name := s.Name()
	if !due.IsZero() && name == l.armed.name && due.Equal(l.armed.due) {
		return // armed already, and next has not changed since
	}
	cur, armed := l.next[name]
	switch {
	case due.IsZero() && armed:
		delete(l.next, name)
		l.timersChanged()
	case !due.IsZero() && (!armed || !cur.Equal(due)):
		l.next[name] = due
		l.timersChanged()
	}
	if !due.IsZero() {
		l.armed = armedTimer{name, due}
	}
}

// timersChanged notes a change to next: the earliest timer and armed are
// to be found again.
func (l *Loop) timersChanged() {
	l.dueOK = false
	l.armed = armedTimer{}
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

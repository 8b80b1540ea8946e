package backtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// maxTimersAtOnce bounds the timer activations at one instant: a strategy
// that keeps asking for a time already past would otherwise hold the
// replay at that instant for ever.
const maxTimersAtOnce = 10_000

// now is the simulated time (prices).
func (r *replay) now() time.Time { return r.clock.Now() }

// priceAt returns the last tick of pair received by at: the ticks replayed,
// and with latency those buffered ahead (the price the order meets when it
// arrives). Without latency it is the price the loop decided on.
func (r *replay) priceAt(pair string, at time.Time) (market.Tick, bool) {
	t, ok := r.last.last(pair)
	if r.o.Venue.Latency > 0 {
		for _, u := range r.ahead {
			if u.Tick.Received.After(at) {
				break
			}
			if u.Tick.Pair == pair && (!ok || takes(u.Tick.Time, t.Time, u.Tick.Received)) {
				t, ok = u.Tick, true
			}
		}
	}
	return t, ok
}

// maxClockSkew is trader.Loop's: how far ahead of the loop's clock a
// venue timestamp may be and still be trusted to order the ticks after it.
const maxClockSkew = 5 * time.Second

// takes reports whether the loop, at now, takes a tick stamped at as its
// pair's last over one stamped prev: unless it is older, as long as prev
// is not further ahead of the clock than any skew explains (one bad venue
// timestamp would otherwise freeze the pair). It takes the stamps, not
// the ticks: it is called on every tick, and not inlined.
func takes(at, prev, now time.Time) bool {
	return !at.Before(prev) || prev.After(now.Add(maxClockSkew))
}

// pull returns the next tick to replay (nil after the last), valid until
// the following call. With latency it keeps ahead filled to Latency past
// that tick.
func (r *replay) pull() (*feeds.Update, error) {
	if r.o.Venue.Latency <= 0 {
		return r.in.next()
	}
	if len(r.ahead) > 0 {
		r.ahead = r.ahead[1:] // the tick replayed last
	}
	if len(r.ahead) == 0 {
		u, err := r.in.next()
		if err != nil || u == nil {
			return nil, err
		}
		r.pushAhead(u)
	}
	horizon := r.ahead[0].Tick.Received.Add(r.o.Venue.Latency)
	for !r.ahead[len(r.ahead)-1].Tick.Received.After(horizon) {
		u, err := r.in.next()
		if err != nil {
			return nil, err
		}
		if u == nil {
			break
		}
		r.pushAhead(u)
	}
	return &r.ahead[0], nil
}

// pushAhead appends u to ahead. ahead is a window sliding along aheadBuf:
// pull drops the tick replayed last by moving its start, and the window
// moves back to the buffer's start only when it reaches the end (at most
// once every few dozen ticks), instead of every tick being copied down.
func (r *replay) pushAhead(u *feeds.Update) {
	if len(r.ahead) == cap(r.ahead) {
		buf := r.aheadBuf[:0]
		if 2*len(r.ahead) >= cap(buf) {
			buf = make([]feeds.Update, 0, 2*len(r.ahead)+32)
		}
		r.ahead = append(buf, r.ahead...) // append copies as memmove: the window may overlap the buffer's start
		r.aheadBuf = buf
	}
	r.ahead = append(r.ahead, *u)
}

func (r *replay) run(ctx context.Context) error {
	defer r.in.stop()
	for {
		if r.ticks%1024 == 0 && ctx.Err() != nil {
			return fmt.Errorf("backtest: stopped: %w", ctx.Err())
		}
		u, err := r.pull()
		if err != nil {
			return err
		}
		if u == nil {
			break
		}
		t := &u.Tick
		at := t.Received
		if err := r.timersUntil(ctx, at); err != nil {
			return err
		}
		if r.stopped != "" {
			return &stoppedError{reason: r.stopped, at: r.now()}
		}
		r.sampleBefore(at)
		r.clock.Set(at)
		r.last.update(t, r.now())
		if !r.started {
			// Before the loop sees the tick: a trade on it is part of
			// the run, not of its starting point.
			r.begin(ctx, at)
		}
		r.loop.Step(ctx, *t)
		if r.stopped != "" {
			return &stoppedError{reason: r.stopped, at: r.now()}
		}
		if r.ticks == 0 {
			r.firstTick = at
		}
		r.ticks++
		r.lastTick = at
		if r.o.Progress != nil && r.ticks-r.lastProgress >= r.o.ProgressEvery {
			r.lastProgress = r.ticks
			r.progress(false)
		}
	}
	r.in.stop() // the source's counters are the replay's from here
	if r.ticks == 0 {
		return r.emptyRange()
	}
	return nil
}

func (r *replay) progress(done bool) {
	read, total := r.in.progress()
	r.o.Progress(Progress{Ticks: r.ticks, Bytes: read, TotalBytes: total, At: r.clock.Now(), Done: done})
}

// emptyRange explains a run that replayed nothing.
func (r *replay) emptyRange() error {
	span := func(t time.Time) string {
		if t.IsZero() {
			return "(unbounded)"
		}
		return t.UTC().Format(time.RFC3339)
	}
	first, last := r.in.span()
	if first.IsZero() {
		return fmt.Errorf("backtest: %v: no ticks: the recordings hold a header and nothing else", r.o.Feeds)
	}
	return fmt.Errorf("backtest: empty time range: no ticks received in [%s, %s) in %v; the recordings cover %s to %s",
		span(r.o.From), span(r.o.To), r.o.Feeds, span(first), span(last))
}

// timersUntil fires, in time order, every strategy timer due at or before
// limit: a timer due when a tick arrives goes first, as it would have
// fired before the tick on a live clock.
func (r *replay) timersUntil(ctx context.Context, limit time.Time) error {
	var prev time.Time
	same := 0
	for {
		due, ok := r.loop.NextTimer()
		job := false
		if r.sched != nil {
			// Treasury's jobs go first when due first, or at the same
			// time (the scheduler's goroutine would race the loop).
			if at, has := r.sched.Next(); has && (!ok || !at.After(due)) {
				due, ok, job = at, true, true
			}
		}
		if !ok || due.After(limit) {
			return nil
		}
		if due.Equal(prev) {
			if same++; same > maxTimersAtOnce {
				return fmt.Errorf("backtest: strategy timers do not advance past %s", due.UTC().Format(time.RFC3339Nano))
			}
		} else {
			prev, same = due, 0
		}
		r.sampleBefore(due)
		r.clock.Set(due)
		if job {
			r.sched.RunDue(ctx)
			if r.book != nil {
				r.book.sync(ctx) // what the poll settled
			}
			continue
		}
		r.loop.StepTimers(ctx)
	}
}

// begin takes the first equity sample once every asset has a price: the
// opening balances at those prices. A trade made before then (on a pair
// priced earlier) belongs to the run, not to its starting point.
func (r *replay) begin(ctx context.Context, at time.Time) {
	eq, risky, ok := r.valuer.equity(r.startBal, &r.last)
	if !ok {
		return
	}
	r.started = true
	r.startValues = map[market.Asset]decimal.Decimal{}
	r.startPrices = map[market.Asset]decimal.Decimal{}
	for _, a := range r.valuer.assets {
		r.startValues[a], _ = r.valuer.value(a, r.startBal[a], &r.last)
		r.startPrices[a], _ = r.valuer.value(a, decimal.NewFromInt(1), &r.last)
	}
	r.sampleOf(at, eq, risky, eq, r.startBal)
	if r.book != nil {
		r.book.begin(ctx)
	}
	r.nextSample = at.Truncate(r.o.EquityInterval).Add(r.o.EquityInterval)
	// The first day is the one starting at or running at the start: a
	// run that starts at midnight has no day before it.
	r.nextClose = at.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
}

// sampleBefore takes the equity samples due before t: a sample at a
// boundary includes everything that happened up to and at it.
func (r *replay) sampleBefore(t time.Time) {
	for r.started && r.nextClose.Before(t) {
		// The day's close for Sharpe and Sortino, at midnight itself
		// whatever the sampling interval.
		eq, _, _ := r.valuer.equity(r.held(), &r.last)
		r.curve.close(eq)
		r.nextClose = r.nextClose.Add(24 * time.Hour)
	}
	for r.started && r.nextSample.Before(t) {
		r.sample(r.nextSample)
		r.nextSample = r.nextSample.Add(r.o.EquityInterval)
	}
}

// sample takes a sample of the venue's balances and of the benchmark (the
// opening balances held), valued at the same marks.
func (r *replay) sample(at time.Time) {
	held := r.held()
	eq, risky, bench, _ := r.valuer.equities(held, r.startBal, &r.last)
	r.sampleOf(at, eq, risky, bench, held)
}

// sampleOf takes a sample of balances worth eq, the benchmark worth bench.
func (r *replay) sampleOf(at time.Time, eq, risky, bench decimal.Decimal, balances map[market.Asset]decimal.Decimal) {
	p := r.curve.add(at, eq, risky, bench)
	if r.out != nil {
		if r.chart.keep() {
			r.chart.put(chartPointOf(p))
		}
		r.samplePrices(at)
	}
	r.out.equity(p, r.valuer.assets, balances)
	r.checkStop()
}

// checkStop asks stopWhen whether to stop, once.
func (r *replay) checkStop() {
	if r.stopWhen != nil && r.stopped == "" {
		r.stopped = r.stopWhen(r)
	}
}

// stoppedError ends a run that stopWhen stopped.
type stoppedError struct {
	reason string
	at     time.Time
}

func (e *stoppedError) Error() string {
	return fmt.Sprintf("backtest: stopped at %s: %s", e.at.UTC().Format(time.RFC3339), e.reason)
}

// observer runs execution and records what each intent did.
type observer struct {
	x *execution.Executor
	r *replay
}

func (w observer) Execute(ctx context.Context, in strategy.Intent) execution.Result {
	res := w.x.Execute(ctx, in)
	w.r.executed(ctx, res)
	return res
}

func (w observer) Move(ctx context.Context, m execution.Movement) execution.Result {
	res := w.x.Move(ctx, m)
	if w.r.book != nil && res.Movement.ID != "" {
		w.r.book.moved(ctx, res.Movement.ID, treasuryOwner(res.Movement.Policy))
	}
	return res
}

func (r *replay) executed(ctx context.Context, res execution.Result) {
	if r.o.OnExecuted != nil {
		r.o.OnExecuted(res)
	}
	if res.Status != execution.Filled {
		r.failed++
		return
	}
	f, _ := r.venue.take(res.TradeID)
	p := r.view.Specs[res.Intent.Pair]
	notionalRef, _ := r.valuer.value(p.Quote, f.notional, &r.last)
	feeRef, _ := r.valuer.value(p.Quote, f.fee, &r.last)
	r.trades++
	r.turnover = r.turnover.Add(notionalRef)
	r.fees = r.fees.Add(feeRef)
	r.feesByAsset[p.Quote] = r.feesByAsset[p.Quote].Add(f.fee)
	r.out.trade(res, p, f, notionalRef)
	if r.book != nil {
		owner := res.Intent.Strategy
		if r.treasuryTrade != "" && !strings.HasPrefix(owner, "treasury:") {
			owner = treasuryOwner(r.treasuryTrade)
		}
		r.book.filled(ctx, res.Intent.ID, owner, res.TradeID, f)
		r.series(p.Symbol).fills.add(fillMark{at: f.at, price: res.Price.InexactFloat64(), buy: res.Intent.Side == market.Buy})
	}
	r.checkStop()
}

// finish takes the last sample, checks the ledger against the venue model
// and builds the summary.
func (r *replay) finish(ctx context.Context) (*Summary, error) {
	if r.o.Progress != nil {
		r.progress(true)
	}
	if !r.started {
		return nil, fmt.Errorf("backtest: the recordings never priced every asset in %s (assets %v): check the pairs against the recorded ones",
			r.o.Reference, r.valuer.assets)
	}
	r.sampleBefore(r.lastTick)
	// The closing sample, after the last tick: none is at lastTick yet but
	// the opening one, taken before the loop saw that tick.
	r.sample(r.lastTick)
	r.curve.finish()
	if err := r.checkLedger(ctx); err != nil {
		return nil, err
	}
	if err := r.out.flush(); err != nil {
		return nil, err
	}
	return r.summary()
}

// checkLedger proves the journal's invariants held: balances equal a
// rebuild from the journal, no intent is left open, and the venue model's
// balances are the journal's.
func (r *replay) checkLedger(ctx context.Context) error {
	if err := r.store.Verify(ctx); err != nil {
		return fmt.Errorf("backtest: ledger invariant broken: %w", err)
	}
	open, err := r.store.Unfinished(ctx)
	if err != nil {
		return fmt.Errorf("backtest: ledger: %w", err)
	}
	if len(open) > 0 {
		return fmt.Errorf("backtest: %d intent(s) left unresolved in the ledger, first %s", len(open), open[0].ClientID)
	}
	assets := slices.Clone(r.valuer.assets)
	for a := range r.venue.balances {
		if !slices.Contains(assets, a) {
			assets = append(assets, a)
		}
	}
	for _, a := range assets {
		got, err := r.store.Balance(ctx, ledger.VenueAvailable(ledger.Hercle), a)
		if err != nil {
			return fmt.Errorf("backtest: ledger: %w", err)
		}
		if want := r.venue.balances[a]; !got.Equal(want) {
			return fmt.Errorf("backtest: ledger invariant broken: %s available is %s in the journal, %s at the venue model", a, got, want)
		}
	}
	return nil
}

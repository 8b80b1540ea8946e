package backtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
)

// maxTimersAtOnce bounds the timer activations at one instant: a strategy
// that keeps asking for a time already past would otherwise hold the
// replay at that instant for ever.
const maxTimersAtOnce = 10_000

// Run replays the recordings through the strategies, risk and execution
// and writes the report to o.Out. It returns the summary, or an error and
// no report: a recording that is truncated, corrupt or of another format
// (*FeedError, naming the file and line), a range holding no tick,
// invalid options, or a broken ledger invariant.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if err := checkOut(o.Out); err != nil {
		return nil, err
	}
	src, err := openSource(o.Feeds, o.From, o.To)
	if err != nil {
		return nil, err
	}
	defer src.close()
	stage, err := os.MkdirTemp(filepath.Dir(filepath.Clean(o.Out)), "."+filepath.Base(filepath.Clean(o.Out))+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("backtest: report directory: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(stage)
		}
	}()
	r, err := newReplay(o, src, stage)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	sum, err := r.finish(ctx)
	if err != nil {
		return nil, err
	}
	if err := writeReport(stage, sum, r); err != nil {
		return nil, err
	}
	if err := publish(stage, o.Out); err != nil {
		return nil, err
	}
	done = true
	return sum, nil
}

// checkOut refuses an existing report directory that is not empty.
func checkOut(out string) error {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("backtest: report directory %s: %w", out, err)
	case len(entries) > 0:
		return fmt.Errorf("backtest: report directory %s exists and is not empty: choose another -out or remove it", out)
	}
	return nil
}

// publish renames the finished report into place.
func publish(stage, out string) error {
	if err := os.Chmod(stage, 0o755); err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	if err := checkOut(out); err != nil {
		return err
	}
	if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backtest: %w", err)
	}
	if err := os.Rename(stage, out); err != nil {
		return fmt.Errorf("backtest: publish the report: %w", err)
	}
	return nil
}

// replay is one run: the engine's loop, risk and execution over the venue
// model, driven tick by tick on a manual clock.
type replay struct {
	o   Options
	src *source
	// st streams src's ticks from the reading goroutine; cur is the batch
	// being replayed, pos the next tick in it.
	st          *stream
	cur         *batch
	pos         int
	read, total int64
	clock       *clock.Manual
	start       time.Time

	// ahead holds, with latency, the tick being replayed and those read
	// after it up to Latency later, so the venue model can see the price
	// an order meets when it arrives. Without latency it is unused.
	ahead []feeds.Update
	// last is every pair's last replayed tick, by the loop's rule (see
	// takes); view wraps it for quote checks.
	last map[string]market.Tick
	view strategy.State
	// marks are what equity, PnL, turnover and fees are valued at: last,
	// but for a pair whose last tick has no price, the last one that had
	// (a tick without a price is no reason to value holdings at nothing).
	marks marks

	venue   *venue
	valuer  *valuer
	store   *ledger.Store
	tempDir string
	risk    *risk.Engine
	reg     *prometheus.Registry
	loop    *trader.Loop

	out        *outputs
	curve      curve
	chart      downsampler
	nextSample time.Time
	nextClose  time.Time // the next UTC midnight, ending a day
	started    bool
	// startBal are the opening balances, startValues their value when the
	// first equity sample is taken (once every asset has a price).
	startBal    map[market.Asset]decimal.Decimal
	startValues map[market.Asset]decimal.Decimal

	ticks, trades, failed int64
	turnover, fees        decimal.Decimal
	feesByAsset           map[market.Asset]decimal.Decimal
	firstTick, lastTick   time.Time
	lastProgress          int64
}

func newReplay(o Options, src *source, stage string) (r *replay, err error) {
	r = &replay{o: o, src: src, last: map[string]market.Tick{}, feesByAsset: map[market.Asset]decimal.Decimal{},
		chart: newDownsampler(2048), reg: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	r.startBal = cloneBalances(o.Balances)
	r.marks = marks{last: r.last, held: map[string]market.Tick{}}
	specs := map[string]market.Pair{}
	for _, p := range o.Pairs {
		specs[p.Symbol] = p
	}
	r.view = strategy.State{MaxAge: o.Limits.MaxPriceAge.Duration, Ticks: r.last, Specs: specs}
	if r.valuer, err = newValuer(o.Reference, o.Pairs, o.assets()); err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	// The clock starts at the first tick: nothing happens before it.
	first := src.from
	for _, f := range src.feeds {
		if f.ok && (first.IsZero() || f.head.Tick.Received.Before(first)) {
			first = f.head.Tick.Received
		}
	}
	r.start = first
	r.clock = clock.NewManual(first)
	r.venue = newVenue(o.Venue, r, specs, o.Balances)

	if r.out, err = createOutputs(stage, r.valuer.assets); err != nil {
		return nil, err
	}
	if r.store, r.tempDir, err = openLedger(o.TempDir, r.clock.Clock()); err != nil {
		return nil, err
	}
	if err := r.postOpening(); err != nil {
		return nil, err
	}
	n := 0
	eng, err := trader.NewEngine(trader.EngineOptions{
		Limits: o.Limits, Counters: &risk.MemoryCounters{}, Gate: o.Gate, Store: r.store, Venue: r.venue,
		Pairs: o.Pairs, Strategies: o.Strategies, Clock: r.clock.Clock(), Inline: true,
		Prices:  func(now time.Time) strategy.View { r.view.Clock = now; return &r.view },
		NewID:   func() (string, error) { n++; return fmt.Sprintf("bt-%08d", n), nil },
		Observe: func(x *execution.Executor) trader.Executor { return observer{x: x, r: r} },
		Logger:  o.Logger, Registry: r.reg,
	})
	if err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	r.risk, r.loop = eng.Risk, eng.Loop
	if err := r.loop.Load(context.Background()); err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	return r, nil
}

func cloneBalances(m map[market.Asset]decimal.Decimal) map[market.Asset]decimal.Decimal {
	out := make(map[market.Asset]decimal.Decimal, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// openLedger opens a scratch ledger in a directory of its own, under dir,
// or else under /dev/shm when it is usable (memory: a scratch ledger has
// nothing to gain from its fsyncs, which cost about 0.5 ms each on disk),
// or else under the system's temporary directory.
func openLedger(dir string, clk clock.Clock) (*ledger.Store, string, error) {
	var tmp string
	var err error
	if dir == "" {
		if tmp, err = os.MkdirTemp("/dev/shm", "engine-backtest-*"); err != nil {
			dir = os.TempDir()
		}
	}
	if tmp == "" {
		if tmp, err = os.MkdirTemp(dir, "engine-backtest-*"); err != nil {
			return nil, "", fmt.Errorf("backtest: scratch ledger: %w", err)
		}
	}
	st, err := ledger.Open(filepath.Join(tmp, "ledger.db"), ledger.Options{Clock: clk})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, "", fmt.Errorf("backtest: scratch ledger: %w", err)
	}
	return st, tmp, nil
}

// postOpening records the starting balances in the journal.
func (r *replay) postOpening() error {
	e := ledger.Entry{Key: "backtest:opening", Kind: ledger.KindOpening, Time: r.start, Memo: "backtest starting balances"}
	for _, a := range r.valuer.assets {
		if v := r.o.Balances[a]; !v.IsZero() {
			e.Postings = append(e.Postings,
				ledger.Posting{Account: ledger.VenueAvailable(ledger.Hercle), Asset: a, Amount: v},
				ledger.Posting{Account: ledger.OpeningBalance(), Asset: a, Amount: v.Neg()})
		}
	}
	if len(e.Postings) == 0 {
		return nil
	}
	if _, _, err := r.store.Post(context.Background(), e); err != nil {
		return fmt.Errorf("backtest: opening balances: %w", err)
	}
	return nil
}

func (r *replay) close() {
	if r.out != nil {
		r.out.close()
	}
	if r.store != nil {
		r.store.Close()
	}
	if r.tempDir != "" {
		os.RemoveAll(r.tempDir)
	}
}

// now is the simulated time (prices).
func (r *replay) now() time.Time { return r.clock.Now() }

// priceAt returns the last tick of pair received by at: the ticks replayed,
// and with latency those buffered ahead (the price the order meets when it
// arrives). Without latency it is the price the loop decided on.
func (r *replay) priceAt(pair string, at time.Time) (market.Tick, bool) {
	t, ok := r.last[pair]
	if r.o.Venue.Latency > 0 {
		for _, u := range r.ahead {
			if u.Tick.Received.After(at) {
				break
			}
			if u.Tick.Pair == pair && (!ok || takes(u.Tick, t, u.Tick.Received)) {
				t, ok = u.Tick, true
			}
		}
	}
	return t, ok
}

// maxClockSkew is trader.Loop's: how far ahead of the loop's clock a
// venue timestamp may be and still be trusted to order the ticks after it.
const maxClockSkew = 5 * time.Second

// takes reports whether the loop, at now, takes t as its pair's last tick
// over prev: unless t is older, as long as prev's stamp is not further
// ahead of the clock than any skew explains (one bad venue timestamp
// would otherwise freeze the pair).
func takes(t, prev market.Tick, now time.Time) bool {
	return !t.Time.Before(prev.Time) || prev.Time.After(now.Add(maxClockSkew))
}

// next returns the next tick of the stream, in place in its batch: it is
// valid until the following call.
func (r *replay) next() (*feeds.Update, error) {
	for r.cur == nil || r.pos == len(r.cur.ups) {
		if r.cur != nil {
			if r.cur.last {
				return nil, r.cur.err
			}
			r.st.free <- r.cur // never blocks: there are only as many batches
			r.cur = nil
		}
		b, ok := <-r.st.out
		if !ok {
			return nil, nil
		}
		r.cur, r.pos, r.read, r.total = b, 0, b.read, b.total
	}
	u := &r.cur.ups[r.pos]
	r.pos++
	return u, nil
}

// pull returns the next tick to replay (nil after the last), valid until
// the following call. With latency it keeps ahead filled to Latency past
// that tick.
func (r *replay) pull() (*feeds.Update, error) {
	if r.o.Venue.Latency <= 0 {
		return r.next()
	}
	if len(r.ahead) > 0 {
		r.ahead = append(r.ahead[:0], r.ahead[1:]...) // the tick replayed last
	}
	if len(r.ahead) == 0 {
		u, err := r.next()
		if err != nil || u == nil {
			return nil, err
		}
		r.ahead = append(r.ahead, *u)
	}
	horizon := r.ahead[0].Tick.Received.Add(r.o.Venue.Latency)
	for !r.ahead[len(r.ahead)-1].Tick.Received.After(horizon) {
		u, err := r.next()
		if err != nil {
			return nil, err
		}
		if u == nil {
			break
		}
		r.ahead = append(r.ahead, *u)
	}
	return &r.ahead[0], nil
}

func (r *replay) run(ctx context.Context) error {
	r.st = r.src.stream(ctx)
	defer r.st.stop()
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
		r.sampleBefore(at)
		r.clock.Set(at)
		if prev, ok := r.last[t.Pair]; !ok || takes(*t, prev, r.now()) {
			if ok && priced(prev) && !priced(*t) {
				r.marks.held[t.Pair] = prev
			}
			r.last[t.Pair] = *t
		}
		if !r.started {
			// Before the loop sees the tick: a trade on it is part of
			// the run, not of its starting point.
			r.begin(at)
		}
		r.loop.Step(ctx, *t)
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
	r.st.stop() // the source's counters are the replay's from here
	if r.ticks == 0 {
		return r.emptyRange()
	}
	return nil
}

func (r *replay) progress(done bool) {
	r.o.Progress(Progress{Ticks: r.ticks, Bytes: r.read, TotalBytes: r.total, At: r.clock.Now(), Done: done})
}

// emptyRange explains a run that replayed nothing.
func (r *replay) emptyRange() error {
	span := func(t time.Time) string {
		if t.IsZero() {
			return "(unbounded)"
		}
		return t.UTC().Format(time.RFC3339)
	}
	if r.src.first.IsZero() {
		return fmt.Errorf("backtest: %v: no ticks: the recordings hold a header and nothing else", r.o.Feeds)
	}
	return fmt.Errorf("backtest: empty time range: no ticks received in [%s, %s) in %v; the recordings cover %s to %s",
		span(r.o.From), span(r.o.To), r.o.Feeds, span(r.src.first), span(r.src.last))
}

// timersUntil fires, in time order, every strategy timer due at or before
// limit: a timer due when a tick arrives goes first, as it would have
// fired before the tick on a live clock.
func (r *replay) timersUntil(ctx context.Context, limit time.Time) error {
	var prev time.Time
	same := 0
	for {
		due, ok := r.loop.NextTimer()
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
		r.loop.StepTimers(ctx)
	}
}

// begin takes the first equity sample once every asset has a price: the
// opening balances at those prices. A trade made before then (on a pair
// priced earlier) belongs to the run, not to its starting point.
func (r *replay) begin(at time.Time) {
	eq, risky, ok := r.valuer.equity(r.startBal, r.marks)
	if !ok {
		return
	}
	r.started = true
	r.startValues = map[market.Asset]decimal.Decimal{}
	for _, a := range r.valuer.assets {
		r.startValues[a], _ = r.valuer.value(a, r.startBal[a], r.marks)
	}
	r.sampleOf(at, eq, risky, r.startBal)
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
		eq, _, _ := r.valuer.equity(r.venue.balances, r.marks)
		r.curve.close(eq)
		r.nextClose = r.nextClose.Add(24 * time.Hour)
	}
	for r.started && r.nextSample.Before(t) {
		eq, risky, _ := r.valuer.equity(r.venue.balances, r.marks)
		r.sample(r.nextSample, eq, risky)
		r.nextSample = r.nextSample.Add(r.o.EquityInterval)
	}
}

func (r *replay) sample(at time.Time, eq, risky decimal.Decimal) {
	r.sampleOf(at, eq, risky, r.venue.balances)
}

// sampleOf takes a sample of balances worth eq.
func (r *replay) sampleOf(at time.Time, eq, risky decimal.Decimal, balances map[market.Asset]decimal.Decimal) {
	p := r.curve.add(at, eq, risky)
	r.chart.add(p)
	r.out.equity(p, r.valuer.assets, balances)
}

// observer runs execution and records what each intent did.
type observer struct {
	x *execution.Executor
	r *replay
}

func (w observer) Execute(ctx context.Context, in strategy.Intent) execution.Result {
	res := w.x.Execute(ctx, in)
	w.r.executed(res)
	return res
}

func (w observer) Move(ctx context.Context, m execution.Movement) execution.Result {
	return w.x.Move(ctx, m)
}

func (r *replay) executed(res execution.Result) {
	if r.o.OnExecuted != nil {
		r.o.OnExecuted(res)
	}
	if res.Status != execution.Filled {
		r.failed++
		return
	}
	f, _ := r.venue.take(res.TradeID)
	p := r.view.Specs[res.Intent.Pair]
	notionalRef, _ := r.valuer.value(p.Quote, f.notional, r.marks)
	feeRef, _ := r.valuer.value(p.Quote, f.fee, r.marks)
	r.trades++
	r.turnover = r.turnover.Add(notionalRef)
	r.fees = r.fees.Add(feeRef)
	r.feesByAsset[p.Quote] = r.feesByAsset[p.Quote].Add(f.fee)
	r.out.trade(res, p, f, notionalRef)
}

// finish takes the last sample, checks the ledger against the venue model
// and builds the summary.
func (r *replay) finish(ctx context.Context) (*Summary, error) {
	if r.o.Progress != nil {
		r.read, r.total = r.src.progress()
		r.progress(true)
	}
	if !r.started {
		return nil, fmt.Errorf("backtest: the recordings never priced every asset in %s (assets %v): check the pairs against the recorded ones",
			r.o.Reference, r.valuer.assets)
	}
	r.sampleBefore(r.lastTick)
	// The closing sample, after the last tick: none is at lastTick yet but
	// the opening one, taken before the loop saw that tick.
	eq, risky, _ := r.valuer.equity(r.venue.balances, r.marks)
	r.sample(r.lastTick, eq, risky)
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

package backtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
)

// Run replays the recordings through the strategies, risk and execution
// and writes the report to o.Out. It returns the summary, or an error and
// no report: a recording that is truncated, corrupt or of another format
// (*FeedError, naming the file and line), a range holding no tick,
// invalid options, or a broken ledger invariant.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if err := o.check(true); err != nil {
		return nil, err
	}
	if err := checkOut(o.Out); err != nil {
		return nil, err
	}
	var in ticks
	if o.Tape != nil {
		in = newTapeTicks(o.Tape, o.From, o.To)
	} else {
		src, err := openSource(o.Feeds, o.From, o.To)
		if err != nil {
			return nil, err
		}
		defer src.close()
		st := newStreamTicks(ctx, src)
		defer st.stop()
		in = st
	}
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
	r, err := newReplay(o, in, stage)
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
	o     Options
	in    ticks
	clock *clock.Manual
	start time.Time

	// ahead holds, with latency, the tick being replayed and those read
	// after it up to Latency later, so the venue model can see the price
	// an order meets when it arrives. Without latency it is unused.
	ahead []feeds.Update
	// aheadBuf is the buffer ahead is a window of (see pushAhead).
	aheadBuf []feeds.Update
	// last is every pair's last replayed tick, by the loop's rule (see
	// takes), and the marks equity, PnL, turnover and fees are valued at.
	last lastTicks
	// view is what risk checks a quote against: its Ticks are a copy of
	// last, made when risk asks for it.
	view strategy.State

	venue  *venue
	valuer *valuer
	// book is package portfolio's view of the journal, for the report's
	// attribution; nil without a report.
	book    *book
	store   *ledger.Store
	tempDir string
	risk    *risk.Engine
	reg     *prometheus.Registry
	loop    *trader.Loop

	out        *outputs
	curve      curve
	chart      downsampler[chartPoint]
	prices     map[string]*priceSeries // by pair, for the price charts
	nextSample time.Time
	nextClose  time.Time // the next UTC midnight, ending a day
	started    bool
	// startBal are the opening balances, startValues their value when the
	// first equity sample is taken (once every asset has a price).
	startBal    map[market.Asset]decimal.Decimal
	startValues map[market.Asset]decimal.Decimal
	startPrices map[market.Asset]decimal.Decimal // a unit of each, in the reference

	// sched runs the treasury's jobs on the simulated clock; nil without
	// treasury policies. treasuryTrade names the policy whose conversion
	// is executing.
	sched         *scheduler.Scheduler
	treasuryTrade string

	// stopWhen, if set, says why the run is to stop early ("" to go
	// on); it is asked after every equity sample and fill, and stopped
	// keeps its answer.
	stopWhen func(*replay) string
	stopped  string

	ticks, trades, failed int64
	turnover, fees        decimal.Decimal
	feesByAsset           map[market.Asset]decimal.Decimal
	firstTick, lastTick   time.Time
	lastProgress          int64
}

func newReplay(o Options, in ticks, stage string) (r *replay, err error) {
	r = &replay{o: o, in: in, feesByAsset: map[market.Asset]decimal.Decimal{},
		chart: newDownsampler[chartPoint](2048), prices: map[string]*priceSeries{}, reg: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	r.startBal = cloneBalances(o.Balances)
	specs := map[string]market.Pair{}
	for _, p := range o.Pairs {
		specs[p.Symbol] = p
	}
	r.view = strategy.State{MaxAge: o.Limits.MaxPriceAge.Duration, Ticks: map[string]market.Tick{}, Specs: specs}
	if r.valuer, err = newValuer(o.Reference, o.Pairs, o.assets()); err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	// The clock starts at the first tick: nothing happens before it.
	r.start = in.first()
	if r.start.IsZero() {
		r.start = o.From
	}
	r.clock = clock.NewManual(r.start)
	r.venue = newVenue(o.Venue, r, specs, o.Balances)

	if stage != "" {
		if r.out, err = createOutputs(stage, r.valuer.assets); err != nil {
			return nil, err
		}
	}
	if r.store, r.tempDir, err = openLedger(o.TempDir, r.clock.Clock()); err != nil {
		return nil, err
	}
	if err := r.postOpening(); err != nil {
		return nil, err
	}
	if stage != "" {
		if r.book, err = newBook(r); err != nil {
			return nil, err
		}
	}
	n := 0
	eng, err := trader.NewEngine(trader.EngineOptions{
		Limits: o.Limits, Counters: &risk.MemoryCounters{}, Gate: o.Gate, Store: r.store, Venue: r.venue, Transfers: r.venue,
		Pairs: o.Pairs, Strategies: o.Strategies, Clock: r.clock.Clock(), Inline: true,
		Prices:  r.quoteView,
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
	if err := r.startTreasury(eng); err != nil {
		return nil, err
	}
	return r, nil
}

// quoteView is the view risk checks a quote against, at now.
func (r *replay) quoteView(now time.Time) strategy.View {
	r.view.Clock = now
	r.last.copyTo(r.view.Ticks)
	return &r.view
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
	r.out.close()
	if r.store != nil {
		r.store.Close()
	}
	if r.tempDir != "" {
		os.RemoveAll(r.tempDir)
	}
}

package pnl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/portfolio"
)

// Watched is the ledger as a Follower reads it. *ledger.Store satisfies
// it.
type Watched interface {
	Journal
	WatchBalances(fn func(ledger.BalanceUpdate)) (stop func())
}

// FollowerOptions configure a Follower.
type FollowerOptions struct {
	// Ledger is followed: replayed at start, then each commit. Required.
	Ledger Watched
	// Options are the Tracker's. Their Fallback (the feed's last prices
	// in the daemon) also values the holdings, over the last fills.
	Options
	// PricesFrom says where Fallback's prices come from, for
	// Portfolio.Prices ("the feed's last prices").
	PricesFrom string
	// Keys are the attribution keys the metrics are labelled with (the
	// configured strategies and "treasury:<policy>"); Manual and
	// portfolio.Unattributed always are; any other key is summed as
	// "other".
	Keys       []string
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Clock dates reports; the zero value is the system clock.
	Clock clock.Clock
}

// Follower keeps the daemon's portfolio: a Tracker on its own goroutine
// (Run), fed from the ledger's commit hook, answering Portfolio and PnL
// and keeping the portfolio metrics. The trading loop never waits on it:
// the commit hook only queues entries. It is safe for concurrent use.
type Follower struct {
	o       FollowerOptions
	log     *slog.Logger
	m       *metrics
	reqs    chan func(*Tracker, error)
	queue   *ledger.EntryQueue // filled by the commit hook
	running chan struct{}      // closed by Run's first call
	once    sync.Once
}

// NewFollower checks o and registers the metrics. It does no I/O.
func NewFollower(o FollowerOptions) (*Follower, error) {
	if o.Ledger == nil {
		return nil, errors.New("pnl: a Follower needs the ledger")
	}
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(o.Registerer, o.Keys)
	if err != nil {
		return nil, err
	}
	return &Follower{o: o, log: o.Logger, m: m, reqs: make(chan func(*Tracker, error)),
		queue: ledger.NewEntryQueue(), running: make(chan struct{})}, nil
}

// refreshEvery is how often the metrics are recomputed at the latest
// prices, and entries waiting for a price are tried again.
const refreshEvery = time.Second

// Run follows the ledger until ctx ends: it starts watching, replays the
// journal (retrying every second while it cannot be read), then books
// every committed entry and answers the queries. It returns nil when ctx
// ends.
func (f *Follower) Run(ctx context.Context) error {
	f.once.Do(func() { close(f.running) })
	stop := f.o.Ledger.WatchBalances(f.queue.Push)
	defer stop()
	tick := time.NewTicker(refreshEvery)
	defer tick.Stop()
	var tr *Tracker
	var loadErr error
	load := func() {
		if tr, loadErr = Load(ctx, f.o.Ledger, f.o.Options); loadErr != nil {
			if ctx.Err() == nil {
				f.log.Error("portfolio: the journal could not be read; PnL unavailable until it can", "err", loadErr)
			}
			return
		}
		for _, e := range f.queue.Take() {
			tr.Add(e)
		}
		f.refresh(tr)
	}
	load()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-f.queue.Ready():
			if tr != nil {
				for _, e := range f.queue.Take() {
					tr.Add(e)
				}
			}
		case req := <-f.reqs:
			req(tr, loadErr)
		case <-tick.C:
			if tr == nil {
				load()
				continue
			}
			tr.Retry()
			f.refresh(tr)
		}
	}
}

// do runs fn on Run's goroutine and waits for it; ctx bounds the wait.
func (f *Follower) do(ctx context.Context, fn func(*Tracker) error) error {
	done := make(chan error, 1)
	req := func(tr *Tracker, loadErr error) {
		if tr == nil {
			done <- fmt.Errorf("portfolio unavailable: %w", loadErr)
			return
		}
		done <- fn(tr)
	}
	select {
	case f.reqs <- req:
	case <-ctx.Done():
		return fmt.Errorf("portfolio: no answer: %w", ctx.Err())
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("portfolio: no answer: %w", ctx.Err())
	}
}

// live returns the fallback's prices now, nil without one.
func (f *Follower) live() portfolio.PriceSource {
	if f.o.Fallback == nil {
		return nil
	}
	return f.o.Fallback()
}

// Portfolio returns the book valued now, with every entry committed
// before the call booked (or waiting for a price).
func (f *Follower) Portfolio(ctx context.Context) (Portfolio, error) {
	var out Portfolio
	err := f.do(ctx, func(tr *Tracker) error {
		f.catchUp(tr)
		out = tr.Portfolio(f.live(), f.o.PricesFrom, f.o.Clock.Now())
		return nil
	})
	return out, err
}

// PnL returns the PnL of q's window, ending now.
func (f *Follower) PnL(ctx context.Context, q Query) (PnL, error) {
	var out PnL
	err := f.do(ctx, func(tr *Tracker) error {
		f.catchUp(tr)
		v, err := tr.PnL(ctx, f.o.Ledger, q, f.live(), f.o.Clock.Now())
		out = v
		return err
	})
	return out, err
}

// catchUp books what the commit hook queued, so a query sees every
// entry committed before it, and tries the waiting ones again at the
// latest prices.
func (f *Follower) catchUp(tr *Tracker) {
	for _, e := range f.queue.Take() {
		tr.Add(e)
	}
	if tr.Status().Pending > 0 {
		tr.Retry()
	}
}

// refresh sets the metrics from a report at the latest prices.
func (f *Follower) refresh(tr *Tracker) {
	if f.m == nil {
		return
	}
	f.catchUp(tr)
	f.m.set(tr.Report(tr.Prices(f.live()), f.o.Clock.Now()), tr.Status())
}

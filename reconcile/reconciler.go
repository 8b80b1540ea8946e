package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/scheduler"
)

// Pauser stops and restarts trading; the daemon connects it to the risk
// kill switch. Pause is called after every run whose breaks exceed the
// threshold (with the reason), Resume once after the first run that no
// longer does, and only if this Reconciler paused. Both must be safe for
// concurrent use and must not block.
type Pauser interface {
	Pause(reason string)
	Resume()
}

// Deps are what a Reconciler works with.
type Deps struct {
	// Ledger holds the books and receives imports and reports. Required.
	Ledger Ledger
	// Venue is the Hercle REST client. Required.
	Venue Venue
	// Payments is the Heropayments client; nil skips those checks (the
	// report says so when there is something to check).
	Payments Payments
	// PaymentsFlow is the Heropayments flow of a payment whose intent
	// request names none ("flow", as treasury records it) and of callbacks
	// stored without MetaFlow; empty means heropayments.FlowV2.
	PaymentsFlow heropayments.Flow
	// Pauser, if set, is paused while breaks exceed Config.PauseAbove.
	Pauser Pauser
	// OnImport, if set, is called with each entry a run imports (a deposit
	// the webhook never delivered, say), after it is durable, so the
	// engine can act on it as on a webhook; it must not block.
	OnImport func(ledger.Entry)
	// Metrics receives the collectors; nil registers none.
	Metrics prometheus.Registerer
	// Logger; nil discards.
	Logger *slog.Logger
	// Clock is the clock; the zero value is the system clock.
	Clock clock.Clock
}

// Reconciler reconciles the ledger with the venues. Create it with New.
// It is safe for concurrent use; runs never overlap.
type Reconciler struct {
	cfg      Config
	store    Ledger
	venue    Venue
	payments Payments
	flow     heropayments.Flow
	pauser   Pauser
	onImport func(ledger.Entry)
	log      *slog.Logger
	clock    clock.Clock
	m        *metrics
	trigger  chan struct{} // capacity 1: triggers coalesce

	runMu sync.Mutex // held for a whole run, so runs never overlap, and guards the two below
	cache *cache     // the ledger as read by earlier runs
	sizes sizes      // how much venue history the last run read

	mu        sync.Mutex // guards the fields below
	paused    bool       // this Reconciler paused trading
	lastClean time.Time  // finish of the last clean run known; zero if none
	started   time.Time  // construction, for the since-clean gauge without a clean run
	last      *Report    // the last completed run
}

// New checks cfg and deps and returns a Reconciler. It reads the last
// clean report from the ledger for the since-last-clean metric.
func New(cfg Config, deps Deps) (*Reconciler, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if deps.Ledger == nil || deps.Venue == nil {
		return nil, fmt.Errorf("%w: a ledger and a venue are required", ErrConfig)
	}
	flow := deps.PaymentsFlow
	if flow == "" {
		flow = heropayments.FlowV2
	}
	if flow != heropayments.FlowV2 && flow != heropayments.FlowCustody {
		return nil, fmt.Errorf("%w: heropayments flow %q is neither %q nor %q", ErrConfig, flow, heropayments.FlowV2, heropayments.FlowCustody)
	}
	r := &Reconciler{
		cfg: cfg, store: deps.Ledger, venue: deps.Venue, payments: deps.Payments, flow: flow,
		pauser: deps.Pauser, onImport: deps.OnImport, log: deps.Logger, clock: deps.Clock,
		trigger: make(chan struct{}, 1), cache: newCache(),
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.started = r.clock.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch rep, err := deps.Ledger.LastCleanReport(ctx); {
	case err == nil:
		r.lastClean = rep.Finished
	case !errors.Is(err, ledger.ErrNotFound):
		return nil, fmt.Errorf("%w: last clean report: %w", ErrLedger, err)
	}
	m, err := newMetrics(deps.Metrics, r.sinceClean)
	if err != nil {
		return nil, err
	}
	r.m = m
	if !r.lastClean.IsZero() && m != nil {
		m.lastClean.Set(float64(r.lastClean.UnixNano()) / 1e9)
	}
	return r, nil
}

// sinceClean is the since-last-clean gauge's value.
func (r *Reconciler) sinceClean() float64 {
	r.mu.Lock()
	from := r.lastClean
	if from.IsZero() {
		from = r.started
	}
	r.mu.Unlock()
	return r.clock.Since(from).Seconds()
}

// LastClean returns when the last clean run finished, and whether one is
// known (in this process or in the ledger's reports).
func (r *Reconciler) LastClean() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastClean, !r.lastClean.IsZero()
}

// Last returns the report of the last run this Reconciler completed.
func (r *Reconciler) Last() (Report, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		return Report{}, false
	}
	return *r.last, true
}

// Run reconciles the venue history from since to now with the ledger:
// compares, imports what the venue's history proves missing, compares the
// balances, stores the report in the ledger (unless Config.DryRun), updates
// the metrics and the pause. A zero since means now minus
// Config.Lookback. Runs never overlap: a second caller waits.
//
// Any error reading the venue (ErrVenue) or the ledger (ErrLedger) fails
// the run: nothing is stored, no pause changes, and the error is returned;
// imports already posted stay (each is idempotent and correct on its own).
func (r *Reconciler) Run(ctx context.Context, since time.Time) (Report, error) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	started := r.clock.Now()
	rep, err := r.run(ctx, started, since)
	secs := r.clock.Since(started).Seconds()
	if err != nil {
		r.m.run("error", secs)
		return Report{}, err
	}
	result := "clean"
	if !rep.Clean() {
		result = "breaks"
	}
	r.m.run(result, secs)
	r.mu.Lock()
	// The time since the last clean run is what an operator alerts on, so
	// a run that could not compare the balances (the venue's sequence kept
	// moving) does not reset it, even without breaks: on a busy account
	// the balances could otherwise go unchecked for ever unnoticed.
	if rep.Clean() && rep.BalancesCompared {
		r.lastClean = rep.Finished
	}
	lastClean := r.lastClean
	r.last = &rep
	r.mu.Unlock()
	var lc float64
	if !lastClean.IsZero() {
		lc = float64(lastClean.UnixNano()) / 1e9
	}
	r.m.report(rep, lc)
	r.applyPause(rep)
	return rep, nil
}

func (r *Reconciler) run(ctx context.Context, now, since time.Time) (Report, error) {
	if since.IsZero() {
		since = now.Add(-r.cfg.Lookback)
	}
	if !since.Before(now) {
		return Report{}, fmt.Errorf("%w: since %s is not before now %s", ErrConfig, since.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	x := newRun(r.cfg, now, since)
	x.v, x.payments, x.flow = r.venue, r.payments, r.flow
	x.prev = r.firstSeen(ctx)
	// Three reads overlap: the venue's history (network-bound in
	// production), the inbox (every stored webhook), and the journal
	// window with the intents and balances. The comparisons that need no
	// webhook start as soon as the journal and the venue are in.
	rctx, cancel := context.WithCancel(ctx)
	hint := r.sizes
	var (
		data             *venueData
		hooks            *hookIndex
		cbs              *callbackIndex
		fetchErr, inErr  error
		venueIn, inboxIn = make(chan struct{}), make(chan struct{})
	)
	go func() {
		defer close(venueIn)
		data, fetchErr = fetch(rctx, r.venue, since, now, hint)
	}()
	go func() {
		defer close(inboxIn)
		hooks, cbs, inErr = loadInbox(rctx, r.store, r.cache, since, r.flow)
	}()
	defer func() {
		cancel()
		<-venueIn
		<-inboxIn
	}()
	books, err := loadBooks(rctx, r.store, r.cache, since)
	if err != nil {
		return Report{}, err
	}
	if <-venueIn; fetchErr != nil {
		return Report{}, fetchErr
	}
	x.books, x.venue = books, indexVenue(data)
	r.sizes = sizes{trades: len(data.trades), txs: len(data.txs)}
	if err := x.compareVenueSide(ctx); err != nil {
		return Report{}, err
	}
	if <-inboxIn; inErr != nil {
		return Report{}, inErr
	}
	x.books.hooks, x.books.callbacks = hooks, cbs
	if err := x.compareInboxSide(ctx); err != nil {
		return Report{}, err
	}
	if err := r.importFixes(ctx, x); err != nil {
		return Report{}, err
	}
	if err := x.compareBalances(ctx); err != nil {
		return Report{}, err
	}
	rep := x.report(now, r.clock.Now())
	if r.cfg.DryRun {
		return rep, nil
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return Report{}, fmt.Errorf("reconcile: encode report: %w", err)
	}
	stored, err := r.store.PutReport(ctx, ledger.Report{Started: rep.Started, Finished: rep.Finished, Breaks: rep.Breaks, Body: body}, r.cfg.KeepReports)
	if err != nil {
		return Report{}, fmt.Errorf("%w: store report: %w", ErrLedger, err)
	}
	rep.ID = stored.ID
	return rep, nil
}

// firstSeen reads the last stored report's findings, so a difference keeps
// the time it was first seen across runs and restarts. A report that does
// not decode is logged and ignored: the findings then start afresh.
func (r *Reconciler) firstSeen(ctx context.Context) map[string]time.Time {
	out := map[string]time.Time{}
	last, err := r.store.LastReport(ctx)
	if err != nil {
		if !errors.Is(err, ledger.ErrNotFound) {
			r.log.Warn("reconcile: last report unreadable; differences start their grace period afresh", "err", err)
		}
		return out
	}
	rep, err := DecodeReport(last.Body)
	if err != nil {
		r.log.Warn("reconcile: last report does not decode; differences start their grace period afresh", "report", last.ID, "err", err)
		return out
	}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if !f.FirstSeen.IsZero() {
			out[f.key()] = f.FirstSeen
		}
	}
	return out
}

// importFixes posts the entries of findings that are no longer pending.
// An entry the ledger refuses leaves its finding a break; any other ledger
// error fails the run.
func (r *Reconciler) importFixes(ctx context.Context, x *run) error {
	for _, f := range x.findings {
		if f.fix == nil || f.Pending {
			continue
		}
		if f.prepare != nil {
			if err := f.prepare(ctx); err != nil {
				return err
			}
			if f.fix == nil {
				continue
			}
		}
		if r.cfg.DryRun {
			f.Detail += "; dry run: would import " + f.fix.Key
			continue
		}
		e, created, err := r.store.Post(ctx, *f.fix)
		switch {
		case errors.Is(err, ledger.ErrInvalidEntry), errors.Is(err, ledger.ErrUnbalanced), errors.Is(err, ledger.ErrInvalidAccount):
			f.Detail += "; the ledger refused the import: " + err.Error()
			r.log.Error("reconcile: import refused by the ledger", "key", f.fix.Key, "err", err)
			continue
		case err != nil:
			return fmt.Errorf("%w: import %s: %w", ErrLedger, f.fix.Key, err)
		}
		f.Imported = e.Key
		if !created {
			f.Detail += "; the entry was posted meanwhile by its regular path"
			continue
		}
		r.m.importedEntry(f.Check)
		r.log.Warn("reconcile: imported a movement the ledger lacked", "key", e.Key, "check", f.Check, "detail", f.Detail)
		if r.onImport != nil {
			r.onImport(e)
		}
	}
	return nil
}

// applyPause pauses trading while breaks exceed the threshold.
func (r *Reconciler) applyPause(rep Report) {
	if r.pauser == nil || r.cfg.PauseAbove < 0 {
		return
	}
	r.mu.Lock()
	over := rep.Breaks > r.cfg.PauseAbove
	resume := !over && r.paused
	r.paused = over
	r.mu.Unlock()
	switch {
	case over:
		reason := fmt.Sprintf("reconciliation found %d break(s), above the threshold of %d", rep.Breaks, r.cfg.PauseAbove)
		if rep.ID != 0 {
			reason += fmt.Sprintf(" (report %d)", rep.ID)
		}
		r.log.Error("reconcile: pausing trading", "breaks", rep.Breaks, "threshold", r.cfg.PauseAbove, "report", rep.ID)
		r.pauser.Pause(reason)
	case resume:
		r.log.Info("reconcile: breaks back within the threshold; resuming trading", "breaks", rep.Breaks, "report", rep.ID)
		r.pauser.Resume()
	}
	r.m.setPaused(over)
}

// Trigger asks Serve for a run. It never blocks; triggers arriving during
// a run coalesce into one more run.
func (r *Reconciler) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// Serve runs a reconciliation at once (start-up), then one per Trigger,
// each over the last Config.Lookback, until ctx ends; it then returns nil.
// A failed run is logged and counted; the next trigger tries again.
func (r *Reconciler) Serve(ctx context.Context) error {
	for {
		rep, err := r.Run(ctx, time.Time{})
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			r.log.Error("reconcile: run failed; nothing stored", "err", err)
		case !rep.Clean():
			r.log.Error("reconcile: breaks found", "breaks", rep.Breaks, "pending", rep.Pending, "imported", rep.Imported, "report", rep.ID)
		default:
			r.log.Info("reconcile: clean", "pending", rep.Pending, "imported", rep.Imported, "report", rep.ID)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.trigger:
		}
	}
}

// Job is the scheduler job for Config.Schedule: it triggers Serve, which
// must be running, and returns at once (the scheduler runs its jobs one at
// a time and must not wait for a reconciliation). Activations inside the
// maintenance window are deferred to its end, when the venue answers again.
func (r *Reconciler) Job() scheduler.Job {
	return scheduler.Job{
		Name:     "reconcile",
		Spec:     r.cfg.Schedule,
		InWindow: scheduler.Defer,
		Run: func(context.Context, time.Time) error {
			r.Trigger()
			return nil
		},
	}
}

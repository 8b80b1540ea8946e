package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/notify"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/reconcile"
)

// newNotifier builds the notifier of the [notify] section; with no sink
// it sends nothing. A secret a sink names but the environment lacks is a
// configuration refusal.
func newNotifier(cfg notify.Config, o Options, log *slog.Logger, reg prometheus.Registerer) (*notify.Notifier, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	opts := notify.Options{Getenv: getenv, Logger: log.With("component", "notify"), Registerer: reg}
	if o.Notify != nil {
		o.Notify(&opts)
	}
	return notify.New(cfg, opts)
}

// startNotify runs the notifier, and the feed that tells it of fills and
// movements as the ledger commits them. Both come up right after the
// ledger, so they stop after everything that writes to it: the outcomes
// of intents in flight at shutdown are told too.
func (r *run) startNotify(context.Context) error {
	d := r.d
	r.g.start("notify", d.notifier.Run)
	f := &notifyFeed{n: d.notifier, store: r.store, log: d.log.With("component", "notify"), queue: ledger.NewEntryQueue()}
	f.pairs = func() map[string]market.Pair {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.specs
	}
	f.follow()
	r.g.start("notify feed", f.Run)
	return nil
}

// notifyFeed turns committed journal entries into notifications: every
// fill, every treasury movement settled or failed. The ledger's commit
// hook only queues; the feed reads the intents (strategy, policy) on its
// own goroutine.
type notifyFeed struct {
	n     *notify.Notifier
	store *ledger.Store
	log   *slog.Logger
	pairs func() map[string]market.Pair

	queue *ledger.EntryQueue // filled by the commit hook
	stop  func()             // ends the watch
}

// follow starts watching the ledger: every entry committed from then on
// is told, once Run runs.
func (f *notifyFeed) follow() { f.stop = f.store.WatchBalances(f.queue.Push) }

// Run tells of each entry committed since follow until ctx ends, and of
// those still queued then.
func (f *notifyFeed) Run(ctx context.Context) error {
	defer f.stop()
	for {
		select {
		case <-ctx.Done():
			f.tell(context.WithoutCancel(ctx), f.queue.Take())
			return nil
		case <-f.queue.Ready():
			f.tell(ctx, f.queue.Take())
		}
	}
}

func (f *notifyFeed) tell(ctx context.Context, es []ledger.Entry) {
	for _, e := range es {
		if ev, ok := f.event(ctx, e); ok {
			f.n.Notify(ev)
		}
	}
}

// event is the notification of e, if it deserves one.
func (f *notifyFeed) event(ctx context.Context, e ledger.Entry) (notify.Event, bool) {
	var it ledger.Intent
	if e.ClientID != "" {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var err error
		it, err = f.store.Intent(rctx, e.ClientID)
		cancel()
		if err != nil {
			it = ledger.Intent{ClientID: e.ClientID}
		}
	}
	switch e.Kind {
	case ledger.KindTrade:
		tr, ok := pnl.TradeOf(e, f.pairs())
		if !ok {
			return notify.Event{}, false
		}
		fill := notify.Fill{Side: tr.Side, Amount: tr.Size, Base: tr.Pair.Base, Price: tr.Price, Quote: tr.Pair.Quote,
			ClientID: e.ClientID, Time: e.Time, Path: "OTC"}
		if it.Kind == ledger.IntentRFQAccept {
			fill.Path = "RFQ"
		}
		if k := pnl.KeyOf(it); it.Kind != "" && k != "unattributed" {
			fill.Strategy = k
		}
		if fill.ClientID == "" {
			fill.ClientID = e.Key // a trade reconciliation imported
		}
		return notify.FillEvent(fill), true
	case ledger.KindWithdrawalSettled, ledger.KindTransferSettled, ledger.KindWithdrawalFailed:
		m, ok := execution.MovementOf(it)
		if !ok {
			return notify.Event{}, false // not the engine's movement
		}
		s := notify.Sweep{Status: notify.SweepSettled, Policy: m.Policy, Amount: m.Amount, Asset: m.Asset,
			Destination: m.Destination, Method: string(m.Method), ClientID: m.ID, Time: e.Time}
		if s.ClientID == "" {
			s.ClientID = e.ClientID
		}
		if e.Kind == ledger.KindWithdrawalFailed {
			s.Status = notify.SweepFailed
			if n := len(it.History); n > 0 {
				s.Reason = it.History[n-1].Note
			}
		}
		return notify.SweepEvent(s), true
	}
	return notify.Event{}, false
}

// reportingLedger is the ledger as reconciliation writes to it: each
// report stored is also told to onReport.
type reportingLedger struct {
	*ledger.Store
	onReport func(ledger.Report)
}

func (l reportingLedger) PutReport(ctx context.Context, r ledger.Report, keep int) (ledger.Report, error) {
	out, err := l.Store.PutReport(ctx, r, keep)
	if err == nil && l.onReport != nil {
		l.onReport(out)
	}
	return out, err
}

// onReport tells the desk of a reconciliation run that found breaks.
func (d *Daemon) onReport(r ledger.Report) {
	if r.Breaks == 0 {
		return
	}
	b := notify.Break{Run: fmt.Sprint(r.ID), Breaks: r.Breaks, Time: r.Finished}
	b.Paused = d.cfg.Mode == "live" && d.cfg.Reconcile.PauseAbove >= 0 && r.Breaks > d.cfg.Reconcile.PauseAbove
	if rep, err := reconcile.DecodeReport(r.Body); err == nil {
		b.Pending = rep.Pending
		for _, c := range rep.Counts {
			if c.Outcome != "matched" && c.Outcome != "pending" && c.N > 0 {
				b.Counts = append(b.Counts, notify.Count{Label: string(c.Check) + " " + string(c.Outcome), N: c.N})
			}
		}
		for _, fd := range rep.Findings {
			if fd.Break && len(b.Examples) < 3 {
				b.Examples = append(b.Examples, fmt.Sprintf("%s %s %s: %s", fd.Check, fd.Outcome, fd.Ref, fd.Detail))
			}
		}
	}
	d.notifier.Notify(notify.BreakEvent(b))
}

// notifyWrite tells the desk that ledger writes fail (trading paused) or
// work again.
func (d *Daemon) notifyWrite(failing bool, err error, since time.Time) {
	ev := notify.Event{Class: notify.ClassAlerts, Key: "ledger-write:" + since.UTC().Format(time.RFC3339Nano), Time: d.o.Clock.Now()}
	if failing {
		ev.Title, ev.Severity = "Ledger writes failing: trading paused", notify.SeverityCritical
		ev.Text = "Money must not move that the books cannot record. Check the disk of the ledger file."
		ev.Fields = []notify.Field{{Name: "error", Value: clipAudit(err.Error(), 300)}}
	} else {
		ev.Key += ":recovered"
		ev.Title = "Ledger writes work again: trading resumes"
		ev.Fields = []notify.Field{{Name: "failed for", Value: d.o.Clock.Since(since).Round(time.Second).String()}}
	}
	d.notifier.Notify(ev)
}

// killKind names what a risk stop reason comes from, and who asked.
func killKind(reason string) (notify.KillKind, string, string) {
	switch {
	case strings.HasPrefix(reason, killPrefix):
		by := byOf(reason)
		return notify.KillSwitch, strings.TrimSuffix(strings.TrimPrefix(reason, killPrefix), " (by "+by+")"), by
	case strings.HasPrefix(reason, pausePrefix):
		by := byOf(reason)
		return notify.Pause, strings.TrimSuffix(strings.TrimPrefix(reason, pausePrefix), " (by "+by+")"), by
	case strings.HasPrefix(reason, writeReason):
		return notify.Pause, reason, "ledger"
	case strings.HasPrefix(reason, reconcilePrefix):
		return notify.Pause, reason, "reconcile"
	}
	return notify.KillSwitch, reason, ""
}

// byOf reads the "(by NAME)" an operator's reason ends with.
func byOf(reason string) string {
	i := strings.LastIndex(reason, "(by ")
	if i < 0 || !strings.HasSuffix(reason, ")") {
		return ""
	}
	return reason[i+4 : len(reason)-1]
}

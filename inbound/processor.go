package inbound

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/passes"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Ledger is what the Processor needs of the ledger. *ledger.Store
// implements it.
type Ledger interface {
	Unprocessed(ctx context.Context) ([]ledger.Event, error)
	Events(ctx context.Context, src ledger.Source, fn func(ledger.Event) error) error
	MarkProcessed(ctx context.Context, src ledger.Source, id string) error
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, bool, error)
	Entry(ctx context.Context, key string) (ledger.Entry, error)
	Balance(ctx context.Context, a ledger.Account, asset market.Asset) (decimal.Decimal, error)
	Intent(ctx context.Context, clientID string) (ledger.Intent, error)
	Intents(ctx context.Context, st ledger.IntentState) ([]ledger.Intent, error)
	Transition(ctx context.Context, clientID string, to ledger.IntentState, d ledger.Detail) (ledger.Intent, error)
}

// Deposit is the notification of a credited deposit, for strategies
// (autoconvert) that act on incoming money.
type Deposit struct {
	EventID       string // the webhook event that credited it
	TransactionID string // Hercle's transaction id
	Venue         ledger.Venue
	Asset         market.Asset
	Amount        decimal.Decimal
	EntryKey      string    // the journal entry, "hercle:deposit:<transaction id>"
	Time          time.Time // when the venue processed it (event time if absent)
}

// Defaults of Options.
const (
	DefaultWorkers = 8
	DefaultRescan  = 30 * time.Second
)

// Options configures a Processor.
type Options struct {
	// Ledger holds the inbox, the journal and the intents. Required.
	Ledger Ledger
	// OnDeposit is called once for each deposit credited (pending: not
	// spendable until the venue's history confirms it). It is called
	// from the processor's workers, one call at a time; it must not block
	// (hand the Deposit to a buffered channel or the event loop). After a
	// crash between crediting and marking the event processed, it is
	// called again for that deposit when the event is re-applied:
	// consumers key on Deposit.EntryKey.
	OnDeposit func(Deposit)
	// Metrics receives the processor's collectors; nil registers none.
	Metrics prometheus.Registerer
	// Logger; nil discards. Bodies are never logged.
	Logger *slog.Logger
	// Clock is the clock for the lag metric; the zero value is the system
	// clock.
	Clock clock.Clock
	// Tick, if not nil, triggers a pass on each receive (a safety net for
	// a lost wake-up and for retrying transient errors). Nil means a
	// ticker every DefaultRescan.
	Tick <-chan time.Time
	// Workers applies events of different movements in parallel (events
	// of one movement are always applied in order by one worker), so
	// ledger writes share fsyncs. Zero means DefaultWorkers.
	Workers int
}

// Processor applies the stored Hercle webhooks. Build it with New, start
// Run in a goroutine, wire Notify into the WebhookInbox, and query
// Registry. It is safe for concurrent use.
type Processor struct {
	store     Ledger
	onDeposit func(Deposit)
	log       *slog.Logger
	clock     clock.Clock
	tick      <-chan time.Time
	workers   int
	m         *metrics
	reg       *Registry

	loop     *passes.Loop
	depositM sync.Mutex // serialises OnDeposit calls

	mu          sync.Mutex        // guards the two maps
	quarantined map[string]string // event id -> reason, for this process's life
	failing     map[string]bool   // event ids whose transient failure was logged
}

// New checks opts and builds a Processor. It does nothing until Run.
func New(opts Options) (*Processor, error) {
	if opts.Ledger == nil {
		return nil, errors.New("inbound: processor needs a ledger")
	}
	if opts.Workers < 0 {
		return nil, errors.New("inbound: negative worker count")
	}
	m, err := newMetrics(opts.Metrics)
	if err != nil {
		return nil, fmt.Errorf("inbound: metrics: %w", err)
	}
	p := &Processor{
		store:       opts.Ledger,
		onDeposit:   opts.OnDeposit,
		log:         opts.Logger,
		clock:       opts.Clock,
		tick:        opts.Tick,
		workers:     cmp.Or(opts.Workers, DefaultWorkers),
		m:           m,
		reg:         newRegistry(),
		loop:        passes.New(),
		quarantined: map[string]string{},
		failing:     map[string]bool{},
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// Registry returns the registry of payees, end users, virtual accounts and
// balance snapshots. It is complete once Run has rebuilt it (Sync returns
// after that).
func (p *Processor) Registry() *Registry { return p.reg }

// Notify wakes the processor to apply newly stored events. It never
// blocks; wake-ups that arrive during a pass coalesce into one more pass.
func (p *Processor) Notify() { p.loop.Notify() }

// ErrStopped is returned by Sync when Run has returned.
var ErrStopped = passes.ErrStopped

// Sync runs a pass that starts after the call and returns when it is done:
// every event stored before Sync was called has then been applied (or
// quarantined, or failed transiently). Before Run starts it waits for it.
func (p *Processor) Sync(ctx context.Context) error { return p.loop.Sync(ctx) }

// Run rebuilds the registry from the inbox, applies everything stored and
// unprocessed (events stored before a crash included), then applies new
// events as Notify, Tick or Sync ask, until ctx ends. It returns nil on
// cancellation, or the error that stopped the start-up rebuild. Run may be
// called once.
func (p *Processor) Run(ctx context.Context) error {
	start := func(ctx context.Context) error {
		if err := p.rebuild(ctx); err != nil && ctx.Err() == nil {
			return fmt.Errorf("inbound: rebuild registry: %w", err)
		}
		return nil
	}
	next := func() (<-chan time.Time, func() bool) { return p.tick, func() bool { return false } }
	if p.tick == nil {
		t := time.NewTicker(DefaultRescan)
		defer t.Stop()
		next = func() (<-chan time.Time, func() bool) { return t.C, func() bool { return false } }
	}
	return p.loop.Run(ctx, start, p.pass, next)
}

// rebuild replays the registry events already processed; unprocessed ones
// are applied by the first pass.
func (p *Processor) rebuild(ctx context.Context) error {
	return p.store.Events(ctx, ledger.SourceHercleWebhook, func(ev ledger.Event) error {
		if ev.Processed.IsZero() || !registryType(webhook.EventType(ev.Type)) {
			return nil
		}
		we, err := webhook.DecodeEvent(ev.Body)
		if err != nil || we.Payload == nil {
			return nil // marked processed once, so it decoded then; nothing to rebuild from
		}
		p.applyRegistry(ev, we)
		return nil
	})
}

func registryType(t webhook.EventType) bool {
	switch t {
	case webhook.EventPayeeCreated, webhook.EventPayeeStatusUpdated, webhook.EventEndUserCreated,
		webhook.EventEndUserUpdated, webhook.EventEndUserStatusUpdated, webhook.EventVirtualAccountRegistered,
		webhook.EventBalanceUpdated:
		return true
	}
	return false
}

// item is one event of a pass, decoded.
type item struct {
	ev ledger.Event
	we *webhook.Event
}

// pass applies every unprocessed, non-quarantined webhook once.
func (p *Processor) pass(ctx context.Context) {
	evs, err := p.store.Unprocessed(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("inbound: list unprocessed events; retrying on the next pass", "err", err)
		}
		return
	}
	slices.SortFunc(evs, func(a, b ledger.Event) int {
		return cmp.Or(a.Received.Compare(b.Received), cmp.Compare(a.ID, b.ID))
	})
	parts := make([][]item, p.workers)
	for _, ev := range evs {
		if ev.Source != ledger.SourceHercleWebhook || p.isQuarantined(ev.ID) {
			continue
		}
		we, err := webhook.DecodeEvent(ev.Body)
		if err != nil {
			p.quarantine(ev, typeLabel(webhook.EventType(ev.Type)), err)
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(movementKey(we)))
		i := h.Sum32() % uint32(p.workers)
		parts[i] = append(parts[i], item{ev: ev, we: we})
	}
	var (
		wg     sync.WaitGroup
		leftMu sync.Mutex
		oldest time.Time
	)
	for _, part := range parts {
		if len(part) == 0 {
			continue
		}
		wg.Go(func() {
			for _, it := range part {
				if ctx.Err() != nil || !p.process(ctx, it) {
					leftMu.Lock()
					if oldest.IsZero() || it.ev.Received.Before(oldest) {
						oldest = it.ev.Received
					}
					leftMu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	lag := 0.0
	if !oldest.IsZero() {
		lag = max(0, p.clock.Since(oldest).Seconds())
	}
	p.m.lag.Set(lag)
	p.mu.Lock()
	p.m.quarantined.Set(float64(len(p.quarantined)))
	p.mu.Unlock()
}

// movementKey groups the events that must be applied in order: those of
// one withdrawal, payout, deposit or registry record.
func movementKey(we *webhook.Event) string {
	switch d := we.Payload.(type) {
	case *webhook.Withdrawal:
		return "movement:" + cmp.Or(d.ClientID, "venue:"+d.ID)
	case *webhook.Transfer:
		return "movement:" + cmp.Or(d.ClientID, "venue:"+d.ID)
	case *webhook.Transaction:
		return "deposit:" + d.ID
	case *webhook.PayeeAddress:
		return "payee-address:" + d.ID
	}
	return "type:" + string(we.EventType)
}

// errQuarantine marks an event that can never be applied as it is.
var errQuarantine = errors.New("cannot be applied")

func quarantinef(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errQuarantine}, a...)...)
}

// process applies one event and marks it processed. It reports whether
// the event left the unprocessed set (or was quarantined).
func (p *Processor) process(ctx context.Context, it item) bool {
	label := typeLabel(it.we.EventType)
	outcome, err := p.apply(ctx, it.ev, it.we)
	if err == nil {
		err = p.store.MarkProcessed(ctx, it.ev.Source, it.ev.ID)
	}
	switch {
	case err == nil:
		p.m.events.WithLabelValues(label, outcome).Inc()
		p.mu.Lock()
		delete(p.failing, it.ev.ID)
		p.mu.Unlock()
		return true
	case errors.Is(err, errQuarantine):
		p.quarantine(it.ev, label, err)
		return true
	case ctx.Err() != nil:
		return false
	}
	p.m.events.WithLabelValues(label, OutcomeError).Inc()
	p.mu.Lock()
	logged := p.failing[it.ev.ID]
	p.failing[it.ev.ID] = true
	p.mu.Unlock()
	if !logged {
		p.log.Error("inbound: event not applied; retrying on the next pass", "event_id", it.ev.ID,
			"event_type", label, "err", err)
	}
	return false
}

func (p *Processor) isQuarantined(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.quarantined[id]
	return ok
}

// quarantine leaves ev unprocessed and out of later passes of this
// process, logging it once. A restart retries it once more.
func (p *Processor) quarantine(ev ledger.Event, label string, err error) {
	p.mu.Lock()
	p.quarantined[ev.ID] = err.Error()
	delete(p.failing, ev.ID)
	p.mu.Unlock()
	p.m.events.WithLabelValues(label, OutcomeQuarantined).Inc()
	p.log.Error("inbound: event quarantined; it stays unprocessed in the inbox for an operator",
		"event_id", ev.ID, "event_type", label, "err", err)
}

// Quarantined returns the ids of the events this process has quarantined,
// with the reason.
func (p *Processor) Quarantined() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]string, len(p.quarantined))
	for k, v := range p.quarantined {
		out[k] = v
	}
	return out
}

// typeLabel bounds the metric's type label to the documented types.
func typeLabel(t webhook.EventType) string {
	if t.Known() {
		return string(t)
	}
	return "other"
}

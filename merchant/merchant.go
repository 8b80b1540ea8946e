package merchant

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/passes"
	"github.com/otcdesk/engine/internal/refusals"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Ledger is what the Processor needs of the ledger. *ledger.Store
// implements it.
type Ledger interface {
	EventStore
	Unprocessed(ctx context.Context) ([]ledger.Event, error)
	Events(ctx context.Context, src ledger.Source, fn func(ledger.Event) error) error
	MarkProcessed(ctx context.Context, src ledger.Source, id string) error
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, bool, error)
	Entry(ctx context.Context, key string) (ledger.Entry, error)
	Balance(ctx context.Context, a ledger.Account, asset market.Asset) (decimal.Decimal, error)
	Intent(ctx context.Context, clientID string) (ledger.Intent, error)
	Unfinished(ctx context.Context) ([]ledger.Intent, error)
	Transition(ctx context.Context, clientID string, to ledger.IntentState, d ledger.Detail) (ledger.Intent, error)
}

// API is the part of the Heropayments client the Processor uses.
// *heropayments.Client implements it. PaymentStatus is a read (retried by
// the client); CreateDeposit and CreateStaticDeposit create an address for
// a customer to pay to and move no money.
type API interface {
	PaymentStatus(ctx context.Context, flow heropayments.Flow, ref heropayments.Ref) (heropayments.Payment, error)
	CreateDeposit(ctx context.Context, flow heropayments.Flow, r heropayments.DepositRequest) (heropayments.Payment, error)
	CreateStaticDeposit(ctx context.Context, r heropayments.DepositRequest) (heropayments.Payment, error)
}

// Defaults of Options.
const (
	DefaultPollAfter        = 15 * time.Minute
	DefaultPollEvery        = 5 * time.Minute
	DefaultGiveUpAfter      = 4 * time.Hour // the deposit TTL the document gives
	DefaultMerchantCurrency = "USDT"
)

// Options configures a Processor.
type Options struct {
	// Ledger holds the inbox, the journal and the intents. Required.
	Ledger Ledger
	// Client looks payments up and creates deposits. Required.
	Client API
	// Secret is the API secret that signs the callbacks
	// (HEROPAYMENTS_API_SECRET). Required.
	Secret string
	// Flow is the integration the callback handler receives and
	// CreateDeposit uses; stored events keep their own. Required.
	Flow heropayments.Flow
	// MerchantCurrency is the merchant account's currency, the one
	// merchantAmount is in; empty means DefaultMerchantCurrency.
	MerchantCurrency string
	// CallbackURL is sent as callbackUrl by CreateDeposit when the
	// request has none: the public URL at which Handler is reachable.
	CallbackURL string
	// PollAfter is how long a payment may go without a final status
	// before it is looked up; PollEvery the interval between lookups of
	// one payment, and between passes that retry transient failures.
	// Zero means the defaults.
	PollAfter time.Duration
	PollEvery time.Duration
	// GiveUpAfter, counted after PollAfter, stops polling a deposit
	// CreateDeposit tracked that Heropayments keeps answering not found
	// (its request never arrived). Zero means DefaultGiveUpAfter.
	GiveUpAfter time.Duration
	// MaxBody bounds a callback body; zero means the handler's default.
	MaxBody int64
	// Clock drives polling and stamps callbacks; the zero value is the
	// system clock. Share it with the ledger's Options.Clock.
	Clock clock.Clock
	// Logger; nil discards. Bodies and secrets are never logged.
	// Refused callbacks are logged in aggregate: one summary every
	// RefusalLogEvery (written by Run) and the first few of each interval
	// in detail, never a line each.
	Logger *slog.Logger
	// RefusalLogEvery is the interval of that summary; zero means
	// refusals.DefaultEvery (a minute).
	RefusalLogEvery time.Duration
	// Metrics receives the processor's and the handler's collectors; nil
	// registers none.
	Metrics prometheus.Registerer
}

// Processor stores, applies and polls Heropayments payments. Build it with
// New, mount Handler, start Run in a goroutine. It is safe for concurrent
// use.
type Processor struct {
	store       Ledger
	api         API
	flow        heropayments.Flow
	merchant    market.Asset
	callbackURL string
	pollAfter   time.Duration
	pollEvery   time.Duration
	giveUp      time.Duration
	clock       clock.Clock
	log         *slog.Logger
	m           *metrics
	reg         *registry
	inbox       *Inbox
	handler     *heropayments.CallbackHandler
	refused     *refusals.Log

	loop *passes.Loop

	// Owned by the Run goroutine.
	lastPoll   map[heropayments.PaymentKey]time.Time
	pollLogged map[heropayments.PaymentKey]bool // a failing or not-found lookup was logged

	mu          sync.Mutex        // guards the two maps below
	quarantined map[string]string // event id -> reason, for this process's life
	failing     map[string]bool   // event ids whose transient failure was logged
}

// New checks opts and builds a Processor. It does nothing until Run.
func New(opts Options) (*Processor, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("merchant: "+format, a...)) }
	if opts.Ledger == nil {
		bad("needs a ledger")
	}
	if opts.Client == nil {
		bad("needs a Heropayments client")
	}
	if opts.PollAfter < 0 || opts.PollEvery < 0 || opts.GiveUpAfter < 0 || opts.RefusalLogEvery < 0 {
		bad("PollAfter, PollEvery, GiveUpAfter and RefusalLogEvery must not be negative")
	}
	cur := cmp.Or(opts.MerchantCurrency, DefaultMerchantCurrency)
	merchant, ok := asset(cur)
	if !ok {
		bad("merchant currency %q is not an asset code", cur)
	}
	if opts.CallbackURL != "" && !strings.HasPrefix(opts.CallbackURL, "https://") && !strings.HasPrefix(opts.CallbackURL, "http://") {
		bad("callback URL must be an absolute http(s) URL")
	}
	m, err := newMetrics(opts.Metrics)
	if err != nil {
		bad("metrics: %w", err)
	}
	p := &Processor{
		store:       opts.Ledger,
		api:         opts.Client,
		flow:        opts.Flow,
		merchant:    merchant,
		callbackURL: opts.CallbackURL,
		pollAfter:   cmp.Or(opts.PollAfter, DefaultPollAfter),
		pollEvery:   cmp.Or(opts.PollEvery, DefaultPollEvery),
		giveUp:      cmp.Or(opts.GiveUpAfter, DefaultGiveUpAfter),
		clock:       opts.Clock,
		log:         opts.Logger,
		m:           m,
		reg:         newRegistry(),
		loop:        passes.New(),
		lastPoll:    map[heropayments.PaymentKey]time.Time{},
		pollLogged:  map[heropayments.PaymentKey]bool{},
		quarantined: map[string]string{},
		failing:     map[string]bool{},
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	var refused *prometheus.CounterVec
	if m != nil {
		refused = m.refused
	}
	p.refused = refusals.New(refusals.Options{Subject: "heropayments callback", Logger: p.log,
		Every: opts.RefusalLogEvery, Counter: refused})
	if opts.Ledger != nil {
		p.inbox = NewInbox(opts.Ledger, p.Notify, p.log)
		h, err := heropayments.NewCallbackHandler(heropayments.HandlerConfig{Secret: opts.Secret, Flow: opts.Flow,
			Inbox: p.inbox, MaxBody: opts.MaxBody, Clock: p.clock, Logger: p.log, Refusals: p.refused, Metrics: opts.Metrics})
		if err != nil {
			errs = append(errs, fmt.Errorf("merchant: %w", err))
		}
		p.handler = h
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Handler is the callback endpoint: it verifies x-api-sign and answers 200
// only once the callback is durable in the ledger inbox (see
// heropayments.CallbackHandler for every answer). Mount it at the path
// whose public URL is the deposits' and withdrawals' callbackUrl.
func (p *Processor) Handler() http.Handler { return p.handler }

// Inbox is the ledger-backed heropayments.CallbackInbox Handler stores
// through, for a caller that builds its own handler.
func (p *Processor) Inbox() *Inbox { return p.inbox }

// Notify wakes the processor to apply newly stored events. It never
// blocks; wake-ups during a pass coalesce into one more pass.
func (p *Processor) Notify() { p.loop.Notify() }

// ErrStopped is returned by Sync when Run has returned.
var ErrStopped = passes.ErrStopped

// Sync runs a pass that starts after the call and returns when it is done:
// every event stored before Sync was called has then been applied (or
// quarantined, or failed transiently), and every payment due for a status
// lookup at the clock's current time has been looked up and what it
// brought applied. Before Run starts it waits for it.
func (p *Processor) Sync(ctx context.Context) error { return p.loop.Sync(ctx) }

// Run rebuilds the payment states from the inbox, applies everything
// stored and unprocessed (events stored before a crash included), polls
// what is due, then repeats as Notify, Sync and the PollEvery timer ask,
// until ctx ends. Beside it, it writes the summary of refused callbacks
// every RefusalLogEvery, and once more before it returns. It returns nil
// on cancellation, or the error that stopped the start-up rebuild. Run
// may be called once.
func (p *Processor) Run(ctx context.Context) error {
	summaries, stopSummaries := context.WithCancel(ctx)
	summariesDone := make(chan struct{})
	go func() {
		defer close(summariesDone)
		p.refused.Run(summaries, func(d time.Duration) (<-chan time.Time, func() bool) {
			t := p.clock.NewTimer(d)
			return t.C(), t.Stop
		})
	}()
	defer func() {
		stopSummaries()
		<-summariesDone
	}()

	start := func(ctx context.Context) error {
		if err := p.rebuild(ctx); err != nil && ctx.Err() == nil {
			return fmt.Errorf("merchant: rebuild payment states: %w", err)
		}
		return nil
	}
	pass := func(ctx context.Context) {
		p.pass(ctx)
		if p.poll(ctx) > 0 {
			p.pass(ctx)
		}
		p.m.unresolved.Set(float64(p.reg.unresolved()))
	}
	next := func() (<-chan time.Time, func() bool) {
		t := p.clock.NewTimer(p.pollEvery)
		return t.C(), t.Stop
	}
	return p.loop.Run(ctx, start, pass, next)
}

// Payment returns what is known of the payment with key k (an empty
// Sequence means the original payment).
func (p *Processor) Payment(k heropayments.PaymentKey) (PaymentState, bool) {
	if k.Sequence == "" {
		k.Sequence = heropayments.SequenceOriginal
	}
	return p.reg.get(k)
}

// Payments returns every payment known, sorted by key.
func (p *Processor) Payments() []PaymentState { return p.reg.all() }

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

// pass applies every unprocessed, non-quarantined Heropayments event once,
// in the order they were received.
func (p *Processor) pass(ctx context.Context) {
	evs, err := p.store.Unprocessed(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("merchant: list unprocessed events; retrying on the next pass", "err", err)
		}
		return
	}
	evs = slices.DeleteFunc(evs, func(ev ledger.Event) bool {
		return ev.Source != ledger.SourceHeropaymentsCallback || p.isQuarantined(ev.ID)
	})
	slices.SortFunc(evs, func(a, b ledger.Event) int {
		return cmp.Or(a.Received.Compare(b.Received), cmp.Compare(a.ID, b.ID))
	})
	var oldest time.Time
	for _, ev := range evs {
		if ctx.Err() != nil || !p.process(ctx, ev) {
			if oldest.IsZero() || ev.Received.Before(oldest) {
				oldest = ev.Received
			}
		}
	}
	lag := 0.0
	if !oldest.IsZero() {
		lag = max(0, p.clock.Now().Sub(oldest).Seconds())
	}
	p.m.lag.Set(lag)
	p.mu.Lock()
	p.m.quarantined.Set(float64(len(p.quarantined)))
	p.mu.Unlock()
}

// errQuarantine marks an event that can never be applied as it is.
var errQuarantine = errors.New("cannot be applied")

func quarantinef(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errQuarantine}, a...)...)
}

// process applies one event and marks it processed. It reports whether
// the event left the unprocessed set (or was quarantined).
func (p *Processor) process(ctx context.Context, ev ledger.Event) bool {
	kind, outcome, err := p.apply(ctx, ev)
	if err == nil {
		err = p.store.MarkProcessed(ctx, ev.Source, ev.ID)
	}
	switch {
	case err == nil:
		p.m.events.WithLabelValues(kind, outcome).Inc()
		p.mu.Lock()
		delete(p.failing, ev.ID)
		p.mu.Unlock()
		return true
	case errors.Is(err, errQuarantine):
		p.quarantine(ev, kind, err)
		return true
	case ctx.Err() != nil:
		return false
	}
	p.m.events.WithLabelValues(kind, OutcomeError).Inc()
	p.mu.Lock()
	logged := p.failing[ev.ID]
	p.failing[ev.ID] = true
	p.mu.Unlock()
	if !logged {
		p.log.Error("merchant: event not applied; retrying on the next pass", "event_id", ev.ID, "err", err)
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
func (p *Processor) quarantine(ev ledger.Event, kind string, err error) {
	p.mu.Lock()
	p.quarantined[ev.ID] = err.Error()
	delete(p.failing, ev.ID)
	p.mu.Unlock()
	p.m.events.WithLabelValues(kind, OutcomeQuarantined).Inc()
	p.log.Error("merchant: event quarantined; it stays unprocessed in the inbox for an operator",
		"event_id", ev.ID, "err", err)
}

package execution

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// Options configure an Executor.
type Options struct {
	// Venue trades: orders and RFQs. Required.
	Venue Venue
	// Transfers moves money out of Hercle (withdrawals, bank transfers,
	// Lightning payments); nil refuses movements.
	Transfers Transfers
	// Payments settles the Heropayments balance into Hercle; nil refuses
	// settlements.
	Payments Payments
	// Store is the ledger. Required.
	Store Store
	// Pairs resolves a pair symbol to its spec (base and quote assets).
	// Required.
	Pairs func(symbol string) (market.Pair, bool)
	// CheckQuote decides whether an RFQ quote may be accepted, or an OTC
	// order placed on a price quote (risk's CheckQuote against the current
	// streaming price). Required for RFQs; without it OTC orders are
	// checked against their limit price only.
	CheckQuote func(now time.Time, in strategy.Intent, q risk.Quote) error
	// Stopped, if set, is asked right before a movement is recorded
	// (kill switch, maintenance gate): an error sends nothing.
	Stopped func(now time.Time) error
	// NewClientID makes Client-Ids; default hercle.NewClientID. Backtests
	// pass a deterministic one.
	NewClientID func() (string, error)
	Clock       clock.Clock // zero: the system clock
	Logger      *slog.Logger
	Registry    prometheus.Registerer
	// Follow is how often an order answered Created or Pending, or an
	// outcome not yet visible at the venue, is looked up; default 1s.
	Follow time.Duration
	// Lookups bounds how many lookups may find no record of an order
	// before it counts as never received (it fails); default 30. It also
	// bounds the lookups of one Execute: an order still open then is left
	// unresolved, for Resolve and recovery.
	Lookups int
	// MovementLookups bounds how many follows (Follow, one lookup each)
	// may find no record of a movement before it counts as never
	// received and fails; default 5.
	MovementLookups int
}

// Executor runs the send protocol for every money-moving request: orders
// and RFQ accepts (Execute), withdrawals, transfers, Lightning payments and
// settlements (Move); it resolves what an earlier call or process left
// unknown by lookup (Resolve, Follow, Recover), never by sending again.
// It is safe for concurrent use: the event loop hands each approved
// intent to it on its own goroutine.
type Executor struct {
	o        Options
	log      *slog.Logger
	clock    clock.Clock
	results  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	notional *prometheus.CounterVec

	mu      sync.Mutex     // guards missing
	missing map[string]int // lookups that found no record, by Client-Id
}

// Status is how an Execute, Move or resolution ended.
type Status int

const (
	// Filled: the trade happened and is in the journal.
	Filled Status = iota + 1
	// Failed: nothing moved (venue refusal, cancelled order, quote
	// declined or expired, or the venue has no record of it); anything
	// recorded for it is undone in the books.
	Failed
	// Unresolved: the outcome is unknown and could not be looked up yet;
	// the intent stays open in the ledger. Nothing may be sent again for
	// it.
	Unresolved
	// Sent: the venue accepted a movement; it is in transit in the books
	// until it settles or fails.
	Sent
	// Settled: the movement reached its destination; it is in the
	// journal.
	Settled
	// Rejected: refused before anything was recorded (risk, a check of
	// the event loop); nothing was sent.
	Rejected
)

func (s Status) String() string {
	switch s {
	case Filled:
		return "filled"
	case Failed:
		return "failed"
	case Unresolved:
		return "unresolved"
	case Sent:
		return "sent"
	case Settled:
		return "settled"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is what happened to one intent: a trade (Intent) or a movement
// (Movement).
type Result struct {
	Intent   strategy.Intent // a trade, with ID, the Client-Id
	Movement Movement        // a movement, with ID
	Status   Status
	TradeID  string
	// Size and Amount are the base and quote amounts traded; Price the
	// execution price. Zero unless Filled.
	Size, Amount, Price decimal.Decimal
	// VenueRef is the venue's id of a movement, once known.
	VenueRef string
	// Landed is set on a settlement Heropayments reports sent: it
	// settles once its deposit arrives at Hercle.
	Landed bool
	// Detail says why it failed or is unresolved.
	Detail string
	// Err is the refusal of a Rejected result (a *risk.Rejection), or
	// for an Unresolved one the error that kept the venue from being
	// asked (nil when the venue answered that it is not final yet).
	Err  error
	Time time.Time
}

// ClientID returns the Client-Id of the trade or movement.
func (r Result) ClientID() string {
	if r.Intent.ID != "" {
		return r.Intent.ID
	}
	return r.Movement.ID
}

// New returns an executor.
func New(o Options) (*Executor, error) {
	if o.Venue == nil || o.Store == nil || o.Pairs == nil {
		return nil, errors.New("execution: Venue, Store and Pairs are required")
	}
	if o.NewClientID == nil {
		o.NewClientID = hercle.NewClientID
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Follow <= 0 {
		o.Follow = time.Second
	}
	if o.Lookups <= 0 {
		o.Lookups = 30
	}
	if o.MovementLookups <= 0 {
		o.MovementLookups = 5
	}
	x := &Executor{o: o, log: o.Logger, clock: o.Clock, missing: map[string]int{}}
	x.results = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "engine_execution_results_total",
		Help: "Intents executed, by path or method and result (filled, failed, unresolved, sent, settled).",
	}, []string{"path", "result"})
	x.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "engine_execution_order_seconds",
		Help:    "Time the money-moving request took, from sending it to the venue's answer.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	}, []string{"path"})
	x.notional = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "engine_execution_filled_notional_total",
		Help: "Notional filled, in the pair's quote currency, by pair and currency (a metric, not an amount of record).",
	}, []string{"pair", "currency"})
	if o.Registry != nil {
		for _, c := range []prometheus.Collector{x.results, x.latency, x.notional} {
			if err := o.Registry.Register(c); err != nil {
				return nil, fmt.Errorf("execution metrics: %w", err)
			}
		}
	}
	return x, nil
}

// count notes a lookup of cid that found no record and returns how many
// have, in a row.
func (x *Executor) count(cid string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.missing[cid]++
	return x.missing[cid]
}

// forget drops cid's count of lookups without a record.
func (x *Executor) forget(cid string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.missing, cid)
}

// StrategyOf returns the strategy that made an order or RFQ intent the
// executor recorded (the Strategy of its strategy.Intent); ok is false for
// any other intent.
func StrategyOf(in ledger.Intent) (string, bool) {
	if in.Kind != ledger.IntentOrder && in.Kind != ledger.IntentRFQAccept {
		return "", false
	}
	var r request
	if err := json.Unmarshal(in.Request, &r); err != nil || r.Strategy == "" {
		return "", false
	}
	return r.Strategy, true
}

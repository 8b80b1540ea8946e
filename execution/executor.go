package execution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
)

// Options configure an Executor.
type Options struct {
	Venue Venue
	Store Store
	// Pairs resolves a pair symbol to its spec (base and quote assets).
	Pairs func(symbol string) (market.Pair, bool)
	// CheckQuote decides whether an RFQ quote may be accepted, or an OTC
	// order placed on a price quote (risk's CheckQuote against the current
	// streaming price). Required for RFQs; without it OTC orders are
	// checked against their limit price only.
	CheckQuote func(now time.Time, in strategy.Intent, q risk.Quote) error
	// NewClientID makes Client-Ids; default hercle.NewClientID. Backtests
	// pass a deterministic one.
	NewClientID func() (string, error)
	Clock       scheduler.Clock // default scheduler.System
	Logger      *slog.Logger
	Registry    prometheus.Registerer
	// Follow is how often an order answered Created or Pending, or an
	// outcome not yet visible at the venue, is looked up; default 1s.
	Follow time.Duration
	// Lookups bounds those lookups before giving up; default 30. An order
	// still open then is left unknown, for recovery; an intent the venue
	// has no record of fails.
	Lookups int
}

// Executor runs intents. It is safe for concurrent use: the event loop
// hands each approved intent to Execute on its own goroutine and receives
// the Result as an event.
type Executor struct {
	o        Options
	log      *slog.Logger
	clock    scheduler.Clock
	results  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	notional *prometheus.CounterVec
}

// Status is how an Execute or Resolve call ended.
type Status int

const (
	// Filled: the trade happened and is in the journal.
	Filled Status = iota + 1
	// Failed: nothing traded (venue refusal, cancelled order, quote
	// declined or expired, or the venue has no record of it).
	Failed
	// Unresolved: the outcome is unknown and could not be looked up yet;
	// the intent stays unknown in the ledger for recovery. Nothing may be
	// sent again for it.
	Unresolved
)

func (s Status) String() string {
	switch s {
	case Filled:
		return "filled"
	case Failed:
		return "failed"
	case Unresolved:
		return "unresolved"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is what happened to one intent.
type Result struct {
	Intent  strategy.Intent // with ID, the Client-Id
	Status  Status
	TradeID string
	// Size and Amount are the base and quote amounts traded; Price the
	// execution price. Zero unless Filled.
	Size, Amount, Price decimal.Decimal
	// Detail says why it failed or is unresolved.
	Detail string
	Time   time.Time
}

// New returns an executor.
func New(o Options) (*Executor, error) {
	if o.Venue == nil || o.Store == nil || o.Pairs == nil {
		return nil, errors.New("execution: Venue, Store and Pairs are required")
	}
	if o.NewClientID == nil {
		o.NewClientID = hercle.NewClientID
	}
	if o.Clock == nil {
		o.Clock = scheduler.System{}
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
	x := &Executor{o: o, log: o.Logger, clock: o.Clock}
	x.results = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "engine_execution_results_total",
		Help: "Intents executed, by path and result (filled, failed, unresolved).",
	}, []string{"path", "result"})
	x.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "engine_execution_order_seconds",
		Help:    "Time from the intent's record to the venue's answer to the money-moving request.",
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

// request is what the ledger keeps of an intent: enough to look it up and
// to explain it.
type request struct {
	Strategy string          `json:"strategy"`
	Ref      string          `json:"ref,omitempty"`
	Pair     string          `json:"pair"`
	Side     market.Side     `json:"side"`
	Size     decimal.Decimal `json:"size"`
	Amount   decimal.Decimal `json:"amount"`
	Path     string          `json:"path"`
	PriceID  string          `json:"priceId,omitempty"`
	RFQID    string          `json:"rfqId,omitempty"`
}

func kindOf(p strategy.Path) ledger.IntentKind {
	if p == strategy.RFQ {
		return ledger.IntentRFQAccept
	}
	return ledger.IntentOrder
}

// Execute records in as an intent, sends it by its path and returns the
// outcome. in.ID, if set, is used as the Client-Id; an intent with that id
// already in the ledger is never sent again but resolved by lookup.
//
// ctx ends everything before the intent is marked submitted (then nothing
// is sent) and the follow-up lookups of an outcome not yet final (then the
// intent is left for recovery and the result is Unresolved). It does not
// cut short the money-moving request once submitted, which has the
// client's own deadline, nor the recording of its answer.
func (x *Executor) Execute(ctx context.Context, in strategy.Intent) Result {
	if err := in.Validate(); err != nil {
		return x.fail(in, "invalid intent: "+err.Error())
	}
	pair, ok := x.o.Pairs(in.Pair)
	if !ok {
		return x.fail(in, "unknown pair "+in.Pair)
	}
	if in.ID == "" {
		id, err := x.o.NewClientID()
		if err != nil {
			return x.fail(in, "client id: "+err.Error())
		}
		in.ID = id
	}
	req, _ := json.Marshal(request{Strategy: in.Strategy, Ref: in.Ref, Pair: in.Pair, Side: in.Side, Size: in.Size, Amount: in.Amount, Path: string(in.Path)})
	start := x.clock.Now()
	// An OTC order of a known size needs a price quote first. Asking for it
	// moves no money, so it goes out while the intent is being made
	// durable; the order itself waits for both.
	var quote chan quoteResult
	if in.Path == strategy.OTC && in.Size.Sign() > 0 {
		quote = make(chan quoteResult, 1)
		go func() {
			q, err := x.o.Venue.Price(ctx, in.Pair, in.Size)
			quote <- quoteResult{q, err}
		}()
	}
	// Once ctx has ended no new intent is started. A write already begun
	// is waited for (it is local and short): given up half way, it could
	// still commit and leave an intent pending that nothing resolves
	// before the next start.
	if err := ctx.Err(); err != nil {
		return x.fail(in, "not recorded: "+err.Error())
	}
	rec, created, err := x.o.Store.CreateIntent(context.WithoutCancel(ctx), ledger.Intent{ClientID: in.ID, Kind: kindOf(in.Path), Venue: ledger.Hercle, Request: req})
	if err != nil {
		// Nothing was recorded, so nothing may be sent.
		return x.fail(in, "record intent: "+err.Error())
	}
	if !created {
		x.log.Warn("intent already recorded; resolving instead of sending", "client_id", in.ID, "state", rec.State)
		return x.resolve(ctx, in, pair, rec.State)
	}
	var r Result
	if in.Path == strategy.RFQ {
		r = x.rfq(ctx, in, pair, start)
	} else {
		r = x.otc(ctx, in, pair, start, quote)
	}
	x.results.WithLabelValues(string(in.Path), r.Status.String()).Inc()
	return r
}

type quoteResult struct {
	q   hercle.PriceQuote
	err error
}

// otc runs the OTC path: quote (already requested when quote is not nil),
// submitted, order.
func (x *Executor) otc(ctx context.Context, in strategy.Intent, pair market.Pair, start time.Time, quote <-chan quoteResult) Result {
	var q hercle.PriceQuote
	var err error
	if quote != nil {
		r := <-quote
		q, err = r.q, r.err
	} else {
		size := in.Size
		if size.Sign() == 0 {
			sq, err := x.o.Venue.PairSizeByAmount(ctx, in.Pair, in.Side, in.Amount)
			if err != nil {
				return x.never(ctx, in, "size for amount: "+err.Error())
			}
			size = sq.Size.Decimal
		}
		q, err = x.o.Venue.Price(ctx, in.Pair, size)
	}
	if err != nil {
		return x.never(ctx, in, "price quote: "+err.Error())
	}
	if in.LimitPrice.Sign() > 0 {
		p := q.BuyPrice.Decimal
		if in.Side == market.Sell {
			p = q.SellPrice.Decimal
		}
		if (in.Side == market.Buy && p.GreaterThan(in.LimitPrice)) || (in.Side == market.Sell && p.LessThan(in.LimitPrice)) {
			return x.never(ctx, in, fmt.Sprintf("quote %s is beyond the limit price %s", p, in.LimitPrice))
		}
	}
	// The same check as an RFQ quote's: kill switch and gate, and the
	// quote against the streaming price, right before the order.
	if x.o.CheckQuote != nil {
		p := q.BuyPrice.Decimal
		if in.Side == market.Sell {
			p = q.SellPrice.Decimal
		}
		if err := x.o.CheckQuote(x.clock.Now(), in, risk.Quote{Price: p}); err != nil {
			return x.never(ctx, in, "quote declined: "+err.Error())
		}
	}
	if err := x.submit(ctx, in.ID, q.ID); err != nil {
		return x.never(ctx, in, err.Error())
	}
	ex, _, err := x.o.Venue.PlaceOrder(context.WithoutCancel(ctx), hercle.OrderRequest{PriceID: q.ID, Side: in.Side, Slippage: hercle.N(in.MaxSlippage)}, in.ID)
	x.latency.WithLabelValues("otc").Observe(x.clock.Now().Sub(start).Seconds())
	return x.answered(ctx, in, pair, ex, err)
}

// rfq runs the RFQ path: create, check the quote, submitted, accept.
func (x *Executor) rfq(ctx context.Context, in strategy.Intent, pair market.Pair, start time.Time) Result {
	q, err := x.o.Venue.CreateRFQ(ctx, hercle.RFQRequest{Pair: in.Pair, Side: in.Side, Size: hercle.N(in.Size), Amount: hercle.N(in.Amount)})
	if err != nil {
		return x.never(ctx, in, "create RFQ: "+err.Error())
	}
	if x.o.CheckQuote == nil {
		return x.never(ctx, in, "no quote check configured; RFQ declined")
	}
	if why := quoteMismatch(in, q); why != "" {
		return x.never(ctx, in, "quote declined: "+why)
	}
	if err := x.o.CheckQuote(x.clock.Now(), in, risk.Quote{Price: q.Price.Decimal, Expires: q.ExpireDateTime.Time}); err != nil {
		return x.never(ctx, in, "quote declined: "+err.Error())
	}
	if err := x.submit(ctx, in.ID, q.RequestForQuoteID); err != nil {
		return x.never(ctx, in, err.Error())
	}
	ex, _, err := x.o.Venue.AcceptRFQ(context.WithoutCancel(ctx), q.RequestForQuoteID, in.ID)
	x.latency.WithLabelValues("rfq").Observe(x.clock.Now().Sub(start).Seconds())
	return x.answered(ctx, in, pair, ex, err)
}

// quoteMismatch says why an RFQ quote is not for the intent risk approved:
// another side, or more than was asked (a size for a size, an amount for
// an amount); "" if it is. A quote for less (the venue's rounding) is
// accepted.
func quoteMismatch(in strategy.Intent, q hercle.RFQ) string {
	switch {
	case q.Side != "" && q.Side != in.Side:
		return fmt.Sprintf("the quote is to %s, the intent to %s", q.Side, in.Side)
	case in.Size.IsPositive() && q.Size.GreaterThan(in.Size):
		return fmt.Sprintf("the quote is for size %s, the intent for %s", q.Size, in.Size)
	case !in.Size.IsPositive() && q.Amount.GreaterThan(in.Amount):
		return fmt.Sprintf("the quote is for amount %s, the intent for %s", q.Amount, in.Amount)
	}
	return ""
}

// submit durably marks the intent as about to be sent. If ctx has ended
// or this write fails, nothing is sent (and the caller fails the intent).
func (x *Executor) submit(ctx context.Context, clientID, ref string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("not submitted: %w", err)
	}
	if _, err := x.o.Store.Transition(context.WithoutCancel(ctx), clientID, ledger.StateSubmitted, ledger.Detail{VenueRef: ref}); err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	return nil
}

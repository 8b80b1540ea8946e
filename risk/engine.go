package risk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
)

// Counter keys.
const (
	keyTradeNotional = "trade_notional"
	keyTransfer      = "transfer"
)

// Gate says whether money may move at a time; *scheduler.Gate satisfies it.
type Gate interface {
	Open(t time.Time) bool
}

// Options are an Engine's collaborators.
type Options struct {
	// Counters keeps daily totals; required.
	Counters Counters
	// Gate is the maintenance gate; nil means always open.
	Gate Gate
	// Logger receives one line per rejection, at Warn, or at Debug for
	// one like another logged less than 10 minutes before (rejectLog);
	// nil discards.
	Logger *slog.Logger
	// Registry receives the metrics; nil means none.
	Registry prometheus.Registerer
}

// Engine runs the checks. Build it with New; it is safe for concurrent use.
type Engine struct {
	l         Limits
	zone      *time.Location
	counters  Counters
	gate      Gate
	log       *slog.Logger
	m         *metrics
	rejectLog rejectLog // the level of each rejection's line

	// reserveMu makes each reservation's read and add of the daily totals
	// one step, so concurrent checks (the trading loop, treasury) cannot
	// both fit under a cap they exceed together.
	reserveMu sync.Mutex

	mu         sync.Mutex // guards the fields below
	killed     bool
	killReason string
	rejects    []time.Time // venue rejections inside the breaker window
	tripped    bool
	trippedAt  time.Time
}

// New validates l and returns an engine with the kill switch off and the
// breaker closed.
func New(l Limits, o Options) (*Engine, error) {
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("risk limits: %w", err)
	}
	if o.Counters == nil {
		return nil, errors.New("risk: Options.Counters is required")
	}
	zone, _ := scheduler.ParseZone(l.DayZone) // checked by Validate
	m, err := newMetrics(o.Registry)
	if err != nil {
		return nil, fmt.Errorf("risk metrics: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{l: l, zone: zone, counters: o.Counters, gate: o.Gate, log: log, m: m}, nil
}

// Approval is a passed check. It holds what the check reserved against the
// daily limits, so Release can give it back.
type Approval struct {
	// Notional is the value in Limits.Reference.
	Notional decimal.Decimal
	day      time.Time
	keys     []string
}

// Day returns the start of the day the approval counts against.
func (e *Engine) Day(now time.Time) time.Time {
	t := now.In(e.zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, e.zone)
}

// Check runs every pre-trade check on in, in order from the cheapest, and
// returns the first *Rejection. On success it has reserved the intent's
// notional in the day's total. Any error means: do not send.
func (e *Engine) Check(ctx context.Context, now time.Time, v strategy.View, in strategy.Intent) (Approval, error) {
	a, rej := e.check(ctx, now, v, in)
	if rej != nil {
		rej.Intent = in
		return Approval{}, e.reject(now, rej)
	}
	return a, nil
}

// flows is what a trade takes out and brings in, at worst-case prices.
type flows struct {
	outAsset, inAsset market.Asset
	out, in           decimal.Decimal
	quoteValue        decimal.Decimal // in the pair's quote, at mid
}

func (e *Engine) check(ctx context.Context, now time.Time, v strategy.View, in strategy.Intent) (Approval, *Rejection) {
	if err := in.Validate(); err != nil {
		return Approval{}, &Rejection{Reason: Invalid, Detail: err.Error()}
	}
	if rej := e.stopped(now); rej != nil {
		return Approval{}, rej
	}
	pair, ok := v.Pair(in.Pair)
	if !ok {
		return Approval{}, &Rejection{Reason: UnknownPair, Detail: in.Pair + " is not listed"}
	}
	tick, rej := e.fresh(v, in.Pair, now)
	if rej != nil {
		return Approval{}, rej
	}
	if in.MaxSlippage.GreaterThan(e.l.MaxSlippage.Decimal) {
		return Approval{}, &Rejection{Reason: Slippage, Detail: fmt.Sprintf("allows %s%%, limit %s%%", in.MaxSlippage, e.l.MaxSlippage.Decimal)}
	}
	f := tradeFlows(pair, tick, in)
	if rej := checkPairSize(pair, in, f); rej != nil {
		return Approval{}, rej
	}
	if n := len(v.OpenIntents()); n >= e.l.MaxOpenIntents {
		return Approval{}, &Rejection{Reason: OpenIntents, Detail: fmt.Sprintf("%d open, limit %d", n, e.l.MaxOpenIntents)}
	}
	notional, rej := e.value(v, now, f.quoteValue, pair.Quote)
	if rej != nil {
		return Approval{}, rej
	}
	if notional.GreaterThan(e.l.MaxOrderNotional.Decimal) {
		return Approval{}, &Rejection{Reason: OrderNotional, Detail: fmt.Sprintf("%s %s, limit %s", notional.StringFixed(2), e.l.Reference, e.l.MaxOrderNotional.Decimal)}
	}
	if rej := e.spend(v, f.outAsset, f.out); rej != nil {
		return Approval{}, rej
	}
	if limit := e.l.Assets[string(f.inAsset)].MaxPosition.Decimal; limit.IsPositive() {
		// Intents still in flight have not moved the totals yet: what
		// they bring in counts too.
		coming, ok := incoming(v, f.inAsset)
		if !ok {
			return Approval{}, &Rejection{Reason: NoPrice, Detail: fmt.Sprintf("an open intent bringing %s cannot be valued; position limit unprovable", f.inAsset)}
		}
		if after := v.Total(f.inAsset).Add(coming).Add(f.in); after.GreaterThan(limit) {
			return Approval{}, &Rejection{Reason: Position, Detail: fmt.Sprintf("%s would reach %s (%s of it from open intents), limit %s", f.inAsset, after, coming, limit)}
		}
	}
	return e.reserve(ctx, now, notional, []capKey{{keyTradeNotional, e.l.MaxDailyNotional.Decimal, DailyNotional}})
}

// Stopped returns why no money may move at now (the kill switch, the
// maintenance gate, the breaker), or nil. Execution asks it right before
// a movement is recorded.
func (e *Engine) Stopped(now time.Time) error {
	if rej := e.stopped(now); rej != nil {
		return rej
	}
	return nil
}

// stopped checks the kill switch, the gate and the breaker.
func (e *Engine) stopped(now time.Time) *Rejection {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.killed {
		return &Rejection{Reason: KillSwitch, Detail: "kill switch on: " + e.killReason}
	}
	if e.gate != nil && !e.gate.Open(now) {
		return &Rejection{Reason: Maintenance, Detail: "maintenance gate closed at " + now.UTC().Format(time.RFC3339)}
	}
	if e.breakerOpenLocked(now) {
		return &Rejection{Reason: CircuitBreaker, Detail: fmt.Sprintf("more than %d venue rejections within %s", e.l.Breaker.MaxRejects, e.l.Breaker.Window.Duration)}
	}
	return nil
}

// fresh returns pair's tick if it has prices and is within MaxPriceAge.
func (e *Engine) fresh(v strategy.View, pair string, now time.Time) (market.Tick, *Rejection) {
	t, ok := v.Tick(pair)
	if !ok || !t.BuyPrice.IsPositive() || !t.SellPrice.IsPositive() {
		return t, &Rejection{Reason: NoPrice, Detail: "no price for " + pair}
	}
	if age, ok := strategy.Age(t, now); !ok || age > e.l.MaxPriceAge.Duration {
		return t, &Rejection{Reason: StalePrice, Detail: fmt.Sprintf("%s price is %s old, limit %s", pair, age, e.l.MaxPriceAge.Duration)}
	}
	return t, nil
}

// value converts amount of asset into the reference at a fresh mid.
func (e *Engine) value(v strategy.View, now time.Time, amount decimal.Decimal, asset market.Asset) (decimal.Decimal, *Rejection) {
	if asset == e.l.Reference {
		return amount, nil
	}
	p, inverted, ok := strategy.FindPair(v, asset, e.l.Reference)
	if !ok {
		return decimal.Decimal{}, &Rejection{Reason: NoPrice, Detail: fmt.Sprintf("no pair values %s in %s", asset, e.l.Reference)}
	}
	t, rej := e.fresh(v, p.Symbol, now)
	if rej != nil {
		return decimal.Decimal{}, rej
	}
	if inverted {
		return amount.DivRound(t.Mid(), 18), nil
	}
	return amount.Mul(t.Mid()), nil
}

// spend checks that amount of asset is available and leaves the minimum.
func (e *Engine) spend(v strategy.View, asset market.Asset, amount decimal.Decimal) *Rejection {
	avail := v.Available(asset)
	if amount.GreaterThan(avail) {
		return &Rejection{Reason: Balance, Detail: fmt.Sprintf("needs %s %s, %s available", amount, asset, avail)}
	}
	if keep := e.l.Assets[string(asset)].MinBalance.Decimal; avail.Sub(amount).LessThan(keep) {
		return &Rejection{Reason: MinBalance, Detail: fmt.Sprintf("would leave %s %s, minimum %s", avail.Sub(amount), asset, keep)}
	}
	return nil
}

// tradeFlows works out what in spends and receives. Spending is at the
// worst price its slippage allows; receiving at the mid.
func tradeFlows(p market.Pair, t market.Tick, in strategy.Intent) flows {
	one := decimal.NewFromInt(1)
	slip := in.MaxSlippage.Div(decimal.NewFromInt(100))
	mid := t.Mid()
	f := flows{outAsset: p.Quote, inAsset: p.Base}
	if in.Side == market.Sell {
		f.outAsset, f.inAsset = p.Base, p.Quote
	}
	switch {
	case in.Side == market.Buy && in.Size.IsPositive():
		f.out, f.in = in.Size.Mul(t.BuyPrice).Mul(one.Add(slip)), in.Size
		f.quoteValue = in.Size.Mul(mid)
	case in.Side == market.Sell && in.Size.IsPositive():
		f.out, f.in = in.Size, in.Size.Mul(mid)
		f.quoteValue = f.in
	case in.Side == market.Buy:
		f.out, f.in = in.Amount, in.Amount.DivRound(mid, 18)
		if in.Path == strategy.OTC {
			// Sized from the amount at the quote, filled at up to its
			// slippage above it; an RFQ spends the amount exactly.
			f.out = in.Amount.Mul(one.Add(slip))
		}
		f.quoteValue = in.Amount
	default: // sell by quote amount: the base needed at the worst price
		f.in, f.quoteValue = in.Amount, in.Amount
		if worst := t.SellPrice.Mul(one.Sub(slip)); worst.IsPositive() {
			f.out = in.Amount.DivRound(worst, 18)
		}
	}
	return f
}

// Spend is what a trade intent may spend at worst, as Check reckons it:
// the asset it pays with and the amount, at t's prices and the intent's
// slippage. Whoever holds balances for open intents (the trading loop)
// holds this, so that later checks see what an approved intent may still
// take.
func Spend(p market.Pair, t market.Tick, in strategy.Intent) (market.Asset, decimal.Decimal) {
	f := tradeFlows(p, t, in)
	return f.outAsset, f.out
}

// incoming is what the open intents of v bring in of asset, valued as
// tradeFlows values an intent; false if one of them cannot be valued.
func incoming(v strategy.View, asset market.Asset) (decimal.Decimal, bool) {
	sum := decimal.Zero
	for _, o := range v.OpenIntents() {
		p, ok := v.Pair(o.Pair)
		if !ok {
			return sum, false
		}
		if (o.Side == market.Buy && p.Base != asset) || (o.Side == market.Sell && p.Quote != asset) {
			continue
		}
		if o.Side == market.Buy && o.Size.IsPositive() {
			sum = sum.Add(o.Size)
			continue
		}
		t, ok := v.Tick(o.Pair)
		if !ok || !t.BuyPrice.IsPositive() || !t.SellPrice.IsPositive() {
			return sum, false
		}
		sum = sum.Add(tradeFlows(p, t, o).in)
	}
	return sum, true
}

// checkPairSize checks the base and quote size limits.
func checkPairSize(p market.Pair, in strategy.Intent, f flows) *Rejection {
	if in.Size.IsPositive() {
		if why := p.SizeProblem(in.Size); why != "" {
			return &Rejection{Reason: PairSize, Detail: why, Err: market.ErrSizeOutOfRange}
		}
	}
	q := f.quoteValue
	if (p.MinQuoteSize.IsPositive() && q.LessThan(p.MinQuoteSize)) || (p.MaxQuoteSize.IsPositive() && q.GreaterThan(p.MaxQuoteSize)) {
		return &Rejection{Reason: PairSize, Detail: fmt.Sprintf("%s quote size %s outside [%s, %s]", p.Symbol, q, p.MinQuoteSize, p.MaxQuoteSize)}
	}
	return nil
}

// capKey is a daily total and its cap.
type capKey struct {
	key    string
	limit  decimal.Decimal
	reason Reason
}

// reserve checks each daily total against its cap and, if all fit, adds
// notional to each. A failed add undoes the ones before it.
func (e *Engine) reserve(ctx context.Context, now time.Time, notional decimal.Decimal, caps []capKey) (Approval, *Rejection) {
	e.reserveMu.Lock()
	defer e.reserveMu.Unlock()
	day := e.Day(now)
	for _, c := range caps {
		used, err := e.counters.Get(ctx, c.key, day)
		if err != nil {
			return Approval{}, &Rejection{Reason: CountersUnavailable, Detail: "read " + c.key, Err: err}
		}
		if after := used.Add(notional); after.GreaterThan(c.limit) {
			return Approval{}, &Rejection{Reason: c.reason, Detail: fmt.Sprintf("%s would reach %s %s today, limit %s", c.key, after.StringFixed(2), e.l.Reference, c.limit)}
		}
	}
	a := Approval{Notional: notional, day: day}
	for _, c := range caps {
		if err := e.counters.Add(ctx, c.key, day, notional); err != nil {
			undoErr := e.Release(ctx, a)
			return Approval{}, &Rejection{Reason: CountersUnavailable, Detail: "reserve " + c.key, Err: errors.Join(err, undoErr)}
		}
		a.keys = append(a.keys, c.key)
	}
	return a, nil
}

// Release gives an approval's reservation back. Call it only when nothing
// moved: a definitive rejection by the venue, or a quote declined. Never on
// an unknown outcome.
func (e *Engine) Release(ctx context.Context, a Approval) error {
	var errs []error
	for _, k := range a.keys {
		if err := e.counters.Add(ctx, k, a.day, a.Notional.Neg()); err != nil {
			errs = append(errs, fmt.Errorf("risk: release %s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// Quote is an RFQ quote as execution sees it before accepting.
type Quote struct {
	Price   decimal.Decimal
	Expires time.Time // zero if the venue gave none
}

// CheckQuote decides whether execution may accept q for in: kill switch,
// gate and breaker again (accepting is what moves money), expiry, a fresh
// streaming price, the intent's limit price, the quote's adverse distance
// from the streaming price against the intent's slippage, and its distance
// either way against Limits.MaxQuoteDeviation.
func (e *Engine) CheckQuote(now time.Time, v strategy.View, in strategy.Intent, q Quote) error {
	if rej := e.checkQuote(now, v, in, q); rej != nil {
		rej.Intent = in
		return e.reject(now, rej)
	}
	return nil
}

func (e *Engine) checkQuote(now time.Time, v strategy.View, in strategy.Intent, q Quote) *Rejection {
	if rej := e.stopped(now); rej != nil {
		return rej
	}
	if !q.Price.IsPositive() {
		return &Rejection{Reason: Invalid, Detail: "quote price " + q.Price.String()}
	}
	if !q.Expires.IsZero() && !now.Before(q.Expires) {
		return &Rejection{Reason: QuoteExpired, Detail: "expired at " + q.Expires.UTC().Format(time.RFC3339Nano)}
	}
	t, rej := e.fresh(v, in.Pair, now)
	if rej != nil {
		return rej
	}
	stream, worse := t.BuyPrice, q.Price.GreaterThan
	if in.Side == market.Sell {
		stream, worse = t.SellPrice, q.Price.LessThan
	}
	if in.LimitPrice.IsPositive() && worse(in.LimitPrice) {
		return &Rejection{Reason: LimitPrice, Detail: fmt.Sprintf("quote %s worse than limit %s", q.Price, in.LimitPrice)}
	}
	dev := q.Price.Sub(stream).Abs().Div(stream).Mul(decimal.NewFromInt(100))
	if worse(stream) && dev.GreaterThan(in.MaxSlippage) {
		return &Rejection{Reason: Slippage, Detail: fmt.Sprintf("quote %s is %s%% worse than streaming %s, intent allows %s%%", q.Price, dev.StringFixed(4), stream, in.MaxSlippage)}
	}
	if dev.GreaterThan(e.l.MaxQuoteDeviation.Decimal) {
		return &Rejection{Reason: QuoteDeviation, Detail: fmt.Sprintf("quote %s is %s%% from streaming %s, limit %s%%", q.Price, dev.StringFixed(4), stream, e.l.MaxQuoteDeviation.Decimal)}
	}
	return nil
}

// reject counts and logs r, refused at now, and returns it as an error.
// The line is at Warn, but at Debug for a rejection like one logged at
// Warn less than repeatWindow before (see rejectLog).
func (e *Engine) reject(now time.Time, r *Rejection) error {
	e.m.rejections.WithLabelValues(r.Reason.String()).Inc()
	attrs := []any{"reason", r.Reason.String(), "detail", r.Detail}
	who := "strategy " + r.Intent.Strategy
	if r.Transfer.Destination != "" {
		who = "destination " + r.Transfer.Destination
		attrs = append(attrs, "destination", r.Transfer.Destination, "asset", string(r.Transfer.Asset), "amount", r.Transfer.Amount.String())
	} else {
		attrs = append(attrs, "strategy", r.Intent.Strategy, "ref", r.Intent.Ref, "pair", r.Intent.Pair,
			"side", string(r.Intent.Side), "size", r.Intent.Size.String(), "amount", r.Intent.Amount.String())
	}
	if r.Err != nil {
		attrs = append(attrs, "err", r.Err.Error())
	}
	level, since := e.rejectLog.level(now, who, r.Reason)
	if since > 0 {
		attrs = append(attrs, "repeated", since) // like it, logged at Debug since the last line
	}
	e.log.Log(context.Background(), level, "risk rejection", attrs...)
	return r
}

// Kill turns the kill switch on: every check is refused until Resume.
func (e *Engine) Kill(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.killed, e.killReason = true, reason
	e.m.killSwitch.Set(1)
	e.log.Warn("risk kill switch on", "reason", reason)
}

// Resume turns the kill switch off.
func (e *Engine) Resume() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.killed, e.killReason = false, ""
	e.m.killSwitch.Set(0)
	e.log.Warn("risk kill switch off")
}

// Killed reports whether the kill switch is on, and why.
func (e *Engine) Killed() (bool, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.killed, e.killReason
}

// VenueRejected records a definitive rejection by the venue at now; more
// than Limits.Breaker.MaxRejects within the window trips the breaker.
func (e *Engine) VenueRejected(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.breakerOpenLocked(now) {
		return
	}
	from := now.Add(-e.l.Breaker.Window.Duration)
	e.rejects = slices.DeleteFunc(append(e.rejects, now), func(t time.Time) bool { return !t.After(from) })
	if len(e.rejects) > e.l.Breaker.MaxRejects {
		e.tripped, e.trippedAt, e.rejects = true, now, nil
		e.m.breakerTrips.Inc()
		e.log.Warn("risk circuit breaker tripped", "rejects", e.l.Breaker.MaxRejects+1, "window", e.l.Breaker.Window.Duration.String())
	}
}

// BreakerOpen reports whether the breaker is tripped at now.
func (e *Engine) BreakerOpen(now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.breakerOpenLocked(now)
}

// ResetBreaker closes the breaker and forgets past rejections.
func (e *Engine) ResetBreaker() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tripped, e.rejects = false, nil
}

func (e *Engine) breakerOpenLocked(now time.Time) bool {
	if e.tripped && e.l.Breaker.Cooldown.Duration > 0 && !now.Before(e.trippedAt.Add(e.l.Breaker.Cooldown.Duration)) {
		e.tripped = false
	}
	return e.tripped
}

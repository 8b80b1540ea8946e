package strategy

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

// KindThreshold is the registry kind of the threshold strategy.
const KindThreshold = "threshold"

// Order types a threshold emulates.
const (
	// OrderLimit buys when the buy price falls to Price or below, or sells
	// when the sell price rises to Price or above. Price is also the
	// intent's limit price, so a worse RFQ quote is declined.
	OrderLimit = "limit"
	// OrderStop buys when the buy price rises to Price or above, or sells
	// (a stop-loss) when the sell price falls to Price or below.
	OrderStop = "stop"
)

// ThresholdParams configure an emulated limit or stop order on the RFQ
// venue, which has no resting orders of its own.
type ThresholdParams struct {
	Pair  string          `toml:"pair"`
	Side  market.Side     `toml:"side"`
	Order string          `toml:"order"` // "limit" or "stop"
	Price tomlval.Decimal `toml:"price"` // trigger price, quote per base
	// Exactly one of Size (base) and Amount (quote).
	Size   tomlval.Decimal `toml:"size"`
	Amount tomlval.Decimal `toml:"amount"`
	// Rearm makes the order fire again, Cooldown after each fill;
	// otherwise it fires once and stops.
	Rearm    bool             `toml:"rearm"`
	Cooldown tomlval.Duration `toml:"cooldown"`
	// RetryAfter is how long to wait after a rejected or failed attempt.
	RetryAfter  tomlval.Duration `toml:"retry_after"`
	Path        Path             `toml:"path"`
	MaxSlippage tomlval.Decimal  `toml:"max_slippage"`
}

// DefaultThresholdParams returns the defaults: one-shot, a one-minute
// retry, RFQ, 0.5% slippage.
func DefaultThresholdParams() ThresholdParams {
	return ThresholdParams{
		RetryAfter:  tomlval.Dur(time.Minute),
		Path:        RFQ,
		MaxSlippage: tomlval.Dec(decimal.RequireFromString("0.5")),
	}
}

// Validate returns every problem, each with its key.
func (p ThresholdParams) Validate() error {
	var pr tomlval.Problems
	if p.Pair == "" {
		pr.Add("pair", "is required")
	}
	if p.Side != market.Buy && p.Side != market.Sell {
		pr.Add("side", "must be \"buy\" or \"sell\", got %q", p.Side)
	}
	if p.Order != OrderLimit && p.Order != OrderStop {
		pr.Add("order", "must be \"limit\" or \"stop\", got %q", p.Order)
	}
	pr.Positive("price", p.Price)
	sizeOK, amountOK := pr.Decimal("size", p.Size), pr.Decimal("amount", p.Amount)
	if sizeOK && amountOK && (p.Size.IsNegative() || p.Amount.IsNegative() || p.Size.IsPositive() == p.Amount.IsPositive()) {
		pr.Add("size", "set exactly one of size (base) and amount (quote), positive")
	}
	if pr.Duration("cooldown", p.Cooldown) {
		switch {
		case p.Cooldown.Duration < 0:
			pr.Add("cooldown", "must not be negative")
		case p.Rearm && p.Cooldown.Duration == 0:
			pr.Add("cooldown", "must be positive when rearm is set, or the order fires again on the next tick after every fill")
		}
	}
	if pr.Duration("retry_after", p.RetryAfter) && p.RetryAfter.Duration <= 0 {
		pr.Add("retry_after", "must be positive, so a refused order does not retry on every tick")
	}
	common(&pr, p.Path, p.MaxSlippage, 0)
	return pr.Err("params")
}

// Threshold watches one pair's ticks and fires an intent when the price
// crosses its trigger (see OrderLimit and OrderStop). It never fires on a
// stale tick, keeps at most one intent in flight, and after a fill either
// stops or re-arms after the cooldown.
//
// After a restart the daemon hands Restore the instance's past fills: a
// fill of the same order (same pair, side, quantity, order type and trigger
// price, read from its Ref) keeps a one-shot done and a re-arming one in
// its cooldown, counted from when the filled intent was created. An order
// reconfigured under the same name starts afresh, except against fills
// recorded before Refs named the trigger, which match on pair, side and
// quantity alone.
type Threshold struct {
	name    string
	p       ThresholdParams
	pending bool      // an intent is in flight
	until   time.Time // not armed before this time
	done    bool
	fired   int
}

// NewThreshold validates p and returns the strategy.
func NewThreshold(name string, p ThresholdParams) (*Threshold, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Threshold{name: name, p: p}, nil
}

func newThresholdFactory(name string, decode func(any) error) (Strategy, error) {
	p := DefaultThresholdParams()
	if err := decodeInto(decode, &p); err != nil {
		return nil, err
	}
	return NewThreshold(name, p)
}

// Name returns the instance name.
func (t *Threshold) Name() string { return t.name }

// Done reports whether a one-shot order has filled.
func (t *Threshold) Done() bool { return t.done }

// refPrefix starts the Ref of every intent of this order; it names the
// order's trigger, which the ledger keeps with the intent, so Restore can
// tell this order's fills from those of an earlier configuration.
func (t *Threshold) refPrefix() string {
	return fmt.Sprintf("%s %s at %s, fire ", t.p.Order, t.p.Side, t.p.Price.Decimal)
}

// Restore applies a fill made before a restart, so a one-shot order does
// not fire again and a re-arming one keeps its cooldown.
func (t *Threshold) Restore(o Outcome) {
	in := o.Intent
	if o.Status != Filled || in.Strategy != t.name || in.Pair != t.p.Pair || in.Side != t.p.Side ||
		!in.Size.Equal(t.p.Size.Decimal) || !in.Amount.Equal(t.p.Amount.Decimal) ||
		!(strings.HasPrefix(in.Ref, t.refPrefix()) || legacyThresholdRef(in.Ref)) {
		return
	}
	if !t.p.Rearm {
		t.done = true
	}
	if until := o.Time.Add(t.p.Cooldown.Duration); until.After(t.until) {
		t.until = until
	}
}

// legacyThresholdRef reports whether ref has the form intents had before
// they named their trigger ("fire 3"). Such a fill counts when pair, side
// and quantity match: re-firing an order that filled is the worse mistake.
func legacyThresholdRef(ref string) bool {
	n, ok := strings.CutPrefix(ref, "fire ")
	if !ok || n == "" {
		return false
	}
	return strings.Trim(n, "0123456789") == ""
}

// Handle fires on a Price of its pair and tracks its own Outcomes.
func (t *Threshold) Handle(v View, e Event) Decision {
	switch e := e.(type) {
	case Outcome:
		if e.Intent.Strategy != t.name {
			break
		}
		t.pending = false
		if e.Status != Filled {
			t.until = e.Time.Add(t.p.RetryAfter.Duration)
			break
		}
		if !t.p.Rearm {
			t.done = true
		}
		t.until = e.Time.Add(t.p.Cooldown.Duration)
	case Price:
		if e.Tick.Pair == t.p.Pair {
			return t.onTick(v, e.Tick)
		}
	}
	return Decision{}
}

// triggered reports whether tick meets the order's condition.
func (t *Threshold) triggered(tick market.Tick) bool {
	price, trigger := tick.BuyPrice, t.p.Price.Decimal
	if t.p.Side == market.Sell {
		price = tick.SellPrice
	}
	if !price.IsPositive() {
		return false
	}
	atOrBelow := price.LessThanOrEqual(trigger)
	atOrAbove := price.GreaterThanOrEqual(trigger)
	switch {
	case t.p.Order == OrderLimit && t.p.Side == market.Buy, t.p.Order == OrderStop && t.p.Side == market.Sell:
		return atOrBelow
	default:
		return atOrAbove
	}
}

func (t *Threshold) onTick(v View, tick market.Tick) Decision {
	var d Decision
	if t.done || t.pending || v.Now().Before(t.until) || !t.triggered(tick) {
		return d
	}
	if v.Stale(tick) {
		d.skip(t.p.Pair, "%s %s condition met on a stale tick; not firing", t.p.Order, t.p.Side)
		return d
	}
	pair, ok := v.Pair(t.p.Pair)
	if !ok {
		d.skip(t.p.Pair, "pair is not listed")
		return d
	}
	quote := t.p.Amount.IsPositive()
	qty := t.p.Size.Decimal
	if quote {
		qty = t.p.Amount.Decimal
	}
	if lo, hi := sizeLimits(pair, quote); below(qty, lo) || above(qty, hi) {
		d.skip(t.p.Pair, "size %s outside pair limits [%s, %s]", qty, lo, hi)
		return d
	}
	t.fired++
	in := Intent{
		Strategy:    t.name,
		Ref:         fmt.Sprintf("%s%d", t.refPrefix(), t.fired),
		Pair:        t.p.Pair,
		Side:        t.p.Side,
		Path:        t.p.Path,
		MaxSlippage: t.p.MaxSlippage.Decimal,
		Reason: fmt.Sprintf("threshold: %s %s at %s, buy %s sell %s", t.p.Order, t.p.Side, t.p.Price.Decimal,
			tick.BuyPrice, tick.SellPrice),
	}
	if t.p.Order == OrderLimit {
		in.LimitPrice = t.p.Price.Decimal
	}
	if quote {
		in.Amount = qty
	} else {
		in.Size = qty
	}
	t.pending = true
	d.Intents = append(d.Intents, in)
	return d
}

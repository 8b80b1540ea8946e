package strategy

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

// KindAutoconvert is the registry kind of the autoconvert strategy.
const KindAutoconvert = "autoconvert"

// AutoconvertParams configure converting credited deposits of From into To.
type AutoconvertParams struct {
	From market.Asset `toml:"from"`
	To   market.Asset `toml:"to"`
	// Min is the smallest conversion, in From; smaller deposits accumulate
	// until they reach it. The pair's own minimum applies too.
	Min tomlval.Decimal `toml:"min"`
	// RetryAfter is how long to wait after a rejected or failed attempt.
	RetryAfter  tomlval.Duration `toml:"retry_after"`
	Path        Path             `toml:"path"`
	MaxSlippage tomlval.Decimal  `toml:"max_slippage"`
}

// DefaultAutoconvertParams returns the defaults: a one-minute retry, RFQ,
// 0.5% slippage.
func DefaultAutoconvertParams() AutoconvertParams {
	return AutoconvertParams{RetryAfter: tomlval.Dur(time.Minute), Path: RFQ, MaxSlippage: tomlval.Dec(decimal.RequireFromString("0.5"))}
}

// Validate returns every problem, each with its key.
func (p AutoconvertParams) Validate() error {
	var pr tomlval.Problems
	for _, f := range []struct {
		key string
		a   market.Asset
	}{{"from", p.From}, {"to", p.To}} {
		if f.a == "" || strings.ToUpper(string(f.a)) != string(f.a) {
			pr.Add(f.key, "must be an upper-case asset code, got %q", f.a)
		}
	}
	if p.From != "" && p.From == p.To {
		pr.Add("to", "must differ from from (%s)", p.From)
	}
	pr.NonNegative("min", p.Min)
	if pr.Duration("retry_after", p.RetryAfter) && p.RetryAfter.Duration <= 0 {
		pr.Add("retry_after", "must be positive")
	}
	common(&pr, p.Path, p.MaxSlippage, 0)
	return pr.Err("params")
}

// Autoconvert converts deposits of one asset into another once the ledger
// has credited them: a sell of From where From is the pair's base, a buy
// of To paid with an Amount of From where it is the quote. Deposits below
// the minimum (Params.Min or the pair's, whichever is larger) accumulate.
// One conversion is in flight at a time; a conversion larger than the
// pair's maximum goes in several steps, each on the next fresh tick. It
// never converts more than is available, and never on a missing or stale
// price (it waits for the next tick). A failed conversion returns to the
// pending amount and is retried after RetryAfter.
//
// The pending amount lives in memory only. Nothing replays deposits after a
// restart (the daemon restores fills, through Restorer, and autoconvert
// does not need them), so a deposit credited before a restart and not yet
// converted (accumulating under the minimum, waiting for a price or a
// retry) is not converted after it: the operator converts it by hand.
type Autoconvert struct {
	name     string
	p        AutoconvertParams
	pending  decimal.Decimal // credited, not yet sent
	inflight decimal.Decimal // sent, outcome not yet known
	retryAt  time.Time
	seq      int
}

// NewAutoconvert validates p and returns the strategy.
func NewAutoconvert(name string, p AutoconvertParams) (*Autoconvert, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Autoconvert{name: name, p: p}, nil
}

func newAutoconvertFactory(name string, decode func(any) error) (Strategy, error) {
	p := DefaultAutoconvertParams()
	if err := decodeInto(decode, &p); err != nil {
		return nil, err
	}
	return NewAutoconvert(name, p)
}

// Name returns the instance name.
func (a *Autoconvert) Name() string { return a.name }

// Pending returns the credited amount of From not yet sent for conversion.
func (a *Autoconvert) Pending() decimal.Decimal { return a.pending }

// Handle accumulates Deposits of From, converts on deposits and on fresh
// ticks of the pair, and accounts for its own Outcomes.
func (a *Autoconvert) Handle(v View, e Event) Decision {
	switch e := e.(type) {
	case Deposit:
		if e.Asset != a.p.From || !e.Amount.IsPositive() {
			return Decision{}
		}
		a.pending = a.pending.Add(e.Amount)
		return a.convert(v, true)
	case Outcome:
		if e.Intent.Strategy != a.name {
			return Decision{}
		}
		q := e.Intent.Size
		if q.IsZero() {
			q = e.Intent.Amount
		}
		a.inflight = a.inflight.Sub(q)
		if e.Status != Filled {
			a.pending = a.pending.Add(q)
			a.retryAt = e.Time.Add(a.p.RetryAfter.Duration)
		}
	case Price:
		if a.pending.IsPositive() {
			if p, _, ok := FindPair(v, a.p.From, a.p.To); ok && p.Symbol == e.Tick.Pair {
				return a.convert(v, false)
			}
		}
	}
	return Decision{}
}

// convert proposes one conversion if it can. explain adds skip reasons;
// it is off for ticks, which come too often to log each wait.
func (a *Autoconvert) convert(v View, explain bool) Decision {
	var d Decision
	note := func(pair, format string, args ...any) {
		if explain {
			d.skip(pair, format, args...)
		}
	}
	if a.inflight.IsPositive() || v.Now().Before(a.retryAt) {
		note("", "%s %s pending behind a conversion in flight or a retry wait", a.pending, a.p.From)
		return d
	}
	pair, inverted, ok := FindPair(v, a.p.From, a.p.To)
	if !ok {
		note("", "no pair joins %s and %s; %s %s pending", a.p.From, a.p.To, a.pending, a.p.From)
		return d
	}
	if _, err := FreshMid(v, pair.Symbol); err != nil {
		note(pair.Symbol, "no fresh price; %s %s pending", a.pending, a.p.From)
		return d
	}
	lo, hi := sizeLimits(pair, inverted) // From is the quote when inverted
	lo = decimal.Max(lo, a.p.Min.Decimal)
	x := decimal.Min(a.pending, v.Available(a.p.From))
	if above(x, hi) {
		x = hi
		// Leave a remainder the pair can still take on its own; one
		// under its minimum would never convert.
		if r := a.pending.Sub(x); r.IsPositive() && below(r, lo) && !below(a.pending.Sub(lo), lo) {
			x = a.pending.Sub(lo)
		}
	}
	if !x.IsPositive() || below(x, lo) {
		note(pair.Symbol, "accumulating: %s %s pending (%s available), minimum %s", a.pending, a.p.From, v.Available(a.p.From), lo)
		return d
	}
	a.seq++
	in := Intent{
		Strategy:    a.name,
		Ref:         fmt.Sprintf("convert %d", a.seq),
		Pair:        pair.Symbol,
		Path:        a.p.Path,
		MaxSlippage: a.p.MaxSlippage.Decimal,
		Reason:      fmt.Sprintf("autoconvert: %s %s of credited deposits into %s", x, a.p.From, a.p.To),
	}
	if inverted {
		in.Side, in.Amount = market.Buy, x
	} else {
		in.Side, in.Size = market.Sell, x
	}
	a.pending = a.pending.Sub(x)
	a.inflight = a.inflight.Add(x)
	d.Intents = append(d.Intents, in)
	return d
}

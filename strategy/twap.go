package strategy

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

// KindTWAP is the registry kind of the TWAP (and DCA) strategy.
const KindTWAP = "twap"

// maxSlices bounds how many activations a TWAP period may hold, so a typo
// ("every = 1s" over a year) is a config error rather than a slow loop.
const maxSlices = 100_000

// tomlLocalZones are the zone names BurntSushi/toml gives a local
// date-time, date or time (one written without an offset).
var tomlLocalZones = map[string]bool{"datetime-local": true, "date-local": true, "time-local": true}

// maxParts bounds how many intents one activation splits into; the rest
// waits for the next activation.
const maxParts = 20

// cronParser reads specs the way the scheduler does: five fields, an
// optional leading seconds field, descriptors (@hourly, @every 5m), and a
// CRON_TZ=Zone prefix for a zone other than UTC.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// TWAPParams configure a TWAP: trade Size (base) or Amount (quote) of Pair
// on Side in slices, from Start over Period, at activations every Every or
// on the Cron spec. A DCA is a TWAP over a long period.
type TWAPParams struct {
	Pair string      `toml:"pair"`
	Side market.Side `toml:"side"`
	// Exactly one of Size (base asset) and Amount (quote currency).
	Size   tomlval.Decimal `toml:"size"`
	Amount tomlval.Decimal `toml:"amount"`
	// Start is a TOML date-time with an offset. It is fixed in
	// configuration so that a restart resumes the same plan instead of
	// starting a new one.
	Start  time.Time        `toml:"start"`
	Period tomlval.Duration `toml:"period"`
	// Exactly one of Every (activations at Start, Start+Every, ...) and
	// Cron (a spec; UTC unless prefixed "CRON_TZ=Europe/Rome ").
	Every       tomlval.Duration `toml:"every"`
	Cron        string           `toml:"cron"`
	Path        Path             `toml:"path"`
	MaxSlippage tomlval.Decimal  `toml:"max_slippage"`
	Precision   int32            `toml:"precision"`
}

// DefaultTWAPParams returns the defaults: RFQ, 0.5% slippage, 8 places.
func DefaultTWAPParams() TWAPParams {
	return TWAPParams{Path: RFQ, MaxSlippage: tomlval.Dec(decimal.RequireFromString("0.5")), Precision: 8}
}

// Validate returns every problem, each with its key.
func (p TWAPParams) Validate() error {
	var pr tomlval.Problems
	if p.Pair == "" {
		pr.Add("pair", "is required")
	}
	if p.Side != market.Buy && p.Side != market.Sell {
		pr.Add("side", "must be \"buy\" or \"sell\", got %q", p.Side)
	}
	sizeOK, amountOK := pr.Decimal("size", p.Size), pr.Decimal("amount", p.Amount)
	if sizeOK && amountOK {
		switch {
		case p.Size.IsNegative():
			pr.Add("size", "must not be negative, got %s", p.Size.Decimal)
		case p.Amount.IsNegative():
			pr.Add("amount", "must not be negative, got %s", p.Amount.Decimal)
		case p.Size.IsPositive() == p.Amount.IsPositive():
			pr.Add("size", "set exactly one of size (base) and amount (quote)")
		}
		// The last slice is the exact remainder, so a total finer than the
		// precision would end in a slice finer than the venue takes.
		for _, f := range []struct {
			key string
			v   decimal.Decimal
		}{{"size", p.Size.Decimal}, {"amount", p.Amount.Decimal}} {
			if p.Precision >= 0 && !f.v.Equal(f.v.Truncate(p.Precision)) {
				pr.Add(f.key, "%s has more than %d decimal places (precision)", f.v, p.Precision)
			}
		}
	}
	if p.Start.IsZero() {
		pr.Add("start", "is required: a date-time with an offset, such as 2026-03-02T09:00:00Z")
	}
	if pr.Duration("period", p.Period) && p.Period.Duration <= 0 {
		pr.Add("period", "must be positive, got %s", p.Period.Duration)
	}
	everyOK := pr.Duration("every", p.Every)
	switch {
	case everyOK && (p.Every.Duration > 0) == (p.Cron != ""):
		pr.Add("every", "set exactly one of every and cron")
	case everyOK && p.Every.Duration < 0:
		pr.Add("every", "must be positive, got %s", p.Every.Duration)
	case p.Cron != "":
		if _, err := cronParser.Parse(p.Cron); err != nil {
			pr.Add("cron", "spec %q: %v", p.Cron, err)
		}
	}
	common(&pr, p.Path, p.MaxSlippage, p.Precision)
	if err := pr.Err("params"); err != nil {
		return err
	}
	switch n := newTWAPPlan(p).count(p.Start.Add(-time.Nanosecond)); {
	case n == 0 && p.Cron != "":
		pr.Add("cron", "spec %q has no activation in the period from %s", p.Cron, p.Start.Format(time.RFC3339))
	case n == 0 || n > maxSlices:
		pr.Add("period", "holds %d activations; want 1 to %d", n, maxSlices)
	}
	return pr.Err("params")
}

// twapPlan is the activation schedule of a TWAP.
type twapPlan struct {
	start, end time.Time
	every      time.Duration
	sched      cron.Schedule
}

func newTWAPPlan(p TWAPParams) twapPlan {
	pl := twapPlan{start: p.Start, end: p.Start.Add(p.Period.Duration), every: p.Every.Duration}
	if p.Cron != "" {
		pl.sched, _ = cronParser.Parse(p.Cron) // checked by Validate
	}
	return pl
}

// next returns the first activation strictly after t (it may be past the
// end: activations continue on the same cadence until the total is done).
func (pl twapPlan) next(t time.Time) time.Time {
	if t.Before(pl.start) {
		if pl.sched == nil {
			return pl.start
		}
		t = pl.start.Add(-time.Nanosecond)
	}
	if pl.sched != nil {
		// A spec without CRON_TZ is read in the zone of the time given:
		// hand it UTC so the machine's zone never matters.
		return pl.sched.Next(t.UTC())
	}
	k := t.Sub(pl.start)/pl.every + 1
	return pl.start.Add(k * pl.every)
}

// count returns how many activations fall in (t, end), at most maxSlices+1.
func (pl twapPlan) count(t time.Time) int {
	if pl.sched == nil {
		first := pl.next(t)
		if !first.Before(pl.end) {
			return 0
		}
		n := (pl.end.Sub(first)-1)/pl.every + 1
		return int(min(n, maxSlices+1))
	}
	n := 0
	// A spec that never matches (30 February) gives the zero time.
	for a := pl.next(t); !a.IsZero() && a.Before(pl.end) && n <= maxSlices; a = pl.next(a) {
		n++
	}
	return n
}

// TWAP trades a total in slices. At each activation it sends the remaining
// total divided by the activations left in the period (this one included),
// truncated to the precision; the last activation sends the exact remainder,
// so the slices sum to the total. Missed activations (a restart, a closed
// gate, a stale price) spread their share over the ones left. A slice under
// the pair's minimum is skipped, merging into the next; one over the maximum
// is split into several intents. A failed or rejected slice returns to the
// remainder. After the period, activations continue on the same cadence
// until everything is filled; then the strategy stops.
//
// Progress lives in memory: after a restart the loop replays the instance's
// past Outcome events (from the ledger) before its first timer, and the plan
// resumes from Start.
type TWAP struct {
	name   string
	p      TWAPParams
	plan   twapPlan
	total  decimal.Decimal
	quote  bool            // sizes are Amounts in the quote currency
	sent   decimal.Decimal // sent and not failed: filled plus in flight
	filled decimal.Decimal
	cursor time.Time // last activation handled
	slice  int
	// primed is set by the first activation that found a fresh price;
	// until then an activation without one is retried at retry instead
	// of merged into the next (at start-up the feed may not have priced
	// the pair yet, and the next activation may be an hour away).
	primed bool
	retry  time.Time
}

// primeRetry is how soon an activation before the first fresh price is
// tried again.
const primeRetry = time.Second

// NewTWAP validates p and returns the strategy.
func NewTWAP(name string, p TWAPParams) (*TWAP, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	t := &TWAP{name: name, p: p, plan: newTWAPPlan(p), total: p.Size.Decimal, cursor: p.Start.Add(-time.Nanosecond)}
	if p.Amount.IsPositive() {
		t.total, t.quote = p.Amount.Decimal, true
	}
	return t, nil
}

func newTWAPFactory(name string, decode func(any) error) (Strategy, error) {
	p := DefaultTWAPParams()
	if err := decodeInto(decode, &p); err != nil {
		return nil, err
	}
	// Decoded into a time.Time, a TOML date-time without an offset takes
	// the machine's offset of the moment, and nothing in the value says so:
	// the plan would move with the machine's zone and daylight saving
	// across restarts (and Restore drop fills made before the moved start).
	// Decoded into an any, it keeps the decoder's zone name for it.
	var raw map[string]any
	if decode != nil && decode(&raw) == nil {
		if st, ok := raw["start"].(time.Time); ok && tomlLocalZones[st.Location().String()] {
			errStart := fmt.Errorf("start: %s has no offset; write one, such as 2026-03-02T09:00:00Z or 2026-03-02T09:00:00+01:00", st.Format("2006-01-02T15:04:05"))
			if err := p.Validate(); err != nil {
				return nil, errors.Join(errStart, err)
			}
			return nil, errStart
		}
	}
	return NewTWAP(name, p)
}

// Name returns the instance name.
func (t *TWAP) Name() string { return t.name }

// Done reports whether the whole total has filled.
func (t *TWAP) Done() bool { return t.filled.GreaterThanOrEqual(t.total) }

// Filled returns how much has filled so far, in the total's unit.
func (t *TWAP) Filled() decimal.Decimal { return t.filled }

// Restore counts a fill made before a restart against the plan, so the
// remaining slices are cut from what is really left. Fills before the
// plan's start (an earlier plan under the same name) are ignored; fills
// after its end count, since activations continue past the period until
// the total is done.
func (t *TWAP) Restore(o Outcome) {
	if o.Status != Filled || o.Intent.Strategy != t.name || o.Time.Before(t.plan.start) {
		return
	}
	q := t.qty(o.Intent)
	t.sent = t.sent.Add(q)
	t.filled = t.filled.Add(q)
	if o.Time.After(t.cursor) {
		t.cursor = o.Time
	}
	t.slice++
}

// NextTimer returns the next activation, or zero when done or when the
// rest is in flight (an Outcome will ask again).
func (t *TWAP) NextTimer(time.Time) time.Time {
	if t.Done() || !t.total.Sub(t.sent).IsPositive() {
		return time.Time{}
	}
	return t.due()
}

// due is when the next activation is: the plan's next after the cursor,
// or a first slice's retry if later.
func (t *TWAP) due() time.Time {
	next := t.plan.next(t.cursor)
	if t.retry.After(next) {
		return t.retry
	}
	return next
}

// Handle sends a slice on a Timer and accounts for its own Outcomes.
func (t *TWAP) Handle(v View, e Event) Decision {
	switch e := e.(type) {
	case Outcome:
		if e.Intent.Strategy == t.name {
			t.outcome(e)
		}
	case Timer:
		return t.activate(v)
	}
	return Decision{}
}

func (t *TWAP) qty(in Intent) decimal.Decimal {
	if t.quote {
		return in.Amount
	}
	return in.Size
}

func (t *TWAP) outcome(o Outcome) {
	q := t.qty(o.Intent)
	if o.Status == Filled {
		t.filled = t.filled.Add(q)
		return
	}
	t.sent = t.sent.Sub(q)
}

func (t *TWAP) activate(v View) Decision {
	var d Decision
	now := v.Now()
	if now.Before(t.due()) || t.Done() {
		return d
	}
	prev := t.cursor
	t.cursor = now
	rest := t.total.Sub(t.sent)
	if !rest.IsPositive() {
		return d
	}
	left := 1 + t.plan.count(now)
	due := rest
	if left > 1 {
		due = rest.DivRound(decimal.NewFromInt(int64(left)), t.p.Precision+2).Truncate(t.p.Precision)
	}
	pair, ok := v.Pair(t.p.Pair)
	if !ok {
		d.skip(t.p.Pair, "pair is not listed; slice merged into the next")
		return d
	}
	if _, err := FreshMid(v, t.p.Pair); err != nil {
		if !t.primed {
			t.cursor, t.retry = prev, now.Add(primeRetry)
			d.skip(t.p.Pair, "no fresh price yet; the first slice is tried again in %s", primeRetry)
			return d
		}
		d.skip(t.p.Pair, "no fresh price; slice merged into the next")
		return d
	}
	t.primed = true
	lo, hi := sizeLimits(pair, t.quote)
	if r := rest.Sub(due); r.IsPositive() && below(r, lo) {
		due = rest // what would be left could never trade on its own
	}
	if !due.IsPositive() {
		d.skip(t.p.Pair, "slice rounds to zero at precision %d; merged into the next", t.p.Precision)
		return d
	}
	if below(due, lo) {
		if left > 1 {
			d.skip(t.p.Pair, "slice %s below pair minimum %s; merged into the next", due, lo)
		} else {
			d.skip(t.p.Pair, "remainder %s below pair minimum %s; cannot finish", due, lo)
		}
		return d
	}
	if hi.IsPositive() && above(due, hi.Mul(decimal.NewFromInt(maxParts))) {
		due = hi.Mul(decimal.NewFromInt(maxParts))
	}
	t.slice++
	parts := split(due, hi, t.p.Precision)
	for i, q := range parts {
		in := Intent{
			Strategy:    t.name,
			Ref:         fmt.Sprintf("slice %d part %d/%d", t.slice, i+1, len(parts)),
			Pair:        t.p.Pair,
			Side:        t.p.Side,
			Path:        t.p.Path,
			MaxSlippage: t.p.MaxSlippage.Decimal,
			Reason:      fmt.Sprintf("twap: slice %d, %s of %s remaining, %d activation(s) left", t.slice, due, rest, left),
		}
		if t.quote {
			in.Amount = q
		} else {
			in.Size = q
		}
		d.Intents = append(d.Intents, in)
	}
	t.sent = t.sent.Add(due)
	return d
}

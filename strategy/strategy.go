package strategy

import (
	"fmt"
	"time"
)

// Strategy decides what to trade. The loop calls Handle for every event, on
// one goroutine, with a view of the state as it stands after the event was
// applied (a Price's tick is already the pair's last tick; a Deposit is
// already in the balance; an Outcome's intent is no longer open).
//
// Handle must be deterministic and must not block, do I/O or keep v past
// the call. It returns the intents it wants executed, possibly none, and why
// it skipped anything it considered. Returned intents are not yet open: the
// strategy learns their fate from an Outcome event.
type Strategy interface {
	// Name is the instance name from configuration; it is stamped on
	// every intent the strategy returns.
	Name() string
	Handle(v View, e Event) Decision
}

// Timed is implemented by strategies that want Timer events. After start-up
// and after every event it hands the strategy, the loop calls NextTimer and
// arms one timer for the returned time, replacing any earlier one. The zero
// time means no timer. A returned time at or before now fires at once.
type Timed interface {
	NextTimer(now time.Time) time.Time
}

// PriceIgnorer is implemented by strategies that may ignore Price events.
// When IgnoresPrices reports true, Handle must return an empty Decision for
// every Price and change nothing; the loop then does not hand ticks over,
// which spares building the event for each (it still asks a Timed
// strategy for NextTimer after every tick, as after any event).
type PriceIgnorer interface {
	IgnoresPrices() bool
}

// Restorer is implemented by strategies whose decisions depend on what
// they traded before a restart (a TWAP's filled total). At start-up,
// before the first event, the daemon hands Restore each filled intent the
// ledger holds for the instance, oldest first. Restore must not return
// intents; it only rebuilds state.
type Restorer interface {
	Restore(o Outcome)
}

// Decision is what a strategy returns for one event.
type Decision struct {
	Intents []Intent
	// Skips explains trades considered and not proposed (missing price,
	// below the pair minimum, nothing available). The loop logs them.
	Skips []Skip
}

// Skip is a trade a strategy considered and did not propose. Its reason
// is formatted when asked for, not when the strategy skips: a strategy
// checking every few seconds skips far more often than anyone reads why
// (the loop logs skips at debug level).
type Skip struct {
	Pair   string // may be empty when no pair was involved
	format string
	// args are values (amounts, codes), never the View, so the reason
	// reads the same whenever it is formatted.
	args []any
	// why, when set, formats the reason instead: a skip made on most
	// checks says why in one value rather than boxing each argument.
	why fmt.Stringer
}

// Reason says why the trade was skipped.
func (s Skip) Reason() string {
	if s.why != nil {
		return s.why.String()
	}
	return fmt.Sprintf(s.format, s.args...)
}

// String returns the pair, if any, and the reason.
func (s Skip) String() string {
	if s.Pair == "" {
		return s.Reason()
	}
	return s.Pair + ": " + s.Reason()
}

func (d *Decision) skip(pair, format string, args ...any) {
	d.Skips = append(d.Skips, Skip{Pair: pair, format: format, args: args})
}

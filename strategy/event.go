package strategy

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Event is what the loop hands a strategy: Price, Outcome, Timer or Deposit.
// The set is closed; a strategy ignores the events it has no use for.
type Event interface {
	// At is when the event happened on the loop's clock.
	At() time.Time
	isEvent()
}

// Price is a new tick for one pair. The view already holds it as the pair's
// last tick.
type Price struct {
	Tick market.Tick
}

// At returns the time the tick was received.
func (e Price) At() time.Time { return e.Tick.Received }

// Status is how an intent ended.
type Status int

// Statuses of an Outcome. An intent whose result is unknown (a timeout) is
// never reported: execution resolves it by Client-Id first.
const (
	// Filled: the trade happened.
	Filled Status = iota + 1
	// Rejected: risk refused the intent; nothing was sent.
	Rejected
	// Failed: the venue definitively refused it, the quote was declined
	// (limit price, deviation) or it expired; nothing moved.
	Failed
)

// String returns "filled", "rejected" or "failed".
func (s Status) String() string {
	switch s {
	case Filled:
		return "filled"
	case Rejected:
		return "rejected"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Outcome is the final result of an intent the strategy returned.
type Outcome struct {
	Intent Intent // as sent, with its ID
	Status Status
	// FilledSize and FilledAmount are the base and quote amounts that
	// moved; zero unless Filled.
	FilledSize   decimal.Decimal
	FilledAmount decimal.Decimal
	// Price is the execution price; zero unless Filled.
	Price decimal.Decimal
	// Detail says why it was rejected or failed.
	Detail string
	Time   time.Time
}

// At returns the time of the outcome.
func (e Outcome) At() time.Time { return e.Time }

// Timer is a scheduled activation a Timed strategy asked for.
type Timer struct {
	// Due is the time the strategy asked for; the loop may deliver it
	// later (after a restart, or on a coarse backtest clock), never earlier.
	Due time.Time
}

// At returns the due time.
func (e Timer) At() time.Time { return e.Due }

// Deposit is a deposit that the ledger has credited: the funds are in the
// available balance by the time the event is handed out.
type Deposit struct {
	ID     string // venue or rail id of the deposit
	Asset  market.Asset
	Amount decimal.Decimal
	Time   time.Time
}

// At returns the time the deposit was credited.
func (e Deposit) At() time.Time { return e.Time }

func (Price) isEvent()   {}
func (Outcome) isEvent() {}
func (Timer) isEvent()   {}
func (Deposit) isEvent() {}

// Package risk owns the checks between a decision and a side effect: every
// intent a strategy returns, every RFQ quote before it is accepted and every
// treasury transfer pass through an Engine, which approves them or returns a
// *Rejection with a typed Reason. It also owns the state those checks keep:
// the kill switch, the reject-rate circuit breaker, and daily totals held in
// Counters (the ledger persists them across restarts; MemoryCounters serves
// backtests and tests).
//
// # Checks
//
// Check (intents): kill switch, maintenance gate, circuit breaker, listed
// pair, price present and fresh, slippage, pair size limits, open intents,
// per-order notional, available balance, minimum balance to keep, position
// limit, daily notional. CheckQuote (RFQ quotes, just before accepting):
// kill switch, gate, breaker, expiry, fresh price, limit price, slippage and
// deviation from the streaming price. CheckTransfer (treasury): kill switch,
// gate, available and minimum balance, per-destination and global daily caps.
// Notional limits are in Limits.Reference, valued at fresh mid prices.
//
// # Invariants
//
// Deterministic: time is the now the caller passes (the event loop's clock),
// never the wall clock. An approval reserves its notional in Counters before
// it is returned, so two intents cannot both fit under the same remaining
// daily budget; Release gives a reservation back only when nothing moved.
// Failing to read or write Counters rejects (fail closed). Every rejection
// is counted by reason and logged once, here.
//
// # Concurrency
//
// An Engine is safe for concurrent use: the event loop checks while an admin
// request may flip the kill switch.
//
// # What it must never do
//
// Call a venue, move money, read the wall clock, or approve anything when it
// cannot prove the limit holds (missing price, counters unavailable).
package risk

// Package strategy owns the decision side of trading: the Strategy interface,
// the events a strategy reacts to, the Intent it returns, a Registry that
// builds strategies from configuration, and the built-in strategies
// (rebalance, twap, threshold, autoconvert).
//
// # Model
//
// The engine's event loop (one goroutine) owns market and portfolio state. It
// hands each event (a price tick, the outcome of an intent, a timer, a credited
// deposit) to every strategy together with a read-only View of that state
// (ticks only to those that read prices: see PriceIgnorer), and collects the
// Intents each returns. Risk checks every intent; execution
// records it in the ledger and sends it to the venue; its outcome comes back to
// the strategy as an Outcome event. The backtester runs the same loop on a
// simulated clock, so a strategy behaves identically in both.
//
// # Invariants
//
// A strategy is deterministic: given the same sequence of views and events it
// returns the same intents. It reads time only from View.Now and from the
// events, iterates maps in sorted order, and keeps amounts in decimal.Decimal.
// Amounts it derives by division are truncated (never rounded up) to the
// instance's precision, so a strategy never asks for more than it computed.
//
// # Concurrency
//
// A Strategy is owned by the event loop and is not safe for concurrent use;
// the loop calls it from one goroutine. Registry is safe for concurrent use
// once built, but is meant to be filled at start-up.
//
// # What it must never do
//
// Call the venue, the ledger or the network; read the wall clock; sleep or
// start goroutines; use float64 for money; or import any project package but
// market. A strategy that cannot act explains why in Decision.Skips instead of
// logging: the loop logs them.
package strategy

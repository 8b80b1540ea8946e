// Package trader is the engine's event loop: one goroutine that owns market
// and portfolio state, hands every tick, timer, deposit and outcome to the
// strategies (a tick only to those that read prices), passes their intents through risk and gives approved ones to
// execution. The daemon runs it on the wall clock with execution on its own
// goroutines; the backtester runs the very same loop on a simulated clock
// with execution inline, which is what makes a backtest replay the
// daemon's decisions.
//
// # Balances and holds
//
// The loop keeps each asset's total (from the venue at start-up, then moved
// by fills) and what is available: the total less the holds of open
// intents (the base size of a sell; the quote a buy may spend, slippage
// included). A hold is released when its intent ends.
//
// # What it must never do
//
// Block on I/O, read the wall clock directly, or let a strategy see state
// mutated behind its back: strategies run only on the loop's goroutine.
package trader

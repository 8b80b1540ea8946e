// Package feeds owns the engine's market-data path from the Hercle hub to
// strategies and risk: a Source that turns hub price updates into
// market.Tick values, a last-price View safe for concurrent reads,
// per-pair staleness on an injected clock, a gap marker on the first tick
// after a disconnect, and the tick file format shared by the recorder and
// the backtester's streaming Reader.
//
// # Invariants
//
// A tick is delivered only for a pair the Source is subscribed to; updates
// for any other pair are counted and dropped. Staleness is judged on the
// local receive time, never the venue's timestamp, so a venue clock that
// drifts cannot make a dead feed look alive. Prices are decimals end to end.
//
// # Concurrency
//
// HandlePrice and HandleState are called from the hub client's goroutines;
// View methods from anywhere. Updates is read by one consumer (the engine
// loop). A full Updates channel drops the newest update (counted): the View
// always holds the latest price, so a slow consumer loses history, never the
// current price.
//
// # What it must never do
//
// Block the hub client's read goroutine; pass a price through float64;
// report a pair fresh on the strength of a tick it was not subscribed to.
package feeds

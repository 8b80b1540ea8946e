// Package backtest owns replaying recorded feeds through the engine's own
// decision path: the trader loop with the configured strategies, risk and
// execution, exactly as the daemon runs them, on a simulated clock, against
// a venue model instead of Hercle, with a scratch ledger, and the report of
// what happened (summary.json, trades.csv, equity.csv, an equity and
// drawdown chart, report.html).
//
// # Model
//
// Recordings (the recorder's NDJSON, plain or gzip) are read as streams
// and merged by receive time. Before each tick the manual clock moves to
// the tick's receive time, firing the strategies' timers due by then first
// (in time order, each at its own time); then the loop processes the tick
// and executes whatever it approved inline, so outcomes come back before
// the next event. The venue model fills OTC orders at the recorded buy or
// sell price at decision time plus VenueModel.Latency, moved by the
// configured slippage; RFQs quote the recorded price with a markup and
// expire; pair size limits and balances are enforced and fees charged.
// Risk sees the maintenance gate and daily limits on simulated time.
//
// # Invariants
//
// Deterministic: the same recordings, range, configuration and strategies
// give a byte-identical summary.json (Client-Ids, venue ids, ledger times
// and every statistic derive from the inputs; nothing reads the wall
// clock). Streaming: memory does not grow with the recordings' length; the
// trade list and the equity curve go to disk as they are made, and the
// statistics are kept online. The scratch ledger keeps the journal's
// invariants, and at the end its balances must equal a rebuild from the
// journal and the venue model's balances, or the run fails.
//
// # What it must never do
//
// Leave a partial report: the report is built in a hidden directory beside
// Out and renamed into place only when complete. Touch a real venue or the
// daemon's ledger.
package backtest

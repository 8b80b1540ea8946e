// Package backtest owns replaying recorded feeds through the engine's own
// decision path: the trader loop with the configured strategies and
// treasury policies, risk and execution, exactly as the daemon runs them,
// on a simulated clock, against a venue model instead of Hercle, with a
// scratch ledger; the report of what happened (summary.json, trades.csv,
// equity.csv, the equity chart with its benchmark, a price chart per pair
// with the fills, PnL and attribution from package portfolio,
// report.html); and research over many runs: parameter sweeps and
// walk-forward analysis over one decoded copy of the recordings (Tape).
//
// # Model
//
// Recordings (the recorder's NDJSON, plain or gzip) are read as streams
// and merged by receive time, or decoded once into a Tape and replayed
// from memory, with the same result byte for byte. Before each tick the
// manual clock moves to the tick's receive time, firing the strategies'
// timers and the treasury's scheduled jobs due by then first (in time
// order, each at its own time); then the loop processes the tick and
// executes whatever it approved inline, so outcomes come back before the
// next event. The venue model fills OTC orders at the recorded buy or sell
// price at decision time plus VenueModel.Latency, moved by the configured
// slippage; RFQs quote the recorded price with a markup and expire; pair
// size limits and balances are enforced and fees charged; crypto
// withdrawals to configured destinations are confirmed. Risk sees the
// maintenance gate and daily limits on simulated time.
//
// # Invariants
//
// Deterministic: the same recordings, range, configuration and strategies
// give a byte-identical summary.json (Client-Ids, venue ids, ledger times
// and every statistic derive from the inputs; nothing reads the wall
// clock), and a sweep gives byte-identical tables whatever the number of
// workers. Streaming: memory does not grow with the recordings' length;
// the trade list and the equity curve go to disk as they are made, and the
// statistics are kept online. The report's attribution (package
// portfolio's Book, which keeps every journal entry, as in the daemon)
// grows with the fills, about 2 KB each; a sweep's runs keep no report. The
// scratch ledger keeps the journal's invariants, and at the end its
// balances must equal a rebuild from the journal and the venue model's
// balances, or the run fails.
//
// # Concurrency
//
// A run belongs to the goroutine that calls Run. A Tape is immutable and
// shared by every run of a sweep, each on a worker goroutine of its own
// with its own ledger, strategies and venue model; outcomes are collected
// by position, so the order runs finish in changes nothing.
//
// # What it must never do
//
// Leave a partial report: the report is built in a hidden directory beside
// Out and renamed into place only when complete. Touch a real venue or the
// daemon's ledger. Put a wall-clock time in a table or a report.
package backtest

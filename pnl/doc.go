// Package pnl owns the engine's running account of what its books are
// worth: it feeds a portfolio.Book from the ledger's journal (a replay of
// the whole journal, then every committed entry from the ledger's commit
// hook), attributes each entry to the strategy or treasury policy whose
// intent caused it, prices each entry from the journal's own fills, and
// answers one view of positions and PnL for every reader: the admin API
// (GET /admin/portfolio, /admin/pnl), engine status, engine pnl, the
// metrics and the daily notification.
//
// # Prices
//
// An entry is valued at the prices of its time as the journal records
// them: each pair's last fill at or before the entry (a trade's quote
// amount over its base amount); for an entry older than its pair's first
// fill (an opening balance), that first fill; for a pair never filled,
// the fallback (the feed's last prices in the daemon, a price file for
// engine pnl). An entry no price can value waits, with every later entry
// moving one of its assets (each asset's lots need its entries in order),
// until a price comes; an entry that is not a trade is booked asset by
// asset, so an asset no pair prices holds up nothing else. So the daemon, a
// restart and engine pnl value the past alike, except an entry the daemon
// valued at the feed's price before its pair first traded, which a replay
// values at that first fill. Holdings are valued at the fallback's
// prices (the streaming ones), else at the last fill.
//
// A window (since) is the difference of two reports: the journal's
// entries dated before its start replayed into a second book valued at
// the prices of the start, and the live book now.
//
// # Concurrency
//
// A Tracker belongs to one goroutine. A Follower runs one on its own
// goroutine and is safe for concurrent use; the ledger's commit hook only
// queues entries for it, so neither the writer nor the trading loop ever
// waits on a valuation.
//
// # What it must never do
//
// Write to the ledger, send anything, or compute PnL any other way than
// through portfolio.Book.
package pnl

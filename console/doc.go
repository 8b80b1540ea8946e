// Package console owns the desk's web console: server-rendered pages of the
// running engine (portfolio and PnL with a chart, positions and their
// valuation paths, open intents, recent fills and movements, feed health,
// reconciliation, the treasury plan, risk limits and usage) and the
// operator actions (pause, resume, kill, strategy enable and disable, run a
// treasury policy now), each behind a confirmation page.
//
// It reads and acts only through a Desk, which the daemon implements with
// the functions its admin API serves: the console holds no engine state and
// decides nothing, and an action is recorded in the ledger's audit trail as
// the admin API records it.
//
// # Security
//
// The console is served on the admin listener and opened with the admin
// token, typed into a login form and checked by the Desk's Tokens, which
// throttle wrong tokens per client together with the admin API's bearer
// tokens. A right token opens a session: a random 32-byte id in an
// HttpOnly, SameSite=Strict cookie (Secure when the listener is TLS) scoped
// to /console, ending after SessionTTL on the clock handed in or at logout.
// Sessions live in memory: a restart logs everyone out. Every request that
// changes something is a POST carrying the session's CSRF token (compared in
// constant time) from a same-origin page (Origin, Referer and
// Sec-Fetch-Site are checked when the browser sends them); a GET changes
// nothing. Pages carry a Content-Security-Policy that allows no script and
// nothing from another origin: the console works offline.
//
// # Concurrency
//
// A Console is an http.Handler safe for concurrent use.
//
// # What it must never do
//
// Move money, change state or read the ledger other than through its Desk;
// run an action on a GET; show or log the admin token.
package console

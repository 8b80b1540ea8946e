// Package scheduler owns the venue's maintenance window and jobs that run on
// cron specs, on a clock.Clock it is given (the engine's one clock type
// lives in internal/clock).
//
// # Maintenance gate
//
// Hercle is under maintenance every Wednesday from 10:00 to 11:00 at
// UTC+01:00 (the guide's "GMT+1"). A Gate knows that window, in a zone given
// as a fixed offset (which never moves with daylight saving) or an IANA name
// (which does), widened by guard margins, plus one-off windows from
// configuration. Gate.Open(t) says whether money may move at t, and
// Gate.NextChange(t) when that answer changes next. Execution and treasury
// ask the gate before every new order, RFQ, withdrawal, transfer or payout;
// feeds ask it before alerting on a drop.
//
// # Jobs
//
// A Scheduler runs jobs on cron specs (five fields, or six with seconds,
// parsed by github.com/robfig/cron/v3). A job due while the gate is closed is
// either deferred to the end of the window (once, however many runs fell
// inside it) or skipped, as configured. robfig/cron is used for parsing and
// for computing the next activation only: its runner reads the wall clock,
// and every decision here must run on an injected clock.Clock so tests and
// backtests can drive whole weeks in simulated time.
//
// # What it must never do
//
// Read the wall clock directly (everything goes through a clock.Clock),
// start a job while the gate is closed, or run two activations of the same
// job at once.
package scheduler

// Package merchant owns the engine's side of the Heropayments merchant
// account: it turns the status callbacks Heropayments sends, stored in the
// ledger's inbox before they are acknowledged, into journal entries and
// intent transitions, and it looks up by REST whatever a lost callback
// leaves unresolved.
//
// Three parts, wired by the daemon:
//
//   - Inbox is a heropayments.CallbackInbox over the ledger: the verified
//     callback is written durably (ledger.PutEvent, source
//     ledger.SourceHeropaymentsCallback) and only then may the handler
//     answer 200. Handler returns the heropayments.CallbackHandler that
//     verifies x-api-sign and stores through it.
//   - Processor applies the stored callbacks, in the order they were
//     received, exactly once each: a successful deposit credits the
//     merchant account; a final status of a customer payout the engine
//     created settles or fails that payout's intent and its transit
//     postings.
//   - The status poll: a payment known to the ledger (a callback of it was
//     stored, CreateDeposit tracked it, or it is an unfinished payout
//     intent) that has no final status PollAfter after it was first seen
//     is looked up with PaymentStatus every PollEvery. An answer with a
//     new status is stored as a synthetic inbox event (id prefix "poll/",
//     Meta origin "status_poll") and applied through the same path, so a
//     real callback arriving later finds the work done.
//
// Refused callbacks (forged, altered, malformed, too large) are counted in
// engine_merchant_callbacks_refused_total{reason} and logged in aggregate
// (package internal/refusals): Run writes one summary every
// Options.RefusalLogEvery, and the first few refusals of each interval
// are logged in detail; never a line each, so forged callbacks cannot
// fill the disk.
//
// LimitCounters keeps heropayments.Limits' daily totals (the local mirror
// of the merchant's and customers' daily withdrawal limits) in the
// ledger's counters, so a restart does not reset them.
//
// # Payments and sequences
//
// A payment is identified by (externalOrderId, sequence): the first payment
// of an externalOrderId has sequence "original", each further payment to
// the same deposit address a new unique sequence, and all their callbacks
// go to the first payment's callbackUrl. Each payment is applied on its own
// and credited under its own journal key, DepositKey(key):
// "heropayments:deposit:<externalOrderId>:<sequence>" (each part
// percent-escaped, so no two payments share a key).
//
// # Deposits
//
// A deposit whose status is a success in its flow's list (V2: sending,
// finished; Custody: finished; see heropayments.Classify) is credited once:
//
//	venue:heropayments:available  USDT  +merchantAmount
//	external:unknown              USDT  -merchantAmount
//
// When the customer paid in another currency (V2 converts it into the
// merchant's USDT), the conversion is recorded with Heropayments as the
// counterparty, so each asset balances on its own:
//
//	venue:heropayments:available  USDT  +merchantAmount
//	counterparty:heropayments     USDT  -merchantAmount
//	counterparty:heropayments     BTC   +paidAmount
//	external:unknown              BTC   -paidAmount
//
// A callback without merchantAmount is credited in the payment's own
// currency (paidAmount, else amount). A failed, refunded or expired deposit
// posts nothing; its state stays queryable through Payment and Payments
// (rebuilt from the inbox at start-up).
//
// # Payouts
//
// A withdrawal callback is matched to the intent whose Client-Id is its
// externalOrderId. The contract for a customer payout intent: kind
// ledger.IntentPayout, venue ledger.Heropayments, Client-Id used as the
// externalOrderId, and the amount moved from the merchant account into
// transit:withdrawal:<client-id> before the request was sent. A final
// success moves the transit balance to the payout address
// ("<client-id>:settled", the same key package inbound and treasury use,
// so any path applies it once); a failure moves it back to the merchant
// account ("<client-id>:failed"); the intent becomes succeeded or failed
// (resolved, if it was pending or unknown: a callback proves the request
// reached Heropayments).
//
// Treasury's settlement withdrawals (intent request with "origin":
// "treasury" and "method": "settlement") are not touched: treasury keeps
// them in transit until the deposit lands at Hercle. Their callbacks are
// kept in the inbox, logged and marked processed.
//
// # Invariants
//
//   - Nothing is acknowledged before it is durable; nothing is applied
//     that was not stored first.
//   - Every effect is idempotent: journal keys are deterministic, intent
//     transitions are refused once final, and an event re-applied after a
//     crash (before MarkProcessed) changes nothing the second time.
//   - State never moves backwards: a progress status after a final one is
//     stale and ignored; a final status contradicting the recorded outcome
//     is logged as a conflict for reconciliation, never applied.
//   - A status the document does not list for the payment's flow and kind
//     is recorded and logged, never applied.
//   - An event that can never be applied (undecodable, an entry the
//     ledger refuses, a withdrawal naming an intent that is not a
//     Heropayments payout) is quarantined: left unprocessed, counted,
//     logged once, retried at the next start-up.
//
// # Concurrency
//
// Processor and Inbox are safe for concurrent use. One goroutine (Run)
// applies events and polls, and starts one more that writes the summaries
// of refused callbacks until Run returns; the handler's goroutines only
// store and wake it.
//
// # What it must never do
//
// Send money: it creates deposits (addresses for customers to pay to) and
// reads payment statuses, nothing else. It never edits or deletes an inbox
// event or a journal entry, never credits a payment twice, and never
// applies a treasury settlement.
package merchant

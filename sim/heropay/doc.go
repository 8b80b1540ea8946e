// Package heropay owns the Heropayments simulator: an HTTP server on
// loopback playing Heropayments' API for the engine's paper mode and for
// the tests of every package that talks to Heropayments, and the Link that
// carries its payouts to the Hercle venue simulator of package sim.
//
// It is built from the Heropayments document (shared/reference/001_…)
// and shares no code with the engine's client, package heropayments: it
// signs, verifies, stringifies, classifies and encodes with its own code
// and its own types. A misreading of the document in the client is then
// not mirrored here, and the client's tests against this server fail on
// it; a test of the module's imports keeps it so.
//
// # What it implements
//
//   - Signatures: every request must carry the API key (x-api-key) and
//     x-api-sign, HMAC-SHA512 keyed with the API secret, in lower-case
//     hex, over the body in JSON.stringify(JSON.parse(body)) form for a
//     POST, over the query string without "?" for a GET (the empty string
//     when there is none). The comparison is of the strings, in constant
//     time: the document asks for them to be "identical". A refusal is a
//     401 and changes nothing. Callbacks are signed the same way over
//     their body, which is sent in JSON.stringify form.
//   - JSON.stringify(JSON.parse(x)) is reproduced from ECMA-262
//     (stringify.go): numbers through IEEE doubles and Number::toString,
//     strings as UTF-16 with lone surrogates escaped, object keys in
//     JavaScript's property order, the last of duplicate keys. It is
//     tested against the vectors Node made (heropayments/testdata).
//     What a POST signed is what the simulator reads: the body's
//     stringified form, as a JavaScript server would see it.
//   - Deposits (V2, V2 static address per customerId, Custody): waiting
//     (Custody: new) for DepositTTL, 4 hours as the document says, then
//     expired; paid (Server.Pay) they move one status every Step to
//     finished and credit the merchant's one USDT balance.
//   - Multiple deposits: a payment to an address whose deposits are all
//     paid or expired is a new payment with the first one's
//     externalOrderId, a new 32-hex sequence (the first's is "original"),
//     and the first one's callbackUrl.
//   - Withdrawals (V2, Custody): debited from the balance at once, within
//     the merchant's and the customer's daily limits (per UTC day),
//     moving one status every Step to finished; a failed or refunded one
//     is returned to the balance and to the limits.
//   - Customers (Options.Customers, from [sim.customers] by
//     CustomersFrom): on the simulator's clock, simulated customers pay
//     the deposits the merchant opened, pay again to addresses they used
//     (multiple deposits) and, given the merchant's callback URL, open
//     and pay deposits of their own in every flow, static addresses
//     included; seeded, so a run repeats.
//   - Status checks by id or by externalOrderId and sequence, per flow;
//     balance, estimated price and minimum amount.
//   - Callbacks on every status change, to the callbackUrl, retried with
//     doubling backoff until answered 2xx or CallbackAttempts are spent.
//   - The document's four status lists, per flow and kind (status.go):
//     the simulator only ever sends a status listed for the payment's
//     flow and kind, and moves a payment no further once its status is
//     final (failed or successful).
//
// Paths beyond the document's three, the API key header, field names and
// the error body are readings the engine's README lists as assumptions;
// routes.go and wire.go say which is which.
//
// Test hooks (hooks.go): Pay, Fail, Refund, SetStatus, DropCallbacks,
// Resend, ErrorAfterApply, Payments, Balance, Delivered.
//
// # Concurrency
//
// Server and Link are safe for concurrent use. One worker goroutine per
// Server applies due status changes and delivers callbacks on the
// Options.Clock; a Link has one goroutine that syncs on the same clock.
// Both stop on Close or when the context given to Start or StartLink
// ends.
//
// # What it must never do
//
// Import package heropayments (outside tests) or any client of the
// engine; listen on anything but loopback; pass an amount through float64
// (amounts are decimals read from JSON text; the text of a POST body is
// its stringified form, which spells numbers as JavaScript's doubles do,
// because that is what a JavaScript server would read); log the API key
// or secret; start goroutines it does not stop.
package heropay

// Package heropayments owns the engine's client for the Heropayments crypto
// payment API: request signing, deposits, withdrawals, status checks and
// balances for the V2 (conversion) and Custody flows; verification and
// intake of the status callbacks; the status sets mapped to outcomes; and a
// local mirror of the daily withdrawal limits.
//
// # Signatures
//
// Every request carries the API key (x-api-key) and x-api-sign:
// HMAC-SHA512 keyed with the API secret, hex, over the request body for a
// POST or over the query string without "?" for a GET (the empty string
// when there is none). The document requires the body to be signed in its
// normal form, JSON.stringify(JSON.parse(body)); Normalize reproduces that
// exactly, number formatting through IEEE doubles included, and is tested
// against vectors made by Node (testdata/vectors.js). The client sends the
// normalised bytes it signed, and its amounts are JSON numbers that
// normalisation leaves unchanged: Amount refuses, with ErrInexactAmount,
// any value JavaScript cannot carry exactly, so the amount signed, sent and
// read by Heropayments is the amount we meant.
//
// Callbacks are signed the same way over their body; CallbackHandler
// verifies in constant time, stores the callback through CallbackInbox and
// only then answers 2xx.
//
// # Exactly once
//
// Creating a deposit or a withdrawal is retried only when it provably was
// not processed (429, or a connection that failed before the request was
// written). After any other failure the call returns an
// *UnknownOutcomeError (errors.Is(err, ErrOutcomeUnknown)) carrying our
// externalOrderId: look the payment up with PaymentStatus by that id before
// sending anything again. Reads are retried on 429, 5xx and network errors.
//
// # Assumptions
//
// The document gives three paths and few field names. Every path is in
// one table (routes.go), and every field name in models.go; both list
// what is assumed. The simulator, package sim/heropay, reads the
// document and makes the same assumptions with code of its own, so a
// mismatch with the real API shows up in one place.
//
// # Concurrency
//
// Client, CallbackHandler, Limits, MemoryCounters and MemoryInbox are safe
// for concurrent use.
//
// # What it must never do
//
// Print, log, count or return the API key or secret; send a withdrawal
// twice on its own; sign one text and send another; pass an amount through
// float64 (Normalize does, on purpose, only to reproduce JavaScript: its
// output is signed, never parsed for money); follow redirects; import any
// package of the engine other than market and internal/venuehttp (the HTTP
// mechanics it shares with the other venue client).
package heropayments

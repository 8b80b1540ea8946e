// Package lnurl owns getting a Lightning invoice from a payee's LNURL-pay
// service and deciding whether it may be paid: it resolves a Lightning
// Address (LUD-16), a bech32 LNURL (LUD-01) or a payRequest URL, follows
// LUD-06 (payRequest, then its callback with the amount in millisatoshi)
// and checks the BOLT11 invoice it gets with lnd's zpay32 decoder.
//
// Client.Invoice returns an Invoice only when the invoice is signed (the
// signature verifies against its n field or yields the payee's key), is
// for the configured network, asks for exactly the amount requested, has
// a description hash equal to sha256 of the payRequest's metadata (what
// LUD-06 requires, so the invoice is bound to the pay link that was
// asked), and has not expired by the injected clock. Client.Verify runs
// the same checks again just before a stored invoice is paid.
//
// # Invariants
//
//   - Every refusal happens before anything could be paid, and leaves
//     nothing behind: the package holds no state between calls.
//   - Amounts are decimal.Decimal BTC at the API and whole millisatoshi
//     (int64) on the wire; an amount finer than a millisatoshi is
//     refused, never rounded.
//   - Every call has a deadline (Config.Timeout for both requests
//     together) and every answer is read through Config.MaxBody.
//   - Only https is spoken unless Config.AllowHTTP (the simulator);
//     redirects are followed at most 5 times, each to an allowed scheme.
//
// # Errors
//
// Sentinels in errors.go: ErrDestination and ErrAmount before any
// request, *EndpointError (ErrEndpoint) for a service that fails or
// answers {"status":"ERROR"}, *RefusedError (ErrRefused, with the failed
// Check) for an invoice that must not be paid. Messages name the host,
// never the path or query of a URL (they may carry tokens), and never a
// whole answer: a service's ERROR reason is kept, clipped to 200
// characters.
//
// # Concurrency
//
// A *Client is safe for concurrent use; an Invoice is a plain value.
//
// # What it must never do
//
// Pay anything or talk to a venue; import any package of the engine
// (market at most); let anything a service sends stand in for a check;
// take an invoice's network from its own prefix.
//
// # Lightning destinations (for the manual)
//
// A Lightning destination of a treasury payout may name:
//
//   - a Lightning Address, name@domain.com: the engine asks
//     https://domain.com/.well-known/lnurlp/name for a pay link;
//   - an LNURL, lnurl1… in either case, optionally prefixed
//     "lightning:": the bech32 text decodes to the pay link's https URL;
//   - an lnurlp://domain.com/path link, or the pay link's https URL itself.
//
// Plain http is refused, except against the simulator in paper mode.
// Before a payment is sent, the engine asks the pay link for an invoice
// of the exact amount (Lightning counts in millisatoshi, 0.00000000001
// BTC; a finer amount is refused, not rounded) and refuses to pay unless
// the amount lies within the link's minimum and maximum and the invoice
// it gets back
//
//   - carries a valid signature of the payee's node,
//   - is for Bitcoin mainnet (lnbc…; testnet, signet and regtest only
//     when configured),
//   - asks for exactly that amount,
//   - commits to the pay link's description (its description hash is
//     the SHA-256 of the link's metadata), and
//   - has not expired.
//
// The invoice is then paid through Hercle's Lightning withdrawal, whose
// outcome is followed like any other withdrawal's.
//
// What remains manual: the engine cannot tell that a Lightning Address
// belongs to whom it claims to; check a new destination with its owner
// (a small first payment, confirmed by them) before relying on it.
// Services that answer with an error, time out or keep sending invoices
// that fail a check are reported and not paid: ask the payee. Payments
// to a bare BOLT11 invoice, comments (LUD-12), payer data (LUD-18) and
// success actions are not supported.
package lnurl

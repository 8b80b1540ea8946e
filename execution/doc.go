// Package execution turns approved intents into trades at the venue, exactly
// once, and records them.
//
// # Paths
//
// OTC: a price quote (GET /api/v1/price/{pair}/{size}), then an order on its
// priceId with side and slippage (a percentage, 1.0 = 1%). RFQ: create the
// RFQ, check the quote against the streaming price and its expiry (risk's
// CheckQuote), then accept it, or let it expire.
//
// # Exactly once
//
// The intent is written to the ledger (state pending, keyed by its
// Client-Id) before anything is sent, and moved to submitted, durably, just
// before the money-moving request. So at start-up a pending intent was
// never sent and fails; a submitted or unknown one is looked up at the venue
// by Client-Id (trades, then orders) and resolved from what the venue says.
// Nothing is ever re-sent with the same Client-Id: production Hercle does
// not deduplicate, so a resend could trade twice. An intent the venue has
// no record of is resolved as failed after the configured lookups; the
// strategy decides whether to try again, under a new Client-Id.
//
// Orders answered Created (0) or Pending (3) are not final: they are followed
// by lookups until Executed (1) or Cancelled (2). A fill is posted as one
// balanced journal entry keyed by the venue trade id, so a fill confirmed
// twice (by the response, by a lookup, by reconciliation) is recorded once.
//
// # What it must never do
//
// Send a money-moving request without a durable intent, send one twice, or
// post a fill whose intent did not end in success.
package execution

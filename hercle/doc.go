// Package hercle owns the engine's REST client for the Hercle OTC platform
// (the route table, typed request and response models, authentication,
// retries, rate limiting, pagination and the decoding of everything the
// venue sends back) and the vocabulary its other clients share: Number and
// Time on the wire, the status and type enums and what a movement's status
// means (Effect), pairs, address parameters and the errors (APIError,
// UnknownOutcomeError, ErrOutcomeUnknown, ErrNotSent …).
//
// The SignalR hub client is package hercle/hub; webhooks are package
// hercle/webhook. Both import this package; it imports neither.
//
// # Exactly once
//
// Every money-moving request (OTC order, RFQ accept, every withdrawal
// including Lightning, bank transfer) carries a Client-Id header, supplied by
// the caller or generated here and returned. Hercle deduplicates Client-Ids
// in the sandbox only, so this package never relies on it: a request that
// creates something (money-moving or not) is retried automatically only when
// it provably was not processed — the venue answered 429, or the connection
// failed before the request was written. After any other failure the call
// returns an *UnknownOutcomeError (errors.Is(err, ErrOutcomeUnknown)) that
// carries the Client-Id; the caller must look the operation up by that id
// (OrdersByClientID, TradesByClientID, WithdrawalsByClientID, Transfers with
// TransferClientID) before sending anything again. Reads (GET) are retried
// on 429, 5xx and network errors.
//
// The client never sets an Idempotency-Key header: net/http treats requests
// carrying one as replayable and would resend a POST on its own after a
// broken connection.
//
// # Wire format
//
// Amounts, prices, sizes, fees and slippage are Number, a decimal that
// travels as a JSON number and is parsed from its text, never through
// float64. Timestamps are Time, which keeps the raw text of a value that
// does not parse instead of failing the response. Responses are decoded
// leniently (unknown fields are ignored, so a venue addition never stops
// trading); the tests decode every documented sample strictly.
//
// # Concurrency
//
// A *Client is safe for concurrent use by multiple goroutines. Iterators
// returned by the listing methods are not: consume each from one goroutine.
//
// # What it must never do
//
// Print, log or return the API key (errors carry at most a short, redacted
// snippet of an unusable response); send a money-moving request twice on
// its own; follow redirects (a redirected POST would become a GET, and the
// Authorization header must not travel elsewhere); import hercle/hub,
// hercle/webhook or any package of the engine other than market and
// internal (internal/venuehttp holds the HTTP mechanics it shares with the
// other venue client).
package hercle

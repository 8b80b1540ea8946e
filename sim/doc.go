// Package sim owns the venue simulator: a simulated Hercle account and
// market (Venue) and a REST server speaking the documented Hercle API over
// loopback (Server). Paper mode, `engine sim` and the tests of every
// package that crosses the wire run against it.
//
// # Venue core
//
// Venue is transport independent: plain Go methods over one mutex-guarded
// state, an injectable clock (Options.Clock) and sources seeded from
// Options.Seed. Nothing runs in the background: prices take one
// random-walk step per second of venue time, quotes and RFQs expire,
// pending orders settle and withdrawals and transfers move from CREATED to
// CONFIRMING to CONFIRMED (or FAILURE) when a method observes that the
// clock has passed their time. Advance applies due changes without doing
// anything else. The price of a pair at a time depends only on the seed,
// the time and SetPrice: never on how often it was read.
//
// Methods return the venue's own types (Order, Trade, Execution, RFQ,
// Balances, Withdrawal, …) holding decimal.Decimal amounts. A refusal is
// an *Error whose Kind the REST adapter maps to a status and code; nothing
// was applied then. Every money-moving method takes a Client-Id: with
// Options.Dedup a repeat within DedupWindow returns the first result, as
// the Hercle sandbox does; without it a repeat executes again, as
// production does. Executions(clientID) counts how many times a request
// with a Client-Id was applied, the ground truth for exactly-once tests.
//
// Test hooks: Executions, ApproveWhitelist, RefuseWhitelist,
// ApprovePayeeAddress, RefusePayeeAddress, CompleteWithdrawal, Credit,
// Receive, PayInvoice, SetPrice, Advance.
//
// # Fidelity switches
//
// Config (the [sim] section) and `engine sim`'s flags choose how the
// simulator behaves where the documents leave a choice or describe a
// fault: the hub's envelope form (HubEnvelope: by default the guide's
// JSON string), scheduled hub drops, the webhooks' faults
// (WebhookFaults), automatic or manual approval of whitelist entries and
// payee addresses (Options.AutoApproveWhitelist, AutoApprovePayees), and
// the maintenance window (Options.Maintenance, built from [maintenance] by
// Config.MaintenanceWindow: REST answers 503, the hub drops and refuses
// connections).
//
// The control endpoints (ControlPath) do what Hercle's staff or a network
// would: list and approve or refuse what waits for a review, drop the
// hub's connections. They answer a loopback peer with the API key.
//
// # Events
//
// Subscribe returns a Subscription that receives every state change from
// then on, in order and without loss (OrderChanged, TradeExecuted,
// BalanceChanged with the balance sequence, RFQChanged, WithdrawalChanged,
// DepositCredited, WhitelistChanged, InvoiceChanged, EndUserCreated,
// PayeeCreated, PayeeAddressCreated, TransferChanged). EventHeader.Seq
// increases by one per event. The venue never blocks on a subscriber: the
// queue grows until Next drains it, so close subscriptions you stop
// reading.
//
// # REST server
//
// Start serves a new Venue on loopback (Options.Addr, default
// 127.0.0.1:0) with a Bearer API key (Options.APIKey, or random per
// start). The handlers in rest.go are a thin layer: decode the request
// strictly (unknown fields, quoted amounts and trailing data are 400s;
// amounts are parsed from their JSON text into decimals), call the Venue,
// encode the documented shape. Faults, drawn once per request from the
// seeded source, come first: a 429 with Retry-After, a TCP reset before
// the body is read (nothing applied), or a 500 replacing the answer of an
// applied request; then latency, the maintenance window (503) and
// authentication (401 authentication_required or invalid_api_key).
// Errors use the documentation site's {"error":{code,message,param,type}}
// or, with Options.FlatErrors, the guide's {"code","message"} with its
// upper-case codes (where CONFLICT is a 400).
//
// Readings of the references where they are silent or disagree: the
// documentation site's paths are served, plus the collection's (networks,
// plain and instant withdrawals, non-historical transactions) and the
// guide's spellings (/orders/client/{id}, /user/trades/client/{id},
// /addresses, /rfq/custom, /banking/…). Withdrawal creation answers one
// object (the collection's samples show an array of one). Balances are an
// array of one object without the exposure fields. A withdrawal that fails
// ends FAILURE and is refunded. A Lightning payment is recorded as an
// instant withdrawal on network "Lightning" so it can be found by
// Client-Id. The numeric status filter of GET /transfers reads 0 CREATED,
// 1 CONFIRMING, 2 CONFIRMED, 3 FAILURE. Cursor tokens have the documented
// shape {"Id":{"S":"<id>"}} and are absent on the last page.
//
// # LNURL-pay
//
// The server also plays the payee of a Lightning Address name@host (LUD-16)
// with a Lightning node whose secp256k1 key is derived from Options.Seed
// alone (Server.LightningNode). Its two endpoints are public: they sit
// beside the Hercle API, outside its authentication and faults.
//
//   - GET /.well-known/lnurlp/{name} answers LUD-06's payRequest: tag
//     "payRequest", a callback on this server built from the request's
//     Host (so it works through whatever address the client dialled),
//     minSendable and maxSendable in millisatoshi (LNURLOptions) and the
//     metadata string [["text/plain","Payment to {name} on the Hercle
//     simulator"],["text/identifier","{name}@{host}"]].
//   - GET /lnurlp/{name}/callback?amount=<msat> answers {"pr":<BOLT11>,
//     "routes":[]}: a real invoice made and signed with lnd's zpay32, for
//     exactly amount, whose description hash is sha256(metadata), created
//     at the venue clock's second, expiring after LNURLOptions
//     .InvoiceExpiry, on Options.LightningNetwork (mainnet lnbc by
//     default; testnet lntb, signet lntbs, regtest lnbcrt).
//
// A name outside LUD-16's a-z0-9-_.+ is a 404 and an amount that is not a
// whole number of millisatoshi within the bounds a 400, both in LUD-06's
// {"status":"ERROR","reason":…} form; LNURLOptions.PayRequestError and
// CallbackError answer that form with status 200 (LUD-01: status codes
// carry no meaning, and services send both). The other LNURLOptions bend
// the invoice for tests of the paying client: WrongAmount (1 sat more),
// WrongDescriptionHash, WrongNetwork, Expired. WithdrawLightning pays
// these invoices like any other: the amount comes from the prefix (lnbc,
// lntb, lntbs, lnbcrt); the simulated venue does not check the signature.
//
// # Concurrency
//
// A Venue and a Server are safe for concurrent use. Values returned and
// carried by events are copies.
//
// # What it must never do
//
// Listen on anything but loopback; import the hercle or lnurl clients
// (the sim's wire shapes are written from the documentation and the LUDs
// independently, so each client is tested against a second reading); pass amounts through
// float64 (they are decimals, read from JSON numbers as text); start
// goroutines it does not stop on Close.
package sim

// Package ledger owns the engine's books: an append-only double-entry
// journal with the balances it implies, the intents (outbox) written before
// every external side effect, the inbox of inbound events, and the risk
// counters that must survive restarts, the reconciliation reports and the
// audit trail of operator actions. Everything lives in one bbolt file,
// created 0600.
//
// # Invariants
//
//   - The journal is append-only. An entry is never edited or deleted; a
//     correction is a new entry, Reverse(original), followed if needed by
//     the right entry.
//   - Per asset, the postings of every entry sum to zero. Post refuses an
//     unbalanced entry with ErrUnbalanced and writes nothing.
//   - Each entry has a unique idempotency key. Posting an existing key is a
//     no-op that returns the original entry.
//   - Balances are updated in the same transaction as the entry, so they
//     always equal Rebuild, the balances recomputed from the journal alone;
//     Verify checks this.
//   - An intent exists, durably, before its request is sent; its state
//     only moves forward (see IntentState). An inbound event is durable
//     before its sender is acknowledged.
//   - Amounts are decimal.Decimal, stored as exact decimal strings; never
//     float64.
//
// # Chart of accounts
//
// Accounts are colon-separated names built by constructors (or
// ParseAccount). Positive balances are holdings; the other side of each
// movement has the opposite sign.
//
//	venue:<venue>:available          VenueAvailable  free balance at a venue (hercle, heropayments)
//	venue:<venue>:allocated          VenueAllocated  held against open orders, RFQs, payouts
//	venue:<venue>:pending            VenuePending    a deposit reported, not yet confirmed by the venue's history
//	transit:withdrawal:<client-id>   Transit         crypto withdrawal sent, not yet confirmed
//	transit:bank:<client-id>         Transit         bank transfer sent, not yet settled
//	transit:lightning:<client-id>    Transit         Lightning payment in flight
//	transit:settlement:<client-id>   Transit         settlement between two of our venues
//	external:address:<NETWORK>:<addr> ExternalAddress a blockchain address not ours
//	external:bank:<payee>            ExternalBank    a bank payee
//	external:lightning:<dest>        ExternalLightning a Lightning destination
//	external:unknown                 ExternalUnknown sender of a deposit we cannot name
//	counterparty:<venue>             Counterparty    the venue as trading counterparty
//	fees:<venue>                     Fees            fees charged by the venue
//	equity:opening                   OpeningBalance  opening balances
//	equity:adjustment                Adjustment      reconciliation adjustments
//
// A transit account is unique to its movement (keyed by Client-Id), so its
// balance is non-zero exactly while the movement is in flight: the sum of
// transit accounts is the money on the way.
//
// # Worked examples
//
// Opening balance, 2 BTC at Hercle:
//
//	venue:hercle:available  BTC   +2
//	equity:opening          BTC   -2
//
// Trade: buy 0.5 BTC for 30000 USDT at Hercle (key "hercle:trade:<trade id>"):
//
//	venue:hercle:available  BTC   +0.5
//	counterparty:hercle     BTC   -0.5
//	venue:hercle:available  USDT  -30000
//	counterparty:hercle     USDT  +30000
//
// Fee of 15 USDT on that trade (same entry or its own, kind fee):
//
//	venue:hercle:available  USDT  -15
//	fees:hercle             USDT  +15
//
// Withdrawal of 1 BTC to bc1qxy (Client-Id W1), sent (key "W1:sent", ref
// "to" naming external:address:BTC:bc1qxy):
//
//	venue:hercle:available  BTC   -1
//	transit:withdrawal:W1   BTC   +1
//
// then settled (key "W1:settled") to the account the sent entry named, the
// network fee of 0.0001 taken from the amount:
//
//	transit:withdrawal:W1        BTC  -1
//	external:address:BTC:bc1qxy  BTC  +0.9999
//	fees:hercle                  BTC  +0.0001
//
// or failed (key "W1:failed"), the money back at the venue:
//
//	transit:withdrawal:W1   BTC   -1
//	venue:hercle:available  BTC   +1
//
// Bank transfers and Lightning payments follow the same two steps with
// transit:bank and transit:lightning and an external:bank or
// external:lightning destination.
//
// Deposit of 500 USDT from an unknown sender to Heropayments:
//
//	venue:heropayments:available  USDT  +500
//	external:unknown              USDT  -500
//
// Settlement of 1000 USDT from Heropayments to Hercle (Client-Id S1), sent:
//
//	venue:heropayments:available  USDT  -1000
//	transit:settlement:S1         USDT  +1000
//
// then received:
//
//	transit:settlement:S1   USDT  -1000
//	venue:hercle:available  USDT  +1000
//
// Allocation of 30000 USDT to an open order, and its release:
//
//	venue:hercle:available  USDT  -30000    venue:hercle:allocated  USDT  -30000
//	venue:hercle:allocated  USDT  +30000    venue:hercle:available  USDT  +30000
//
// # Concurrency
//
// A Store is safe for concurrent use. Reads run in bbolt read transactions
// and see a consistent snapshot. Writes are queued to one goroutine that
// commits everything waiting in one transaction (group commit): with many
// concurrent writers one fsync serves many writes, with one writer no delay
// is added. A write returns only once its transaction is durable.
//
// A write whose context ends while it is queued returns at once with an
// error wrapping ctx.Err() ("outcome unknown"), and may still commit
// afterwards: its arguments are copied, so the caller may reuse them. The
// caller learns the outcome by reading, or by re-issuing a write that is
// idempotent (Post, CreateIntent, PutEvent, AddCounter with the same op
// id, MarkProcessed). Transition and Acknowledge are not: re-issuing one
// that did commit returns ErrIllegalTransition, so read the intent
// (Store.Intent) instead. PutReport re-issued stores a second report.
// Close waits for every queued write, abandoned or not.
//
// Only one process may open the file read-write. A second opener gets
// ErrInUse after Options.LockTimeout instead of hanging; read-only openers
// share the file with each other but not with a writer.
//
// # What it must never do
//
// It never edits or deletes a journal entry, never stores money as
// float64, never keeps bbolt's byte slices past their transaction, never
// writes to a file that is not a ledger or is from a newer schema, and
// never performs the side effects its intents describe: it only records
// them. It imports nothing of the project but market.
package ledger

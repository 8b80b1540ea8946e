// Package treasury owns the sweep policies and their execution: keeping
// balances within [min, target, max] on schedules, moving the excess to
// allowlisted destinations (crypto withdrawals, Lightning payments, bank
// transfers), converting it first through the execution path where a
// policy chains, pulling a shortfall back, and settling the Heropayments
// merchant balance into Hercle. The policies are declared in the [treasury]
// configuration section, whose schema lives in package treasury/policy.
//
// # One movement, start to end
//
//  1. A policy's job runs (package scheduler: never inside a maintenance
//     window; a run due inside one is deferred or skipped). It reads the
//     available balance at the venue and decides: nothing, send the excess
//     over target (fee-aware, rounded down, at least min_sweep), convert it,
//     alert, or pull the shortfall.
//  2. Safety, before anything is written: no unresolved movement to the
//     same destination; the destination is in the allowlist and, at the
//     venue, whitelisted and approved (crypto: GET whitelisted addresses;
//     bank: the payee address APPROVED in the webhook registry and not
//     refused or deleted over REST; settlement: the deposit address the
//     Hercle API returns, matching a pinned address if configured); the
//     per-destination and global daily caps leave room (the amount is
//     clipped to what is left). A dry-run policy stops here and logs.
//  3. The caps are reserved in the ledger's counters (persisted: a restart
//     does not reset them), the intent is recorded with its Client-Id
//     (pending), the amount moves from the venue's available balance to the
//     movement's transit account ("<client-id>:sent", naming the
//     destination's ledger account in ref ledger.RefTo), the intent becomes
//     submitted, and only then is the request sent, once, with that
//     Client-Id (the Heropayments externalOrderId for a settlement).
//  4. A definitive refusal fails the intent, reverses the transit posting
//     ("<client-id>:failed") and releases the caps. An unknown outcome
//     (timeout, 5xx after the venue applied it, a crash) marks the intent
//     unknown and is looked up at the venue by Client-Id before anything
//     else: found, it is followed; after Lookups lookups with no record it
//     fails. A movement the venue accepted (a 2xx answer naming its id,
//     recorded with ledger.Store.Acknowledge, so it survives a restart) is
//     never failed for want of a record: it stays open for an operator.
//     Nothing is ever sent again under the same Client-Id, and a new
//     movement is only decided by a later run, after the lookup.
//  5. The final status settles it: from the Banking webhook through
//     package inbound (which uses the same entry keys, so either path
//     applies once), or by REST polling of anything unresolved after
//     PollAfter. Success moves transit to the account the sent entry named
//     ("<client-id>:settled", the venue's fee to fees:<venue>); failure
//     moves it back and releases the caps.
//
// # Settlement
//
// A settlement withdraws the Heropayments merchant balance above max to the
// Hercle deposit address (read from the Hercle API). It is in
// transit:settlement:<client-id> from the request until the deposit lands
// at Hercle, not merely until Heropayments reports it sent: the Hercle
// deposit is found by the webhook (OnDeposit) or over REST (transactions),
// matched by asset, time and amount (at most max_network_fee below what was
// sent), credited under package inbound's deposit key if the webhook has
// not done so yet (then handed to Deps.OnDeposit, so autoconvert continues
// the chain), and the transit account is cleared against the deposit's
// source with the network fee to fees:heropayments. The settlement's own
// chain (then) runs at that moment. Deposits carry no reference to the
// movement, so two settlements of equal amounts in flight together are
// matched oldest first.
//
// # Lightning
//
// A Lightning destination has no venue whitelist: it is allowlisted by
// name, its invoice comes from the invoice source wired for it, and the
// invoice must be for exactly the amount decided, on the configured
// network prefix. A payment whose outcome is unknown and which the venue
// does not list by Client-Id stays unknown for an operator instead of
// failing: the lookup is not documented for Lightning.
//
// # Statuses read over REST
//
// The REST pages list CREATED, CONFIRMING and CONFIRMED for withdrawals and
// transfers; CONFIRMED is their last state there, so polling reads it (and
// SUCCESS) as settled and FAILURE or REJECTED as failed. Webhooks, applied
// by package inbound, list CONFIRMED before EXECUTING and SUCCESS and settle
// only on SUCCESS; polling starts only after PollAfter so the webhook
// normally decides. A venue that later contradicts a settled movement is
// logged as a conflict for reconciliation, never applied.
//
// # Concurrency
//
// A Treasury is safe for concurrent use; sweeps, polls and recovery are
// serialised by one mutex, so two decisions never race for one balance or
// cap. OnDeposit never blocks.
//
// # What it must never do
//
// Send to a destination outside the allowlist or not approved at the venue;
// send during a maintenance window; send before its intent, transit posting
// and cap reservation are durable; send a movement twice or resend after an
// unknown outcome without a lookup; trade itself (conversions go through
// the execution path); let a dry-run policy send anything.
package treasury

// Package reconcile owns the reconciliation of the engine's books with the
// venues: it compares the ledger (journal, balances, intents and the inbox
// of webhooks and callbacks) with what Hercle's REST history and
// Heropayments' status checks say, classifies every difference, fixes what
// the venue's own history proves by posting new entries, and stores a
// report of every run in the ledger.
//
// # What is compared
//
//   - balances: per asset, venue:hercle:available plus venue:hercle:allocated
//     plus money in transit whose movement is still open at the venue,
//     against the venue's available plus allocated, within the configured
//     tolerance. The venue snapshot is read twice around the ledger read
//     and compared only if its sequence did not move; and only once the
//     engine has seen every balance change (the inbox holds a
//     Balance.Updated at least as new as the snapshot, or the newest venue
//     movement is older than the grace period), so changes in flight are
//     not compared; nor while records the ledger lacks within the grace
//     period (a deposit whose webhook is on its way) account for the
//     difference. Otherwise a difference runs have seen for a whole grace
//     period is a break whatever the newest venue record.
//   - trades: the venue's trades (7-day pages, older ones from the 30-day
//     historical listing) against the ledger's fills, by trade id
//     ("hercle:trade:<id>") and then by Client-Id (execution posts one
//     entry per Client-Id, keyed by the first trade); amounts per asset.
//   - transactions: deposits against "hercle:deposit:<transaction id>"
//     (the key the webhook processor uses), trade and custody fees against
//     "hercle:fee:<transaction id>", and the trade legs' sum per asset
//     against the trades. Allocation and withdrawal legs are compared
//     through balances, withdrawals and transfers; they are counted as
//     skipped.
//   - withdrawals and transfers (the banking listing, cursor pages; amounts
//     from the banking ledger): against the intents by Client-Id (amount
//     sent to transit, final status against the "<client-id>:settled" or
//     ":failed" entry), and intents against the venue.
//   - webhooks against REST: a final withdrawal or payout status, or a
//     deposit, without its webhook; a webhook whose object the venue does
//     not know; duplicated deliveries.
//   - Heropayments: every payment our intents or callbacks name is looked
//     up by externalOrderId and sequence; its status against the
//     callbacks and the intent.
//
// # Outcomes
//
// Each compared record is matched, missing in the ledger, missing at the
// venue, an amount or status mismatch, a missing webhook or a duplicate.
// Matched records are counted; the rest are findings. A finding younger
// than the grace period (by the venue's time of the event, or for a status
// change by when a run first saw it) is pending: reported, never a break.
// Missing webhooks and duplicates are warnings, never breaks. Everything
// else is a break, except a difference fixed by an import that fully
// explains it (a deposit, a fee).
//
// # Fixes
//
// History is never edited. A movement the venue originated and the ledger
// lacks is imported as a new entry, flagged with the ref source=reconcile
// and a memo, under the key the regular path would have used, so importing
// is idempotent and a late webhook or fill cannot count it twice: deposits
// ("hercle:deposit:<id>"), fees ("hercle:fee:<id>"), trades made outside
// the engine (ledger.TradeKey), withdrawals and transfers made outside
// the engine once final ("hercle:withdrawal:<id>", "hercle:transfer:<id>").
// A deposit is imported as a plain deposit: treasury credits a settlement
// landing from Heropayments under the same key and clears its transit
// against it, so an imported one serves it as well. A trade whose
// Client-Id names an open intent is left to execution's recovery.
// Everything else is reported for a human.
//
// # Running
//
// Run reconciles once. Serve runs at start-up and again on every Trigger;
// Job returns the scheduler job that triggers it. After each run, a
// configured Pauser is paused while breaks exceed the threshold and
// resumed once they no longer do.
//
// # Concurrency and cost
//
// A Reconciler is safe for concurrent use; runs never overlap. Within a
// run the venue's history, the journal window and the inbox are read
// concurrently. The journal is append-only and an inbox event's body never
// changes, so a Reconciler keeps the journal window and the decoded
// webhooks between runs and reads only what was added: the start-up run
// decodes everything in the window, scheduled runs little. The inbox
// records themselves are still read on every run (the ledger has no
// incremental read of its inbox), which bounds how cheap a run can get.
//
// # What it must never do
//
// Send anything that moves money, edit or delete a journal entry or an
// inbox event, import a movement while it may still be in flight, or count
// a run that failed part-way as clean: a venue or ledger error fails the
// run and nothing is stored.
package reconcile

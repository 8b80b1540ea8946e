// Package inbound applies the inbound events the ledger's inbox holds: it
// turns Hercle webhooks, stored durably before they were acknowledged, into
// intent transitions, journal entries, deposit notifications and a small
// registry of payees, end users, virtual accounts and balance snapshots.
//
// Two halves:
//
//   - WebhookInbox adapts the ledger inbox to webhook.Inbox: the
//     handler's Store writes the raw event durably (ledger.PutEvent) and
//     only then lets the handler answer 200; it then wakes the Processor.
//   - Processor runs asynchronously. It scans the inbox's unprocessed
//     events at start-up (so an event stored before a crash is applied
//     after it) and after every wake-up, decodes each with
//     webhook.DecodeEvent, applies it idempotently and marks it
//     processed.
//
// # Invariants
//
//   - Every effect is idempotent, so an event applied and then re-applied
//     after a crash (before MarkProcessed) changes nothing the second time:
//     journal entries have deterministic keys ("<client-id>:settled",
//     "<client-id>:failed", "hercle:deposit:<transaction id>"), and intent
//     transitions are refused by the ledger once final.
//   - State never moves backwards: a non-final banking status never touches
//     an intent; a final one never undoes the opposite final outcome (it is
//     counted as a conflict and logged), and a failure naming another
//     venue id than the one the venue acknowledged for the intent (the
//     request applied twice) never reverses it; registry entries only
//     move forward by event time (Balance.Updated by Sequence).
//   - The journal stays balanced: every entry is built balanced and the
//     ledger refuses any that is not.
//   - An event that cannot be applied (undecodable, or naming something
//     impossible) is quarantined: left unprocessed in the inbox, counted,
//     logged once, and not retried until the next start-up.
//
// # What it must never do
//
// It never sends anything to a venue, never deletes or edits an inbox event
// or a journal entry, and never applies an event that was not stored first.
package inbound

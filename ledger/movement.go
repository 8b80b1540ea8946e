package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A movement (a withdrawal, bank transfer, Lightning payment, payout or
// settlement the engine sends under Client-Id cid) is journalled in two
// steps: SentKey(cid) moves the amount from the source into transit and
// names the destination account in the ref RefTo; then either
// SettledKey(cid) moves it on to that destination (less the venue's fee) or
// FailedKey(cid) moves it back to the source. Whichever path learns the
// outcome first (the venue's webhook, a status poll, reconciliation) posts
// the second step under the same key, so it is posted once, and credits the
// destination the sent entry named, so the books do not depend on which
// path was first. The two outcomes exclude each other: Post refuses
// SettledKey(cid) once FailedKey(cid) is in the journal and the other way
// round (ErrOutcomeConflict), in the same transaction as it writes, so two
// paths learning contradicting outcomes at the same moment cannot both
// post. An outcome corrected the package's way, by posting Reverse of it,
// no longer excludes the other, which may then be posted.

// SentKey is the key of the entry moving movement cid into transit.
func SentKey(cid string) string { return cid + ":sent" }

// SettledKey is the key of the entry moving movement cid out of transit to
// its destination.
func SettledKey(cid string) string { return cid + ":settled" }

// FailedKey is the key of the entry moving movement cid back out of
// transit to its source.
func FailedKey(cid string) string { return cid + ":failed" }

// opposite returns the key of the outcome that excludes key: the failed
// entry of a settled key and the other way round; ok is false for any
// other key.
func opposite(key string) (string, bool) {
	if cid, ok := strings.CutSuffix(key, ":settled"); ok && cid != "" {
		return FailedKey(cid), true
	}
	if cid, ok := strings.CutSuffix(key, ":failed"); ok && cid != "" {
		return SettledKey(cid), true
	}
	return "", false
}

// RefTo is the ref of a sent entry naming the account its movement goes to.
const RefTo = "to"

// To returns the destination account a sent entry names in RefTo; ok is
// false if it names none, or names something that is not a valid account
// outside transit.
func (e Entry) To() (Account, bool) {
	a, err := ParseAccount(e.Refs[RefTo])
	if err != nil || a.Class() == "transit" {
		return Account{}, false
	}
	return a, true
}

// EntryReader reads one journal entry by key; *Store implements it.
type EntryReader interface {
	Entry(ctx context.Context, key string) (Entry, error)
}

// SentTo returns the destination the sent entry of movement cid names;
// ok is false when there is no sent entry or it names none (one written
// before the ref existed, or a movement from outside the engine).
func SentTo(ctx context.Context, r EntryReader, cid string) (a Account, ok bool, err error) {
	e, err := r.Entry(ctx, SentKey(cid))
	if errors.Is(err, ErrNotFound) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, fmt.Errorf("entry %s: %w", SentKey(cid), err)
	}
	a, ok = e.To()
	return a, ok, nil
}

// Destination is the external account of a destination a venue reports
// as a network and an address: external:lightning:<address> on Lightning,
// external:bank:<address without spaces> on a bank rail (SEPA, SWIFT, FPS,
// CHAPS, ACH, WIRE, BANK), else external:address:<NETWORK>:<address>. An
// address that makes no valid account gives external:unknown.
func Destination(network, address string) Account {
	network, address = strings.ToUpper(strings.TrimSpace(network)), strings.TrimSpace(address)
	if address == "" {
		return ExternalUnknown()
	}
	var a Account
	switch network {
	case "LIGHTNING":
		a = ExternalLightning(address)
	case "SEPA", "SWIFT", "FPS", "CHAPS", "ACH", "WIRE", "BANK":
		a = ExternalBank(strings.ReplaceAll(address, " ", ""))
	default:
		a = ExternalAddress(network, address)
	}
	if _, err := ParseAccount(a.String()); err != nil {
		return ExternalUnknown()
	}
	return a
}

// TradeKey is the journal key of a Hercle fill, by the venue's trade id:
// a fill confirmed twice (by the answer, a lookup, reconciliation) is
// posted once.
func TradeKey(tradeID string) string { return "hercle:trade:" + tradeID }

// DepositKey is the journal key of a Hercle deposit, by the venue's
// transaction id: whichever path credits it first (the webhook,
// treasury's or reconciliation's reading of the history) posts it once.
func DepositKey(transactionID string) string { return "hercle:deposit:" + transactionID }

// ConfirmedKey is the key of the entry that makes a deposit credited as
// pending spendable, once the venue's history confirms it.
func ConfirmedKey(depositKey string) string { return depositKey + ":confirmed" }

// DepositConfirmation is the entry that makes a deposit credited as
// pending spendable: every pending posting of the deposit moves to the
// venue's available balance. ok is false when the deposit holds nothing
// pending (it was credited from the venue's history, already spendable).
func DepositConfirmation(deposit Entry, at time.Time, memo string) (e Entry, ok bool) {
	e = Entry{
		Key: ConfirmedKey(deposit.Key), Kind: KindDepositConfirmed, Time: at, Memo: memo,
		Refs: map[string]string{"deposit_entry": deposit.Key},
	}
	if id := deposit.Refs["transaction_id"]; id != "" {
		e.Refs["transaction_id"] = id
	}
	for _, p := range deposit.Postings {
		if p.Account.Class() != "venue" || !strings.HasSuffix(p.Account.String(), ":pending") || !p.Amount.IsPositive() {
			continue
		}
		v := Venue(strings.TrimSuffix(strings.TrimPrefix(p.Account.String(), "venue:"), ":pending"))
		e.Postings = append(e.Postings,
			Posting{Account: p.Account, Asset: p.Asset, Amount: p.Amount.Neg()},
			Posting{Account: VenueAvailable(v), Asset: p.Asset, Amount: p.Amount})
	}
	return e, len(e.Postings) > 0
}

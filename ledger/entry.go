package ledger

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Kind says what movement an entry records.
type Kind string

// Entry kinds. The package documentation has a worked example of each.
const (
	KindOpening           Kind = "opening"            // opening balance
	KindTrade             Kind = "trade"              // fill of an order or accepted RFQ
	KindFee               Kind = "fee"                // fee charged by a venue
	KindAllocation        Kind = "allocation"         // available <-> allocated at one venue
	KindWithdrawal        Kind = "withdrawal"         // withdrawal or bank/Lightning payment sent
	KindWithdrawalSettled Kind = "withdrawal.settled" // ... confirmed at the destination
	KindWithdrawalFailed  Kind = "withdrawal.failed"  // ... failed; money back at the venue
	KindDeposit           Kind = "deposit"            // money received from outside
	KindDepositConfirmed  Kind = "deposit.confirmed"  // ... confirmed by the venue's history: pending to available
	KindTransfer          Kind = "transfer"           // settlement between venues sent
	KindTransferSettled   Kind = "transfer.settled"   // ... received at the other venue
	KindAdjustment        Kind = "adjustment"         // reconciliation adjustment against equity:adjustment
	KindReversal          Kind = "reversal"           // exact negation of an earlier entry
)

var kinds = map[Kind]bool{
	KindOpening: true, KindTrade: true, KindFee: true, KindAllocation: true,
	KindWithdrawal: true, KindWithdrawalSettled: true, KindWithdrawalFailed: true,
	KindDeposit: true, KindDepositConfirmed: true, KindTransfer: true, KindTransferSettled: true,
	KindAdjustment: true, KindReversal: true,
}

// Kinds returns every entry kind, sorted.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Posting moves Amount of Asset into Account: positive adds to the
// account's balance, negative takes from it.
type Posting struct {
	Account Account
	Asset   market.Asset
	Amount  decimal.Decimal
}

// Entry is one journal entry. Entries are immutable once posted; a mistake
// is corrected by posting Reverse(entry) and then the right entry.
type Entry struct {
	// Key is the idempotency key, unique in the journal: a venue trade id
	// ("hercle:trade:123"), a webhook event id, an intent's Client-Id plus a
	// step ("<client-id>:settled"). Posting an existing key is a no-op.
	Key  string
	Kind Kind
	// Time is when the movement happened (venue time where known). Post
	// sets it to the store clock if zero.
	Time time.Time
	// ClientID is the Client-Id of the intent that caused the movement, if any.
	ClientID string
	// Refs holds venue references: trade id, withdrawal id, transaction hash.
	Refs map[string]string
	// Reverses is the key of the entry this one reverses (Kind reversal only).
	Reverses string
	Memo     string
	Postings []Posting

	// Set by Post.
	Seq      uint64    // position in the journal, from 1
	Recorded time.Time // store clock at Post
}

// Limits on entries; amounts beyond them are refused rather than stored.
const (
	maxKeyLen      = 256
	maxPostings    = 64
	maxScale       = 18 // decimal places: wei-level precision
	maxIntDigits   = 30
	maxRefs        = 16
	maxRefLen      = 256
	maxMemoLen     = 1024
	maxClientIDLen = 128
)

// reversalPrefix makes the key of Reverse(e) from e's.
const reversalPrefix = "reversal:"

// Reverse returns the entry that cancels e: every posting negated, Kind
// reversal, Key "reversal:"+e.Key (so a correction posted twice is a
// no-op). at is the time of the correction.
func Reverse(e Entry, at time.Time, memo string) Entry {
	r := Entry{
		Key:      reversalPrefix + e.Key,
		Kind:     KindReversal,
		Time:     at,
		ClientID: e.ClientID,
		Reverses: e.Key,
		Memo:     memo,
		Postings: make([]Posting, len(e.Postings)),
	}
	for i, p := range e.Postings {
		r.Postings[i] = Posting{Account: p.Account, Asset: p.Asset, Amount: p.Amount.Neg()}
	}
	return r
}

// Validate checks an entry the way Post does, without a store: a key, a
// known kind, valid accounts and assets, amounts non-zero and within
// limits, and, per asset, postings that sum to zero (ErrUnbalanced).
func (e Entry) Validate() error {
	if e.Key == "" || len(e.Key) > maxKeyLen || !printable(e.Key) {
		return fmt.Errorf("%w: key must be 1-%d printable characters", ErrInvalidEntry, maxKeyLen)
	}
	if !kinds[e.Kind] {
		return fmt.Errorf("%w %s: unknown kind %q", ErrInvalidEntry, e.Key, e.Kind)
	}
	if (e.Kind == KindReversal) != (e.Reverses != "") {
		return fmt.Errorf("%w %s: a reversal, and only a reversal, names the entry it reverses", ErrInvalidEntry, e.Key)
	}
	if len(e.ClientID) > maxClientIDLen || len(e.Memo) > maxMemoLen || len(e.Refs) > maxRefs {
		return fmt.Errorf("%w %s: client id, memo or refs too long", ErrInvalidEntry, e.Key)
	}
	if !utf8.ValidString(e.Memo) || !printable(e.ClientID) || !printable(e.Reverses) {
		return fmt.Errorf("%w %s: memo must be UTF-8, client id and reverses printable ASCII", ErrInvalidEntry, e.Key)
	}
	for k, v := range e.Refs {
		if k == "" || len(k) > maxRefLen || len(v) > maxRefLen || !printable(k) || !printable(v) {
			return fmt.Errorf("%w %s: bad reference %q", ErrInvalidEntry, e.Key, k)
		}
	}
	if len(e.Postings) < 2 || len(e.Postings) > maxPostings {
		return fmt.Errorf("%w %s: %d postings, want 2 to %d", ErrInvalidEntry, e.Key, len(e.Postings), maxPostings)
	}
	type sum struct {
		asset  market.Asset
		amount decimal.Decimal
	}
	sums := make([]sum, 0, 4)
	for i, p := range e.Postings {
		if err := validateAccount(p.Account.name); err != nil {
			return fmt.Errorf("%w %s: posting %d: %w %q: %s", ErrInvalidEntry, e.Key, i, ErrInvalidAccount, p.Account.name, err)
		}
		if !validCode(string(p.Asset)) {
			return fmt.Errorf("%w %s: posting %d: asset %q is not an upper-case code", ErrInvalidEntry, e.Key, i, p.Asset)
		}
		if err := checkAmount(p.Amount); err != nil {
			return fmt.Errorf("%w %s: posting %d: %s", ErrInvalidEntry, e.Key, i, err)
		}
		j := slices.IndexFunc(sums, func(s sum) bool { return s.asset == p.Asset })
		if j < 0 {
			sums = append(sums, sum{asset: p.Asset})
			j = len(sums) - 1
		}
		sums[j].amount = sums[j].amount.Add(p.Amount)
	}
	var bad *sum // the first asset, in code order, that does not sum to zero
	for i := range sums {
		if !sums[i].amount.IsZero() && (bad == nil || sums[i].asset < bad.asset) {
			bad = &sums[i]
		}
	}
	if bad != nil {
		return fmt.Errorf("%w: entry %s: %s postings sum to %s, want 0", ErrUnbalanced, e.Key, bad.asset, bad.amount)
	}
	return nil
}

func checkAmount(d decimal.Decimal) error {
	if d.IsZero() {
		return fmt.Errorf("zero amount")
	}
	// Cheap bounds first, so an absurd amount such as 1e1000000 or
	// 1e-1000000 is refused without building its digits. The limits apply
	// to the value, not to its representation: a product of 18-decimal
	// amounts has a low exponent and trailing zeros.
	if d.Exponent() > maxIntDigits {
		return fmt.Errorf("amount outside the supported range (%d integer digits, %d decimal places)", maxIntDigits, maxScale)
	}
	if extra := -int64(d.Exponent()) - maxScale; extra > 0 {
		// Places beyond maxScale must be trailing zeros of the coefficient,
		// which then has more than extra digits.
		coef := d.Coefficient()
		if int64(d.NumDigits()) <= extra ||
			new(big.Int).Rem(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(extra), nil)).Sign() != 0 {
			return fmt.Errorf("amount has more than %d decimal places", maxScale)
		}
	}
	if d.NumDigits()+int(d.Exponent()) > maxIntDigits { // the integer part's digits

		return fmt.Errorf("amount has more than %d integer digits", maxIntDigits)
	}
	return nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// negates reports whether r is the exact negation of orig, posting by posting.
func negates(r, orig Entry) bool {
	if len(r.Postings) != len(orig.Postings) {
		return false
	}
	for i, p := range r.Postings {
		o := orig.Postings[i]
		if p.Account != o.Account || p.Asset != o.Asset || !p.Amount.Equal(o.Amount.Neg()) {
			return false
		}
	}
	return true
}

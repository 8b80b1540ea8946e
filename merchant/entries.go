package merchant

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// DepositKey is the journal key of a credited deposit:
// "heropayments:deposit:<externalOrderId>:<sequence>", each part escaped
// with escapePart so that no two payments share a key. A key longer than
// the ledger allows becomes "heropayments:deposit:sha256:<hex digest>".
func DepositKey(k heropayments.PaymentKey) string {
	if k.Sequence == "" {
		k.Sequence = heropayments.SequenceOriginal
	}
	key := "heropayments:deposit:" + escapePart(k.ExternalOrderID) + ":" + escapePart(k.Sequence)
	if len(key) > maxEntryKey {
		sum := sha256.Sum256([]byte(key))
		key = "heropayments:deposit:sha256:" + hex.EncodeToString(sum[:])
	}
	return key
}

// maxEntryKey is the longest journal key the ledger takes.
const maxEntryKey = 256

// escapePart percent-escapes every byte outside [A-Za-z0-9._~-], so the
// result is printable ASCII without ':' or '/' and the escaping is
// reversible.
func escapePart(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// asset normalises a currency code the way the ledger wants it; ok is
// false when it is not a valid code.
func asset(currency string) (market.Asset, bool) {
	a := market.Asset(strings.ToUpper(strings.TrimSpace(currency)))
	if a == "" || len(a) > 20 {
		return "", false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')) {
			return "", false
		}
	}
	return a, true
}

// depositPostings are the postings crediting a successful deposit (see the
// package documentation); ok is false when the payment carries no
// positive amount in a valid currency.
func depositPostings(p heropayments.Payment, merchant market.Asset) ([]ledger.Posting, bool) {
	venue, cp, ext := ledger.VenueAvailable(ledger.Heropayments), ledger.Counterparty(ledger.Heropayments), ledger.ExternalUnknown()
	paidCur, curOK := asset(p.Currency)
	paid := p.PaidAmount.Decimal
	if !paid.IsPositive() {
		paid = p.Amount.Decimal
	}
	if m := p.MerchantAmount.Decimal; m.IsPositive() {
		if !curOK || paidCur == merchant || !paid.IsPositive() {
			return []ledger.Posting{
				{Account: venue, Asset: merchant, Amount: m},
				{Account: ext, Asset: merchant, Amount: m.Neg()},
			}, true
		}
		return []ledger.Posting{
			{Account: venue, Asset: merchant, Amount: m},
			{Account: cp, Asset: merchant, Amount: m.Neg()},
			{Account: cp, Asset: paidCur, Amount: paid},
			{Account: ext, Asset: paidCur, Amount: paid.Neg()},
		}, true
	}
	if !curOK || !paid.IsPositive() {
		return nil, false
	}
	return []ledger.Posting{
		{Account: venue, Asset: paidCur, Amount: paid},
		{Account: ext, Asset: paidCur, Amount: paid.Neg()},
	}, true
}

// held is what a payout holds in transit in one asset.
type held struct {
	account ledger.Account
	asset   market.Asset
	amount  decimal.Decimal
}

// payoutDestination is the ledger account of the address a payout's
// callback names, or external:unknown when it names none usable.
func payoutDestination(p heropayments.Payment) ledger.Account {
	network := p.Network
	if strings.TrimSpace(network) == "" {
		network = p.Currency
	}
	return ledger.Destination(network, p.Address)
}

// settledPostings move what a payout holds in transit to its destination.
// When the merchant account paid in its own currency for a payout in
// another (V2 converts), the conversion goes through Heropayments as
// counterparty and the destination receives the payout's amount in its
// currency.
func settledPostings(hs []held, dest ledger.Account, p heropayments.Payment) []ledger.Posting {
	cp := ledger.Counterparty(ledger.Heropayments)
	cur, curOK := asset(p.Currency)
	amt := p.Amount.Decimal
	var out []ledger.Posting
	for _, h := range hs {
		out = append(out, ledger.Posting{Account: h.account, Asset: h.asset, Amount: h.amount.Neg()})
		if !curOK || h.asset == cur || !amt.IsPositive() || len(hs) > 1 {
			out = append(out, ledger.Posting{Account: dest, Asset: h.asset, Amount: h.amount})
			continue
		}
		out = append(out,
			ledger.Posting{Account: cp, Asset: h.asset, Amount: h.amount},
			ledger.Posting{Account: cp, Asset: cur, Amount: amt.Neg()},
			ledger.Posting{Account: dest, Asset: cur, Amount: amt})
	}
	return out
}

// failedPostings move what a payout holds in transit back to the merchant
// account.
func failedPostings(hs []held) []ledger.Posting {
	var out []ledger.Posting
	for _, h := range hs {
		out = append(out,
			ledger.Posting{Account: h.account, Asset: h.asset, Amount: h.amount.Neg()},
			ledger.Posting{Account: ledger.VenueAvailable(ledger.Heropayments), Asset: h.asset, Amount: h.amount})
	}
	return out
}

package sim

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// MaxInvoiceExpiry is the longest Lightning invoice lifetime (720 h).
const MaxInvoiceExpiry = 720 * time.Hour

// Invoice is a Lightning invoice the account issued. Status is OPEN until
// paid (or expired), then CLOSED.
type Invoice struct {
	ID             string
	PaymentRequest string // BOLT11-shaped: lnbc<amount><multiplier>1<data>
	AmountBTC      decimal.Decimal
	Memo           string
	Status         string
	PaymentHash    string
	Created        time.Time
	Updated        time.Time
	Expires        time.Time
}

// LightningPayment is the answer to a Lightning withdrawal. Its ID is also
// the id of the Withdrawal (network "Lightning") that records it.
type LightningPayment struct {
	ID                   string
	Status               string // OPEN until settled, then CLOSED
	AmountBTC            decimal.Decimal
	DestinationPublicKey string
}

// CreateInvoice issues a Lightning invoice for amountBTC that expires
// after expiry (1 h to MaxInvoiceExpiry; zero means 24 h).
func (v *Venue) CreateInvoice(amountBTC decimal.Decimal, expiry time.Duration, memo string) (Invoice, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if expiry == 0 {
		expiry = 24 * time.Hour
	}
	if expiry < 0 || expiry > MaxInvoiceExpiry {
		return Invoice{}, invalid("expiryHours", "expiryHours must be from 1 to 720")
	}
	hrp, err := bolt11Amount(amountBTC)
	if err != nil {
		return Invoice{}, err
	}
	id := v.newIDLocked()
	in := &Invoice{ID: id, PaymentRequest: "lnbc" + hrp + "1" + v.newTokenLocked("sim"), AmountBTC: amountBTC,
		Memo: memo, Status: "OPEN", PaymentHash: strings.ReplaceAll(v.newIDLocked()+v.newIDLocked(), "-", ""),
		Created: now, Updated: now, Expires: now.Add(expiry)}
	v.invoices = append(v.invoices, in)
	ic := *in
	v.emitLocked(now, func(h EventHeader) Event { return InvoiceChanged{h, ic} })
	return ic, nil
}

// Invoices lists the issued invoices.
func (v *Venue) Invoices() []Invoice {
	v.begin()
	defer v.mu.Unlock()
	out := make([]Invoice, len(v.invoices))
	for i, in := range v.invoices {
		out[i] = *in
	}
	return out
}

// PayInvoice pays an open invoice from outside, crediting its amount in
// BTC: a test hook. ErrExpired after its expiry, ErrConflict when closed.
func (v *Venue) PayInvoice(id string) (Transaction, error) {
	now := v.begin()
	defer v.mu.Unlock()
	for _, in := range v.invoices {
		if in.ID != id {
			continue
		}
		if in.Status != "OPEN" {
			return Transaction{}, conflict("invoice %s is %s", id, in.Status)
		}
		if !now.Before(in.Expires) {
			return Transaction{}, expired("id", "invoice expired")
		}
		in.Status, in.Updated = "CLOSED", now
		ic := *in
		v.emitLocked(now, func(h EventHeader) Event { return InvoiceChanged{h, ic} })
		return v.creditLocked(now, "BTC", in.AmountBTC, in.ID, &Account{Address: in.PaymentRequest}), nil
	}
	return Transaction{}, notFound("invoice", id)
}

// WithdrawLightning pays a Lightning payment request from the BTC
// balance. The amount comes from the request's BOLT11 prefix; a request
// without an amount is refused. The payment is recorded as an instant
// Withdrawal on network "Lightning" (findable by clientID) and counts as
// an execution of clientID. Lightning payments are not deduplicated: the
// documentation does not tag the endpoint idempotent.
func (v *Venue) WithdrawLightning(paymentRequest, clientID string) (LightningPayment, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if paymentRequest == "" {
		return LightningPayment{}, missing("paymentRequestHash")
	}
	amount, err := parseBolt11Amount(paymentRequest)
	if err != nil {
		return LightningPayment{}, err
	}
	w, err := v.withdrawLocked(now, WithdrawalRequest{Asset: "BTC", Amount: amount, Address: paymentRequest,
		Network: "Lightning", Instant: true, ClientID: clientID}, "lightning payment")
	if err != nil {
		return LightningPayment{}, err
	}
	v.appliedLocked(now, "", clientID, nil)
	return LightningPayment{ID: w.ID, Status: "OPEN", AmountBTC: amount, DestinationPublicKey: "02" + strings.Repeat("5e", 32)}, nil
}

var bolt11Units = []struct {
	suffix string
	exp    int32
}{{"", 0}, {"m", -3}, {"u", -6}, {"n", -9}, {"p", -12}}

// bolt11Amount encodes a BTC amount as a BOLT11 human-readable amount:
// the shortest integer with a multiplier.
func bolt11Amount(btc decimal.Decimal) (string, error) {
	if !btc.IsPositive() {
		return "", invalid("amountBtc", "amountBtc must be positive")
	}
	for _, u := range bolt11Units {
		n := btc.Shift(-u.exp)
		if n.Equal(n.Truncate(0)) && (u.suffix != "p" || n.Mod(decimal.NewFromInt(10)).IsZero()) {
			return n.String() + u.suffix, nil
		}
	}
	return "", invalid("amountBtc", "amountBtc %s is finer than a millisatoshi", btc)
}

// parseBolt11Amount reads the amount of a BOLT11 payment request: ln, the
// currency (bc mainnet, tb testnet, tbs signet, bcrt regtest), the amount
// and its multiplier, then the last "1" separator. A pico-bitcoin amount
// must end in 0 (BOLT11: it is a whole millisatoshi).
func parseBolt11Amount(pr string) (decimal.Decimal, error) {
	bad := func() (decimal.Decimal, error) {
		return decimal.Zero, invalid("paymentRequestHash", "not a Lightning payment request with an amount")
	}
	s := strings.ToLower(pr)
	sep := strings.LastIndexByte(s, '1')
	if !strings.HasPrefix(s, "ln") || sep < 0 {
		return bad()
	}
	hrp := s[2:sep]
	for _, cur := range []string{"bcrt", "bc", "tbs", "tb"} {
		if strings.HasPrefix(hrp, cur) {
			hrp = hrp[len(cur):]
			break
		}
	}
	if hrp == "" {
		return bad()
	}
	for _, u := range bolt11Units[1:] {
		if strings.HasSuffix(hrp, u.suffix) {
			if u.suffix == "p" && !strings.HasSuffix(hrp, "0p") {
				return bad()
			}
			return parseAmountDigits(hrp[:len(hrp)-1], u.exp, bad)
		}
	}
	return parseAmountDigits(hrp, 0, bad)
}

func parseAmountDigits(digits string, exp int32, bad func() (decimal.Decimal, error)) (decimal.Decimal, error) {
	if digits == "" || len(digits) > 20 || strings.TrimLeft(digits, "0123456789") != "" || digits[0] == '0' {
		return bad()
	}
	n, err := decimal.NewFromString(digits)
	if err != nil {
		return bad()
	}
	return n.Shift(exp), nil
}

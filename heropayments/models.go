package heropayments

import (
	"fmt"
	"net/url"
	"strings"
)

// SequenceOriginal is the sequence of the first payment of an
// externalOrderId. Further payments to the same deposit address keep the
// externalOrderId and get a new unique sequence.
const SequenceOriginal = "original"

// Payment is a deposit or withdrawal as the status endpoints and the
// callbacks describe it. Field names are assumptions where the document
// gives none (see the package documentation); unknown fields are ignored.
type Payment struct {
	ID              string `json:"id"`
	ExternalOrderID string `json:"externalOrderId"`
	// Sequence is "original" (or empty) for the first payment, a new
	// unique id for each further payment to the same address.
	Sequence   string `json:"sequence"`
	Type       Kind   `json:"type"`
	Status     Status `json:"status"`
	CustomerID string `json:"customerId"`
	Currency   string `json:"currency"`
	Network    string `json:"network,omitempty"`
	// Amount is the amount asked for (a deposit's may be zero: optional).
	Amount Amount `json:"amount"`
	// PaidAmount is what the customer actually sent, for a deposit.
	PaidAmount Amount `json:"paidAmount"`
	// MerchantAmount is the USDT credited to (deposit) or debited from
	// (withdrawal) the merchant balance.
	MerchantAmount Amount `json:"merchantAmount"`
	PayAddress     string `json:"payAddress,omitempty"` // deposit address
	Address        string `json:"address,omitempty"`    // withdrawal destination
	TxHash         string `json:"txHash,omitempty"`
	// Times as sent (RFC 3339 in the simulator); kept as text so that an
	// unexpected format never loses the payment.
	CreatedAt string `json:"createdAt,omitempty"`
	UpdatedAt string `json:"updatedAt,omitempty"`
	ExpiresAt string `json:"expiresAt,omitempty"`
}

// Key returns the payment's idempotency key.
func (p Payment) Key() PaymentKey {
	return PaymentKey{ExternalOrderID: p.ExternalOrderID, Sequence: p.Sequence}.normal()
}

// PaymentKey identifies one payment: our externalOrderId and Heropayments'
// sequence. An empty Sequence means SequenceOriginal.
type PaymentKey struct {
	ExternalOrderID string
	Sequence        string
}

func (k PaymentKey) normal() PaymentKey {
	if k.Sequence == "" {
		k.Sequence = SequenceOriginal
	}
	return k
}

// String is the key as one string, each part path-escaped and joined by
// "/", so no two keys collide.
func (k PaymentKey) String() string {
	k = k.normal()
	return url.PathEscape(k.ExternalOrderID) + "/" + url.PathEscape(k.Sequence)
}

// DepositRequest creates a deposit: an address the customer pays to.
type DepositRequest struct {
	// ExternalOrderID is our unique id for the deposit; required.
	ExternalOrderID string `json:"externalOrderId"`
	// CustomerID identifies the customer; required (addresses are static
	// per customer where the account is set up for it).
	CustomerID string `json:"customerId"`
	// Currency the customer pays in ("BTC", "USDT", …); required.
	Currency string `json:"currency"`
	Network  string `json:"network,omitempty"`
	// Amount is optional (the document: "transaction amount is optional");
	// zero is not sent.
	Amount *Amount `json:"amount,omitempty"`
	// CallbackURL receives the status callbacks; optional.
	CallbackURL string `json:"callbackUrl,omitempty"`
}

func (r DepositRequest) check() error {
	if err := checkID("externalOrderId", r.ExternalOrderID); err != nil {
		return err
	}
	if r.CustomerID == "" || r.Currency == "" {
		return fmt.Errorf("%w: a deposit needs customerId and currency", ErrInvalidInput)
	}
	if r.Amount != nil && !r.Amount.IsPositive() {
		return fmt.Errorf("%w: deposit amount %s must be positive", ErrInvalidInput, r.Amount)
	}
	if r.Amount != nil {
		if _, err := JSNumber(r.Amount.Decimal); err != nil {
			return err
		}
	}
	return checkCallbackURL(r.CallbackURL)
}

// WithdrawalRequest pays out to an address.
type WithdrawalRequest struct {
	// ExternalOrderID is our unique id for the withdrawal, recorded before
	// sending; the lookup key after an unknown outcome. Required.
	ExternalOrderID string `json:"externalOrderId"`
	CustomerID      string `json:"customerId"`
	Currency        string `json:"currency"`
	Network         string `json:"network,omitempty"`
	// Amount in Currency; must be positive and exact in JavaScript.
	Amount      Amount `json:"amount"`
	Address     string `json:"address"`
	CallbackURL string `json:"callbackUrl,omitempty"`
}

func (r WithdrawalRequest) check() error {
	if err := checkID("externalOrderId", r.ExternalOrderID); err != nil {
		return err
	}
	if r.CustomerID == "" || r.Currency == "" || r.Address == "" {
		return fmt.Errorf("%w: a withdrawal needs customerId, currency and address", ErrInvalidInput)
	}
	if !r.Amount.IsPositive() {
		return fmt.Errorf("%w: withdrawal amount %s must be positive", ErrInvalidInput, r.Amount)
	}
	if _, err := JSNumber(r.Amount.Decimal); err != nil {
		return err
	}
	return checkCallbackURL(r.CallbackURL)
}

// EstimateRequest asks how much To an Amount of From is worth.
type EstimateRequest struct {
	From   string
	To     string
	Amount Amount
}

// Estimate is the answer of the estimated-price endpoint.
type Estimate struct {
	From            string `json:"currencyFrom"`
	To              string `json:"currencyTo"`
	Amount          Amount `json:"amount"`
	EstimatedAmount Amount `json:"estimatedAmount"`
}

// MinAmount is the smallest payment Heropayments processes for a currency.
type MinAmount struct {
	Currency  string `json:"currency"`
	MinAmount Amount `json:"minAmount"`
}

// Balance is the merchant's balance in one currency (deposits accumulate
// in USDT).
type Balance struct {
	Currency string `json:"currency"`
	Amount   Amount `json:"amount"`
}

// Ref selects a payment for a status check: by Heropayments' ID, or by our
// ExternalOrderID and optionally Sequence (empty: the original payment).
type Ref struct {
	ID              string
	ExternalOrderID string
	Sequence        string
}

func (r Ref) query() (url.Values, error) {
	q := url.Values{}
	switch {
	case r.ID != "" && r.ExternalOrderID == "":
		q.Set("id", r.ID)
	case r.ID == "" && r.ExternalOrderID != "":
		q.Set("externalOrderId", r.ExternalOrderID)
		if r.Sequence != "" {
			q.Set("sequence", r.Sequence)
		}
	default:
		return nil, fmt.Errorf("%w: look a payment up by ID or by ExternalOrderID, not both or neither", ErrInvalidInput)
	}
	return q, nil
}

// maxID bounds our ids; printable ASCII only, so they are safe in
// queries, logs and ledger keys.
const maxID = 64

func checkID(name, id string) error {
	if id == "" || len(id) > maxID {
		return fmt.Errorf("%w: %s must have 1 to %d characters", ErrInvalidInput, name, maxID)
	}
	if strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return fmt.Errorf("%w: %s %q may hold only printable ASCII without spaces", ErrInvalidInput, name, id)
	}
	return nil
}

func checkCallbackURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: callbackUrl must be an absolute http(s) URL without credentials", ErrInvalidInput)
	}
	return nil
}

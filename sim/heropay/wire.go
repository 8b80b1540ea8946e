package heropay

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/shopspring/decimal"
)

// The simulator's wire shapes. The document names few fields
// (externalOrderId, sequence, payAddress, callbackUrl, customerId and the
// statuses); the rest are readings of the method titles, and the client
// must read the same names for the two to talk: a disagreement shows up as
// a failing test, not as a shared definition.

// number is an amount on the wire: a JSON number, written from the
// decimal's text (the callback body then takes JavaScript's spelling of it
// through stringify) and read from its text, never through float64.
type number struct{ d decimal.Decimal }

func (n number) MarshalJSON() ([]byte, error) { return []byte(n.d.String()), nil }

func (n *number) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] == '"' || len(b) > 64 {
		return errors.New("amount is not a JSON number")
	}
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return errors.New("amount is not a JSON number")
	}
	n.d = d
	return nil
}

// paymentWire is a payment as status answers and callbacks carry it.
type paymentWire struct {
	ID              string  `json:"id"`
	ExternalOrderID string  `json:"externalOrderId"`
	Sequence        string  `json:"sequence"`
	Type            Kind    `json:"type"`
	Status          Status  `json:"status"`
	CustomerID      string  `json:"customerId"`
	Currency        string  `json:"currency"`
	Amount          *number `json:"amount,omitempty"`
	PaidAmount      *number `json:"paidAmount,omitempty"`
	MerchantAmount  number  `json:"merchantAmount"`
	PayAddress      string  `json:"payAddress,omitempty"`
	Address         string  `json:"address,omitempty"`
	CreatedAt       string  `json:"createdAt"`
	UpdatedAt       string  `json:"updatedAt"`
	ExpiresAt       string  `json:"expiresAt,omitempty"`
}

func (p Payment) wire() paymentWire {
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	w := paymentWire{ID: p.ID, ExternalOrderID: p.ExternalOrderID, Sequence: p.Sequence, Type: p.Type,
		Status: p.Status, CustomerID: p.CustomerID, Currency: p.Currency, MerchantAmount: number{p.MerchantAmount},
		PayAddress: p.PayAddress, Address: p.Address, CreatedAt: stamp(p.CreatedAt), UpdatedAt: stamp(p.UpdatedAt)}
	if !p.Amount.IsZero() {
		w.Amount = &number{p.Amount}
	}
	if !p.PaidAmount.IsZero() {
		w.PaidAmount = &number{p.PaidAmount}
	}
	if p.Type == KindDeposit {
		w.ExpiresAt = stamp(p.ExpiresAt)
	}
	return w
}

// createWire is the body of every create request, deposit or withdrawal.
type createWire struct {
	ExternalOrderID string  `json:"externalOrderId"`
	CustomerID      string  `json:"customerId"`
	Currency        string  `json:"currency"`
	Amount          *number `json:"amount"`
	Address         string  `json:"address"`
	CallbackURL     string  `json:"callbackUrl"`
}

// errorWire is every error answer: the document links its error list
// without a body format, so this one is the simulator's choice.
type errorWire struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// answer is a handler's result: an HTTP status and the value to send.
type answer struct {
	status int
	body   any
}

func fail(status int, code, msg string) answer {
	var e errorWire
	e.Error.Code, e.Error.Message = code, msg
	return answer{status, e}
}

// encodeJS encodes v as JSON.stringify would send it: encoding/json's
// text, then stringify's spelling of numbers and strings (no HTML
// escaping, U+2028 as it is), so what is signed is what is sent.
func encodeJS(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return stringify(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

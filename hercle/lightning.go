package hercle

import (
	"context"
	"encoding/json"
	"fmt"
)

// InvoiceRequest creates a Lightning invoice (POST /api/v1/invoices).
type InvoiceRequest struct {
	AmountBtc   Number `json:"amountBtc"`   // in BTC
	ExpiryHours int    `json:"expiryHours"` // 1 to MaxInvoiceExpiryHours
	Memo        string `json:"memo,omitempty"`
}

// MaxInvoiceExpiryHours is the longest invoice lifetime (one month).
const MaxInvoiceExpiryHours = 720

// Invoice is a created invoice.
type Invoice struct {
	ID                    string `json:"id"`
	EncodedPaymentRequest string `json:"encodedPaymentRequest"` // BOLT11, "lnbc…"
	ExpiresAt             Time   `json:"expiresAt"`
}

// LightningInvoice is an invoice as GET /api/v1/invoices lists it. The
// nullable amounts are pointers: nil means the venue sent null.
type LightningInvoice struct {
	ID                                  string            `json:"id"`
	UserID                              string            `json:"userId"`
	Email                               string            `json:"email"`
	EncodedPaymentRequest               string            `json:"encodedPaymentRequest"`
	ExpiresAt                           Time              `json:"expiresAt"`
	Status                              string            `json:"status"` // OPEN, CLOSED (hub page)
	CreatedAt                           Time              `json:"createdAt"`
	UpdatedAt                           Time              `json:"updatedAt"`
	Memo                                string            `json:"memo"`
	PaymentHash                         string            `json:"paymentHash"`
	PaymentPreimage                     string            `json:"paymentPreimage"`
	NodeID                              string            `json:"nodeId"`
	InvoiceType                         string            `json:"invoiceType"`
	ExpirySecs                          *int64            `json:"expirySecs"`
	Metadata                            string            `json:"metadata"`
	UmaPostTransactionData              string            `json:"umaPostTransactionData"`
	BitcoinNetwork                      string            `json:"bitcoinNetwork"`
	AmountOriginalValue                 *Number           `json:"amountOriginalValue"`
	AmountOriginalUnit                  string            `json:"amountOriginalUnit"`
	AmountPreferredCurrencyUnit         string            `json:"amountPreferredCurrencyUnit"`
	AmountPreferredCurrencyValueRounded *Number           `json:"amountPreferredCurrencyValueRounded"`
	AmountPreferredCurrencyValueApprox  *Number           `json:"amountPreferredCurrencyValueApprox"`
	DomainEvents                        []json.RawMessage `json:"domainEvents"` // schema not documented: kept verbatim
}

// LightningWithdrawalRequest pays a Lightning payment request
// (POST /api/v1/lightning/withdrawals).
type LightningWithdrawalRequest struct {
	// PaymentRequestHash is, despite its name, the encoded payment request
	// ("lnbc…") to pay.
	PaymentRequestHash string `json:"paymentRequestHash"`
}

// LightningPayment is a Lightning withdrawal. Note "amountBTC" here and
// "amountBtc" in InvoiceRequest, as the docs spell them.
type LightningPayment struct {
	PaymentID            string `json:"paymentId"`
	Status               string `json:"status"` // OPEN, CLOSED
	AmountBTC            Number `json:"amountBTC"`
	DestinationPublicKey string `json:"destinationPublicKey"`
}

// CreateInvoice creates a Lightning invoice to receive BTC.
func (c *Client) CreateInvoice(ctx context.Context, req InvoiceRequest) (Invoice, error) {
	var out Invoice
	if err := checkAmount("invoice amount", req.AmountBtc); err != nil {
		return out, err
	}
	if req.ExpiryHours < 1 || req.ExpiryHours > MaxInvoiceExpiryHours {
		return out, fmt.Errorf("%w: invoice expiry %dh outside 1..%d", ErrInvalidInput, req.ExpiryHours, MaxInvoiceExpiryHours)
	}
	return out, c.do(ctx, request{route: routeCreateInvoice, body: req}, &out)
}

// Invoices lists the account's Lightning invoices.
func (c *Client) Invoices(ctx context.Context) ([]LightningInvoice, error) {
	var out struct {
		Invoices []LightningInvoice `json:"invoices"`
	}
	err := c.do(ctx, request{route: routeInvoices}, &out)
	return out.Invoices, err
}

// WithdrawLightning pays a Lightning payment request under clientID (a new
// UUID when empty) and returns the payment and the Client-Id used — also
// on error. The docs do not tag this endpoint idempotent; the Client-Id is
// sent anyway so the payment can be traced, and an error wrapping
// ErrOutcomeUnknown means the payment may have gone out: check balances
// and the transaction history before paying again.
func (c *Client) WithdrawLightning(ctx context.Context, req LightningWithdrawalRequest, clientID string) (LightningPayment, string, error) {
	var out LightningPayment
	id, err := useClientID(clientID)
	if err != nil {
		return out, clientID, err
	}
	if req.PaymentRequestHash == "" {
		return out, id, fmt.Errorf("%w: Lightning withdrawal needs a payment request", ErrInvalidInput)
	}
	return out, id, c.do(ctx, request{route: routeLightningWithdraw, body: req, clientID: id}, &out)
}

package hercle

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// PayeeRequest registers a bank-transfer beneficiary (POST /api/v1/payee).
type PayeeRequest struct {
	Type       PayeeType `json:"type"`
	Name       string    `json:"name"`
	EndUserID  string    `json:"endUserId"` // "" when none, as the docs example sends
	Surname    string    `json:"surname"`
	Company    string    `json:"company"`
	Country    string    `json:"country"` // ISO 3166-1 alpha-2
	State      string    `json:"state"`
	City       string    `json:"city"`
	Address    string    `json:"address"`
	PostalCode string    `json:"postalCode"`
}

// Payee is a registered beneficiary. Disabled, Deleted and CreatedAt are
// in listings only.
type Payee struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId"`
	EndUserID  string    `json:"endUserId"`
	Type       PayeeType `json:"type"`
	Name       string    `json:"name"`
	Surname    string    `json:"surname"`
	Company    string    `json:"company"` // string or null
	Country    string    `json:"country"`
	State      string    `json:"state"`
	City       string    `json:"city"`
	Address    string    `json:"address"`
	PostalCode string    `json:"postalCode"`
	Disabled   bool      `json:"disabled"`
	Deleted    bool      `json:"deleted"`
	CreatedAt  Time      `json:"createdAt,omitzero"`
}

// PayeeAddressRequest adds a payment address to a payee
// (POST /api/v1/payees/{payeeId}/addresses). The keys AddressParams needs
// depend on asset and network: bic for EUR Sepa, sortcode for GBP Faster
// Payments, accountnumber/aba/… for USD wires and ACH. The page types
// addressParams as "array" but lists keys; it is sent as an object. The
// page is cut before saying whether network is a body field; it is sent
// when set.
type PayeeAddressRequest struct {
	Name          string `json:"name"`
	Asset         string `json:"asset"`
	Address       string `json:"address"`
	AddressParams Params `json:"addressParams"`
	Network       string `json:"network,omitempty"`
}

// PayeeAddress is a payee's payment address.
type PayeeAddress struct {
	ID            string             `json:"id"`
	PayeeID       string             `json:"payeeId"`
	Name          string             `json:"name"`
	Asset         string             `json:"asset"`
	Address       string             `json:"address"`
	AddressParams Params             `json:"addressParams"`
	Network       string             `json:"network"`
	Status        PayeeAddressStatus `json:"status"`
	Comment       string             `json:"comment"`
	AuditBy       string             `json:"auditBy"`
	AuditDate     Time               `json:"auditDate"`
	Deleted       bool               `json:"deleted"`
	CreatedAt     Time               `json:"createdAt"`
}

// TransferRequest moves funds from an internal address to a payee address
// (POST /api/v1/transfer).
type TransferRequest struct {
	Asset             string `json:"asset"`
	Amount            Number `json:"amount"`
	InternalAddressID string `json:"internalAddressId"`
	PayeeAddressID    string `json:"payeeAddressId"`
	Description       string `json:"description"` // at most 250 characters
}

// TransferReceipt is the venue's answer to CreateTransfer.
type TransferReceipt struct {
	ID                string `json:"id"`
	Asset             string `json:"asset"`
	Amount            Number `json:"amount"`
	InternalAddressID string `json:"internalAddressId"`
	PayeeAddressID    string `json:"payeeAddressId"`
	Description       string `json:"description"` // string or null
}

// AccountDetails is the debtor or creditor of a transfer or ledger
// transaction: the union of the docs' Banking Account Object (fiat) and
// Crypto Account Object; fields of the other kind stay empty.
type AccountDetails struct {
	// Banking account.
	BankName           string       `json:"bankName,omitempty"`
	BankAddressCountry string       `json:"bankAddressCountry,omitempty"`
	AccountHolderName  string       `json:"accountHolderName,omitempty"`
	Country            string       `json:"country,omitempty"`
	AccountNumber      string       `json:"accountNumber,omitempty"`
	RoutingCodes       RoutingCodes `json:"routingCodes,omitempty"`
	IBAN               string       `json:"iban,omitempty"`
	BIC                string       `json:"bic,omitempty"`
	// Crypto account.
	Address       string `json:"address,omitempty"`
	AddressParams Params `json:"addressParams,omitempty"`
	TxHash        string `json:"txHash,omitempty"`
	Network       string `json:"network,omitempty"`
}

// Transfer is a bank transfer record. The REST page's Transfer Object lies
// beyond the stored excerpt; the fields are the hub's GetTransfersPaginated
// page's, whose exchangeInfo schema is not documented (kept verbatim).
type Transfer struct {
	ID           string          `json:"id"`
	UserID       string          `json:"userId"`
	ClientID     string          `json:"clientId"`
	Description  string          `json:"description"`
	Debtor       *AccountDetails `json:"debtor"`
	Creditor     *AccountDetails `json:"creditor"`
	ExchangeInfo json.RawMessage `json:"exchangeInfo,omitempty"`
	Status       MovementStatus  `json:"status"`
	RefID        string          `json:"refId"`
	Payload      string          `json:"payload"`
	IsInstant    bool            `json:"isInstant"`
	Timestamp    Time            `json:"timestamp"`
}

// TransferQuery selects transfers. StartDate and EndDate are required; a
// range over 30 days is split into windows. Empty filters are not sent.
type TransferQuery struct {
	StartDate, EndDate time.Time
	PageSize           int    // 5 to 50; zero means 50
	Token              string // resume from a paginationToken
	TransferClientID   string // the Client-Id CreateTransfer sent
	Asset              string
	CreditorAddress    string
	DebtorAddress      string
	CreditorAsset      string
	DebtorAsset        string
	CreditorNetwork    string
	DebtorNetwork      string
	Status             *int // numeric status filter, as the page types it
	RefID              string
}

// LedgerTransaction is one transaction with its banking details
// (GET /api/v1/transactions/{transactionId}).
type LedgerTransaction struct {
	ID          string          `json:"id"`
	RefID       string          `json:"refId"`
	UserID      string          `json:"userId"`
	Type        string          `json:"type"` // DEPOSIT, WITHDRAWAL, TRADE_FEE
	Status      MovementStatus  `json:"status"`
	Description string          `json:"description"`
	Asset       string          `json:"asset"`
	Amount      Number          `json:"amount"`
	Debtor      *AccountDetails `json:"debtor"`
	Creditor    *AccountDetails `json:"creditor"`
	Timestamp   Time            `json:"timestamp"`
}

// PayInRequest simulates an incoming bank transfer (POST /api/v1/simulate-payin).
type PayInRequest struct {
	Amount        Number      `json:"amount"`
	ToAddress     string      `json:"toAddress"` // "fac_…" or "vac_…"
	From          PayInSender `json:"from"`
	FromType      string      `json:"fromType"`      // PERSON
	PaymentScheme string      `json:"paymentScheme"` // SCT (EUR); FPS or CHAPS (GBP)
	Reference     string      `json:"reference"`
}

// PayInSender is the simulated sender: IBAN for EUR, account number and
// routing codes for GBP.
type PayInSender struct {
	AccountHolderName string       `json:"accountHolderName,omitempty"`
	IBAN              string       `json:"iban,omitempty"`
	AccountNumber     string       `json:"accountNumber,omitempty"`
	RoutingCodes      RoutingCodes `json:"routingCodes,omitempty"`
}

// PayIn is the simulated pay-in.
type PayIn struct {
	Amount         Number `json:"amount"`
	DepositAddress string `json:"depositAddress"`
}

// RegisterPayee registers a payee.
func (c *Client) RegisterPayee(ctx context.Context, req PayeeRequest) (Payee, error) {
	var out Payee
	return out, c.do(ctx, request{route: routeRegisterPayee, body: req}, &out)
}

// Payees iterates the payees; a From–To range over 30 days is split.
func (c *Client) Payees(ctx context.Context, q CursorQuery) iter.Seq2[Payee, error] {
	return cursorPages[Payee](ctx, c, routePayees, nil, nil, cursorSpec{fromKey: "from", toKey: "to", limit: window30Days}, q)
}

// RegisterPayeeAddress adds a payment address to a payee.
func (c *Client) RegisterPayeeAddress(ctx context.Context, payeeID string, req PayeeAddressRequest) (PayeeAddress, error) {
	var out PayeeAddress
	return out, c.do(ctx, request{route: routeRegisterPayeeAddr, args: []string{payeeID}, body: req}, &out)
}

// PayeeAddresses iterates a payee's addresses; a From–To range over 30
// days is split.
func (c *Client) PayeeAddresses(ctx context.Context, payeeID string, q CursorQuery) iter.Seq2[PayeeAddress, error] {
	if payeeID == "" {
		return func(yield func(PayeeAddress, error) bool) {
			yield(PayeeAddress{}, fmt.Errorf("%w: payee addresses need a payee id", ErrInvalidInput))
		}
	}
	return cursorPages[PayeeAddress](ctx, c, routePayeeAddresses, nil, url.Values{"payeeId": {payeeID}}, cursorSpec{fromKey: "from", toKey: "to", limit: window30Days}, q)
}

// CreateTransfer sends a bank transfer under clientID (a new UUID when
// empty) and returns the receipt and the Client-Id used — also on error.
// After an error wrapping ErrOutcomeUnknown, look it up with Transfers
// (TransferClientID) before sending again.
func (c *Client) CreateTransfer(ctx context.Context, req TransferRequest, clientID string) (TransferReceipt, string, error) {
	var out TransferReceipt
	id, err := useClientID(clientID)
	if err != nil {
		return out, clientID, err
	}
	if req.Asset == "" || req.InternalAddressID == "" || req.PayeeAddressID == "" {
		return out, id, fmt.Errorf("%w: transfer needs asset, internal address and payee address", ErrInvalidInput)
	}
	if len([]rune(req.Description)) > 250 {
		return out, id, fmt.Errorf("%w: transfer description longer than 250 characters", ErrInvalidInput)
	}
	if err := checkAmount("transfer amount", req.Amount); err != nil {
		return out, id, err
	}
	return out, id, c.do(ctx, request{route: routeCreateTransfer, body: req, clientID: id}, &out)
}

// Transfers iterates the transfers matching q.
func (c *Client) Transfers(ctx context.Context, q TransferQuery) iter.Seq2[Transfer, error] {
	base := url.Values{}
	set := func(k, v string) {
		if v != "" {
			base.Set(k, v)
		}
	}
	set("transferClientId", q.TransferClientID)
	set("asset", q.Asset)
	set("creditorAddress", q.CreditorAddress)
	set("debtorAddress", q.DebtorAddress)
	set("creditorAsset", q.CreditorAsset)
	set("debtorAsset", q.DebtorAsset)
	set("creditorNetwork", q.CreditorNetwork)
	set("debtorNetwork", q.DebtorNetwork)
	set("refId", q.RefID)
	if q.Status != nil {
		base.Set("status", strconv.Itoa(*q.Status))
	}
	spec := cursorSpec{fromKey: "startDate", toKey: "endDate", limit: window30Days, required: true}
	cq := CursorQuery{PageSize: q.PageSize, From: q.StartDate, To: q.EndDate, Token: q.Token}
	return cursorPages[Transfer](ctx, c, routeTransfers, nil, base, spec, cq)
}

// TransactionLedger returns one transaction with its banking details.
func (c *Client) TransactionLedger(ctx context.Context, transactionID string) (LedgerTransaction, error) {
	var out LedgerTransaction
	return out, c.do(ctx, request{route: routeTransactionLedger, args: []string{transactionID}}, &out)
}

// SimulatePayIn simulates an incoming bank transfer (Sandbox only).
func (c *Client) SimulatePayIn(ctx context.Context, req PayInRequest) (PayIn, error) {
	var out PayIn
	if err := checkAmount("pay-in amount", req.Amount); err != nil {
		return out, err
	}
	return out, c.do(ctx, request{route: routeSimulatePayIn, body: req}, &out)
}

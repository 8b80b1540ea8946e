package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/otcdesk/engine/hercle"
)

// Hub channels: the client-method names the hub invokes on the client.
const (
	ChannelExecutionEvents = "executionEvents" // command replies and errors
	ChannelSubscriptions   = "subscriptions"   // price feed
)

// Subjects of the hub's envelopes, as documented. A reply to a command
// carries the command's ClientId; errors use SubjectPreChecksError or a
// subject ending in ".error" instead of the success subject.
const (
	SubjectPriceUpdate                = "execution.feeds.priceUpdate"
	SubjectPairs                      = "execution.pairs"
	SubjectPairPrice                  = "execution.pair.price"
	SubjectOrderExecuted              = "execution.order.executed"
	SubjectRFQCreated                 = "account.requestForQuote.created"
	SubjectOrdersSnapshot             = "account.orders.snapshot"
	SubjectTradesSnapshot             = "account.trades.snapshot"
	SubjectTransactionsSnapshot       = "account.transactions.snapshot"
	SubjectBalancesSnapshot           = "account.balances.snapshot"
	SubjectWithdrawCreated            = "account.withdraw.created"
	SubjectWithdrawalsSnapshot        = "account.withdrawals.snapshot"
	SubjectAddressRegistered          = "account.address.registered"
	SubjectExternalAddressesSnapshot  = "account.externalAddresses.snapshot"
	SubjectInternalAddressCreated     = "account.internalAddress.created"
	SubjectInternalAddressesSnapshot  = "account.internalAddresses.snapshot"
	SubjectTransferCreated            = "banking.transfer.created"
	SubjectTransfersSnapshot          = "banking.transfers.snapshot"
	SubjectLedgerDetails              = "ledger.transaction.details"
	SubjectPayeeRegistered            = "banking.payee.registered"
	SubjectPayeeAddressRegistered     = "banking.payee.address.registered"
	SubjectPayeesSnapshot             = "banking.payees.snapshot"
	SubjectPayeeAddressesSnapshot     = "banking.payee.addresses.snapshot"
	SubjectInvoiceCreated             = "execution.invoice.created"
	SubjectInvoicesSnapshot           = "lightspark.invoices.snapshot"
	SubjectLightningWithdrawalCreated = "execution.withdrawal.lightspark.created"
	SubjectPreChecksError             = "preChecksError"
	errorSubjectSuffix                = ".error"
)

// IsErrorSubject reports whether subject signals a failed command:
// preChecksError or any subject ending in ".error".
func IsErrorSubject(subject string) bool {
	return subject == SubjectPreChecksError || strings.HasSuffix(subject, errorSubjectSuffix)
}

// Event is one decoded hub message.
//
// Data holds the typed payload chosen by Subject:
//
//	execution.feeds.priceUpdate              PriceUpdate
//	execution.pairs                          []Pair
//	execution.pair.price                     SizeQuote
//	execution.order.executed                 Execution (Status 0 Created, 1 Executed, 2 Cancelled, 3 Pending; StatusError)
//	account.requestForQuote.created          RFQ
//	account.orders.snapshot                  []Order
//	account.trades.snapshot                  []Trade
//	account.transactions.snapshot            []Transaction
//	account.balances.snapshot                Balances
//	account.withdraw.created                 Withdrawal
//	account.withdrawals.snapshot             []Withdrawal
//	account.address.registered               AddressResult
//	account.externalAddresses.snapshot       []WhitelistedAddress
//	account.internalAddress.created          DepositAddress
//	account.internalAddresses.snapshot       []DepositAddress
//	banking.transfer.created                 TransferReceipt
//	banking.transfers.snapshot               []Transfer
//	ledger.transaction.details               LedgerTransaction
//	banking.payee.registered                 Payee
//	banking.payee.address.registered         PayeeAddress
//	banking.payees.snapshot                  []Payee
//	banking.payee.addresses.snapshot         []PayeeAddress
//	execution.invoice.created                Invoice
//	lightspark.invoices.snapshot             []LightningInvoice
//	execution.withdrawal.lightspark.created  LightningPayment
//	preChecksError, *.error                  *Error
//
// Snapshot subjects accept a single object where a list is documented, and
// Balances accepts a one-element list (the REST shape), so either reading
// of the docs decodes. Raw keeps the payload's JSON text (unwrapped when the
// venue sent it as a string) for logging and for fields not modelled.
type Event struct {
	Channel  string
	Topic    string
	Subject  string
	Type     string
	ClientID string
	Data     any
	Raw      json.RawMessage
	// DataWasString reports that the venue sent data as a JSON string
	// holding JSON, as the errors page and the guide show.
	DataWasString bool
}

// PriceUpdate is one execution.feeds.priceUpdate: the prices at which the
// account can buy and sell Size of Pair until the quote expires. ID is the
// PriceId for PlaceOtcOrder.
type PriceUpdate struct {
	ID        string        `json:"id"`
	Pair      string        `json:"pair"`
	Size      hercle.Number `json:"size"`
	BuyPrice  hercle.Number `json:"buyPrice"`
	SellPrice hercle.Number `json:"sellPrice"`
	MarkPrice hercle.Number `json:"markPrice"`
	Timestamp hercle.Time   `json:"timestamp"`
}

// Error is the payload of preChecksError and *.error envelopes: a command
// the hub refused. Message holds data.message, or the whole data when the
// venue sent a bare text; StatusError holds data.statusError.
type Error struct {
	Subject     string
	ClientID    string
	Message     string
	StatusError string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.StatusError
	}
	return fmt.Sprintf("hercle: hub %s for client id %q: %s", e.Subject, e.ClientID, redactSnippet(msg))
}

// redactSnippet bounds text echoed from the venue in errors.
func redactSnippet(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// Decoding failures, counted by reason in engine_hercle_hub_decode_errors_total.
var (
	// ErrMalformed: the envelope is not a JSON object (or a string holding one).
	ErrMalformed = errors.New("hercle: malformed hub envelope")
	// ErrBadData: data is a string that does not hold JSON where a payload is required.
	ErrBadData = errors.New("hercle: hub data is not JSON")
	// ErrWrongType: data does not fit the subject's documented shape.
	ErrWrongType = errors.New("hercle: hub data has the wrong type for its subject")
	// ErrUnknownSubject: a subject this package does not know; the event is
	// still returned, with Data set to its raw JSON.
	ErrUnknownSubject = errors.New("hercle: unknown hub subject")
)

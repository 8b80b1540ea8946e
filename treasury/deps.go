package treasury

import (
	"context"
	"iter"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
)

// Venue is the part of the Hercle REST client treasury uses.
// *hercle.Client satisfies it. Money-moving methods are called at most once
// per Client-Id; after an error wrapping hercle.ErrOutcomeUnknown the
// movement is looked up (WithdrawalsByClientID, Transfers) before anything
// else is sent.
type Venue interface {
	Balances(ctx context.Context) (hercle.Balances, error)
	WhitelistedAddresses(ctx context.Context) ([]hercle.WhitelistedAddress, error)
	Withdraw(ctx context.Context, req hercle.WithdrawalRequest, clientID string) (hercle.Withdrawal, string, error)
	WithdrawInstant(ctx context.Context, req hercle.WithdrawalRequest, clientID string) (hercle.Withdrawal, string, error)
	WithdrawWithAddressParams(ctx context.Context, req hercle.AddressParamsWithdrawalRequest, clientID string) (hercle.Withdrawal, string, error)
	WithdrawalsByClientID(ctx context.Context, clientID string) ([]hercle.Withdrawal, error)
	WithdrawLightning(ctx context.Context, req hercle.LightningWithdrawalRequest, clientID string) (hercle.LightningPayment, string, error)
	CreateInvoice(ctx context.Context, req hercle.InvoiceRequest) (hercle.Invoice, error)
	CreateTransfer(ctx context.Context, req hercle.TransferRequest, clientID string) (hercle.TransferReceipt, string, error)
	Transfers(ctx context.Context, q hercle.TransferQuery) iter.Seq2[hercle.Transfer, error]
	Payees(ctx context.Context, q hercle.CursorQuery) iter.Seq2[hercle.Payee, error]
	PayeeAddresses(ctx context.Context, payeeID string, q hercle.CursorQuery) iter.Seq2[hercle.PayeeAddress, error]
	RegisterPayee(ctx context.Context, req hercle.PayeeRequest) (hercle.Payee, error)
	RegisterPayeeAddress(ctx context.Context, payeeID string, req hercle.PayeeAddressRequest) (hercle.PayeeAddress, error)
	DepositAddresses(ctx context.Context) ([]hercle.DepositAddress, error)
	CreateDepositAddress(ctx context.Context, req hercle.DepositAddressRequest) (*hercle.DepositAddress, error)
	Transactions(ctx context.Context, q hercle.PageQuery) iter.Seq2[hercle.Transaction, error]
}

// Heropayments is the part of the Heropayments client a settlement uses.
// *heropayments.Client satisfies it. A withdrawal is created at most once
// per externalOrderId (the intent's Client-Id) and looked up by it after
// an unknown outcome.
type Heropayments interface {
	Balance(ctx context.Context, flow heropayments.Flow) (heropayments.Balance, error)
	CreateWithdrawal(ctx context.Context, flow heropayments.Flow, r heropayments.WithdrawalRequest, opt heropayments.WithdrawalOptions) (heropayments.Payment, error)
	PaymentStatus(ctx context.Context, flow heropayments.Flow, ref heropayments.Ref) (heropayments.Payment, error)
}

// Ledger is the part of the ledger treasury writes and reads.
// *ledger.Store satisfies it.
type Ledger interface {
	CreateIntent(ctx context.Context, in ledger.Intent) (ledger.Intent, bool, error)
	Transition(ctx context.Context, clientID string, to ledger.IntentState, d ledger.Detail) (ledger.Intent, error)
	Acknowledge(ctx context.Context, clientID, venueRef string) (ledger.Intent, error)
	Intent(ctx context.Context, clientID string) (ledger.Intent, error)
	Intents(ctx context.Context, st ledger.IntentState) ([]ledger.Intent, error)
	Unfinished(ctx context.Context) ([]ledger.Intent, error)
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, bool, error)
	Entry(ctx context.Context, key string) (ledger.Entry, error)
	Entries(ctx context.Context, f ledger.Filter) ([]ledger.Entry, error)
	Balance(ctx context.Context, a ledger.Account, asset market.Asset) (decimal.Decimal, error)
	AddCounter(ctx context.Context, k ledger.CounterKey, opID string, delta decimal.Decimal) (decimal.Decimal, bool, error)
	Counter(ctx context.Context, k ledger.CounterKey) (decimal.Decimal, error)
}

// Gate says whether money may move at a time. *scheduler.Gate satisfies it.
type Gate interface {
	Open(t time.Time) bool
}

// PayeeRegistry says whether a payee address is approved: the state the
// Payee.StatusUpdated webhooks left. *inbound.Registry satisfies it.
type PayeeRegistry interface {
	PayeeAddress(id string) (inbound.PayeeAddress, bool)
}

// Converter runs a trade through the execution path (ledger intent first,
// exactly once, fill posted by trade id). *execution.Executor satisfies it;
// the daemon may wrap it to run risk's checks first.
type Converter interface {
	Execute(ctx context.Context, in strategy.Intent) execution.Result
}

// InvoiceSource supplies a Lightning invoice for a payment to a named
// destination (an LNURL-pay endpoint, a wallet's API). The invoice must be
// for exactly amountBTC; treasury checks its amount and network prefix and
// refuses anything else.
type InvoiceSource interface {
	Invoice(ctx context.Context, destination string, amountBTC decimal.Decimal) (string, error)
}

// TransferRisk is risk's pre-transfer check. *risk.Engine satisfies it.
type TransferRisk interface {
	CheckTransfer(ctx context.Context, now time.Time, v strategy.View, t risk.Transfer) (risk.Approval, error)
	Release(ctx context.Context, a risk.Approval) error
}

// Deps are a Treasury's collaborators. Ledger and Hercle are required; the
// others are required only by the configuration that uses them, and New
// says which is missing.
type Deps struct {
	Ledger Ledger
	Hercle Venue
	// Heropayments is required by settlement policies and pulls from
	// Heropayments.
	Heropayments Heropayments
	// Gate is the maintenance gate; nil means always open.
	Gate Gate
	// Clock is the time source (share it with the ledger's Options.Now);
	// nil means the system clock.
	Clock scheduler.Clock
	// Payees is required by bank destinations: a payee address is paid
	// only once the registry has it APPROVED.
	Payees PayeeRegistry
	// Convert is required by convert policies and pulls by conversion.
	Convert Converter
	// Invoices is required by Lightning destinations.
	Invoices InvoiceSource
	// Risk, if set, also checks every movement out of the business (not
	// settlements between our venues): kill switch, risk's
	// reference-currency caps, minimum balances. View then supplies the
	// prices it values them with and the balances available at source,
	// where the money leaves from.
	Risk TransferRisk
	View func(source ledger.Venue) strategy.View
	// OnDeposit receives a Hercle deposit that treasury credited itself
	// (found over REST before its webhook), so the daemon can hand it to
	// the event loop as package inbound's OnDeposit would. It must not
	// block.
	OnDeposit func(inbound.Deposit)
	// OnInvoice receives an invoice issued by a pull, for whoever pays
	// it. It must not block.
	OnInvoice func(policy string, inv hercle.Invoice)
	// NewClientID makes Client-Ids; nil means hercle.NewClientID.
	NewClientID func() (string, error)
	// Logger; nil discards.
	Logger *slog.Logger
	// Metrics receives the collectors; nil registers none.
	Metrics prometheus.Registerer
}

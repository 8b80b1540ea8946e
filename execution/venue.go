package execution

import (
	"context"
	"iter"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Venue is what execution needs to trade. *hercle.Client satisfies it;
// so does the backtester's venue model. PlaceOrder and AcceptRFQ are
// called at most once per Client-Id.
type Venue interface {
	Price(ctx context.Context, pair string, size decimal.Decimal) (hercle.PriceQuote, error)
	PairSizeByAmount(ctx context.Context, pair string, side market.Side, amount decimal.Decimal) (hercle.SizeQuote, error)
	PlaceOrder(ctx context.Context, req hercle.OrderRequest, clientID string) (hercle.Execution, string, error)
	CreateRFQ(ctx context.Context, req hercle.RFQRequest) (hercle.RFQ, error)
	AcceptRFQ(ctx context.Context, rfqID, clientID string) (hercle.Execution, string, error)
	OrdersByClientID(ctx context.Context, clientID string) ([]hercle.Order, error)
	TradesByClientID(ctx context.Context, clientID string) ([]hercle.Trade, error)
}

// Transfers is what execution needs to move money out of Hercle.
// *hercle.Client satisfies it. Every money-moving method is called at
// most once per Client-Id; an unknown outcome is looked up (by Client-Id,
// or for a Lightning payment by its invoice) before anything else.
type Transfers interface {
	Withdraw(ctx context.Context, req hercle.WithdrawalRequest, clientID string) (hercle.Withdrawal, string, error)
	WithdrawInstant(ctx context.Context, req hercle.WithdrawalRequest, clientID string) (hercle.Withdrawal, string, error)
	WithdrawWithAddressParams(ctx context.Context, req hercle.AddressParamsWithdrawalRequest, clientID string) (hercle.Withdrawal, string, error)
	WithdrawLightning(ctx context.Context, req hercle.LightningWithdrawalRequest, clientID string) (hercle.LightningPayment, string, error)
	CreateTransfer(ctx context.Context, req hercle.TransferRequest, clientID string) (hercle.TransferReceipt, string, error)
	WithdrawalsByClientID(ctx context.Context, clientID string) ([]hercle.Withdrawal, error)
	Withdrawals(ctx context.Context, f hercle.WithdrawalFilter) ([]hercle.Withdrawal, error)
	Transfers(ctx context.Context, q hercle.TransferQuery) iter.Seq2[hercle.Transfer, error]
}

// Payments is what a settlement needs of Heropayments.
// *heropayments.Client satisfies it. A withdrawal is created at most once
// per externalOrderId (the Client-Id) and looked up by it after an unknown
// outcome.
type Payments interface {
	CreateWithdrawal(ctx context.Context, flow heropayments.Flow, r heropayments.WithdrawalRequest, opt heropayments.WithdrawalOptions) (heropayments.Payment, error)
	PaymentStatus(ctx context.Context, flow heropayments.Flow, ref heropayments.Ref) (heropayments.Payment, error)
}

// Store is the part of the ledger execution writes. *ledger.Store
// satisfies it.
type Store interface {
	Submit(ctx context.Context, sub ledger.Submission) (ledger.Intent, bool, error)
	Settle(ctx context.Context, st ledger.Settlement) (ledger.Intent, error)
	Transition(ctx context.Context, clientID string, to ledger.IntentState, d ledger.Detail) (ledger.Intent, error)
	Acknowledge(ctx context.Context, clientID, venueRef string) (ledger.Intent, error)
	Intent(ctx context.Context, clientID string) (ledger.Intent, error)
	Unfinished(ctx context.Context) ([]ledger.Intent, error)
	Entry(ctx context.Context, key string) (ledger.Entry, error)
	Balance(ctx context.Context, a ledger.Account, asset market.Asset) (decimal.Decimal, error)
}

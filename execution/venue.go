package execution

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Venue is what execution needs from a trading venue. *hercle.Client
// satisfies it; so does the backtester's venue model.
type Venue interface {
	Price(ctx context.Context, pair string, size decimal.Decimal) (hercle.PriceQuote, error)
	PairSizeByAmount(ctx context.Context, pair string, side market.Side, amount decimal.Decimal) (hercle.SizeQuote, error)
	PlaceOrder(ctx context.Context, req hercle.OrderRequest, clientID string) (hercle.Execution, string, error)
	CreateRFQ(ctx context.Context, req hercle.RFQRequest) (hercle.RFQ, error)
	AcceptRFQ(ctx context.Context, rfqID, clientID string) (hercle.Execution, string, error)
	OrdersByClientID(ctx context.Context, clientID string) ([]hercle.Order, error)
	TradesByClientID(ctx context.Context, clientID string) ([]hercle.Trade, error)
}

// Store is the part of the ledger execution writes. *ledger.Store
// satisfies it.
type Store interface {
	CreateIntent(ctx context.Context, in ledger.Intent) (ledger.Intent, bool, error)
	Transition(ctx context.Context, clientID string, to ledger.IntentState, d ledger.Detail) (ledger.Intent, error)
	Intent(ctx context.Context, clientID string) (ledger.Intent, error)
	Unfinished(ctx context.Context) ([]ledger.Intent, error)
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, bool, error)
	Entry(ctx context.Context, key string) (ledger.Entry, error)
}

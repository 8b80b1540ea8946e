package hercle

import (
	"context"
	"fmt"
	"iter"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// OrderRequest places an OTC order on a price quote (POST /api/v1/orders).
type OrderRequest struct {
	PriceID string      `json:"priceId"` // PriceQuote.ID
	Side    market.Side `json:"side"`
	// Slippage is the largest price move accepted, in percent: 1 means 1%
	// (the documentation site; the collection's 0.01 for 1% is wrong by
	// 100×). It must be from 0 to MaxSlippagePercent.
	Slippage Number `json:"slippage"`
}

// MaxSlippagePercent is the largest slippage PlaceOrder sends. A larger
// value is almost certainly a unit mistake.
const MaxSlippagePercent = 10

func (r OrderRequest) check() error {
	if r.PriceID == "" {
		return fmt.Errorf("%w: order needs a priceId", ErrInvalidInput)
	}
	if err := checkSide(r.Side); err != nil {
		return err
	}
	if r.Slippage.IsNegative() || r.Slippage.GreaterThan(decimal.NewFromInt(MaxSlippagePercent)) {
		return fmt.Errorf("%w: slippage %s%% outside 0..%d%%", ErrInvalidInput, r.Slippage, MaxSlippagePercent)
	}
	return nil
}

// Execution is the venue's answer to PlaceOrder and AcceptRFQ. A failed
// execution still comes with a 2xx: check Status (OrderCancelled) and
// StatusError.
type Execution struct {
	TradeID       string      `json:"tradeId"`
	Side          market.Side `json:"side"`
	Pair          string      `json:"pair"`
	Price         Number      `json:"price"`
	Size          Number      `json:"size"`     // base asset
	Notional      Number      `json:"notional"` // quote currency
	Status        OrderStatus `json:"status"`
	BaseCurrency  string      `json:"baseCurrency"`
	QuoteCurrency string      `json:"quoteCurrency"`
	Timestamp     Time        `json:"timestamp"`
	StatusError   string      `json:"statusError"`
}

// Order is an OTC order record (GET /api/v1/orders/…).
type Order struct {
	OrderID            string      `json:"orderId"`
	ClientID           string      `json:"clientId"`
	UserID             string      `json:"userId"`
	Instrument         string      `json:"instrument"`
	Side               market.Side `json:"side"`
	OrderType          OrderType   `json:"orderType"`
	Price              Number      `json:"price"`
	ExecutedPrice      Number      `json:"executedPrice"`
	ExecutedTimestamp  Time        `json:"executedTimestamp"`
	Quantity           Number      `json:"quantity"`
	QuantityFilled     Number      `json:"quantityFilled"`
	OrderStatus        OrderStatus `json:"orderStatus"`
	CancellationReason string      `json:"cancellationReason"`
	Slippage           Number      `json:"slippage"` // percent
	Timestamp          Time        `json:"timestamp"`
}

// PlaceOrder places an OTC order under clientID (a new UUID when empty)
// and returns the execution and the Client-Id used — also on error. An
// error wrapping ErrOutcomeUnknown means the order may exist: look it up
// with OrdersByClientID before placing it again. Any other error means
// the order was not placed.
func (c *Client) PlaceOrder(ctx context.Context, req OrderRequest, clientID string) (Execution, string, error) {
	var out Execution
	id, err := useClientID(clientID)
	if err != nil {
		return out, clientID, err
	}
	if err := req.check(); err != nil {
		return out, id, err
	}
	return out, id, c.do(ctx, request{route: routePlaceOrder, body: req, clientID: id}, &out)
}

// OrdersByClientID returns the orders placed under a Client-Id (the
// collection notes a 7-day window).
func (c *Client) OrdersByClientID(ctx context.Context, clientID string) ([]Order, error) {
	var out []Order
	return out, c.do(ctx, request{route: routeOrdersByClientID, args: []string{clientID}}, &out)
}

// Orders iterates the orders in q's range, split into 30-day windows (the
// REST page's maximum).
func (c *Client) Orders(ctx context.Context, q PageQuery) iter.Seq2[Order, error] {
	return offsetPages(ctx, c, routeOrders, window30Days, q, func(o Order) string { return o.OrderID })
}

package hercle

import (
	"context"
	"iter"

	"github.com/otcdesk/engine/market"
)

// Trade is an executed trade of the account.
type Trade struct {
	ID             string      `json:"id"`
	ClientID       string      `json:"clientId"`
	UserID         string      `json:"userId"`
	Instrument     string      `json:"instrument"` // "BTC/USDT" or "ETH/EUR": with a slash, unlike pair names
	Side           market.Side `json:"side"`
	Price          Number      `json:"price"`
	QuantityFilled Number      `json:"quantityFilled"`
	Timestamp      Time        `json:"timestamp"`
	Email          string      `json:"email"`
}

// Transaction is a movement on the account: deposit, withdrawal, fee,
// trade leg and so on (see TransactionType).
type Transaction struct {
	ID        string          `json:"id"`
	UserID    string          `json:"userId"`
	Sequence  int64           `json:"sequence"`
	Type      TransactionType `json:"type"`
	Asset     string          `json:"asset"`
	Amount    Number          `json:"amount"`
	Timestamp Time            `json:"timestamp"`
}

// Trades iterates the account's trades in q's range, split into 7-day
// windows (the endpoint's maximum).
func (c *Client) Trades(ctx context.Context, q PageQuery) iter.Seq2[Trade, error] {
	return offsetPages(ctx, c, routeTrades, window7Days, q, func(t Trade) string { return t.ID })
}

// HistoricalTrades iterates the account's trades in q's range from the
// historical store, split into 30-day windows.
func (c *Client) HistoricalTrades(ctx context.Context, q PageQuery) iter.Seq2[Trade, error] {
	return offsetPages(ctx, c, routeHistoricalTrades, window30Days, q, func(t Trade) string { return t.ID })
}

// TradesByClientID returns the trades made under a Client-Id.
func (c *Client) TradesByClientID(ctx context.Context, clientID string) ([]Trade, error) {
	var out []Trade
	return out, c.do(ctx, request{route: routeTradesByClientID, args: []string{clientID}}, &out)
}

// Transactions iterates the account's transactions in q's range, split
// into 7-day windows (the collection's and the hub page's limit; the
// endpoint has no page on the documentation site).
func (c *Client) Transactions(ctx context.Context, q PageQuery) iter.Seq2[Transaction, error] {
	return offsetPages(ctx, c, routeTransactions, window7Days, q, func(t Transaction) string { return t.ID })
}

// HistoricalTransactions iterates the account's transactions in q's range
// from the historical store, split into 30-day windows.
func (c *Client) HistoricalTransactions(ctx context.Context, q PageQuery) iter.Seq2[Transaction, error] {
	return offsetPages(ctx, c, routeHistoricalTransactions, window30Days, q, func(t Transaction) string { return t.ID })
}

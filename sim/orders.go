package sim

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// OrderStatus is the status of an order, an RFQ and an execution.
type OrderStatus int

// Order statuses, as the documentation numbers them.
const (
	StatusCreated   OrderStatus = 0
	StatusExecuted  OrderStatus = 1
	StatusCancelled OrderStatus = 2
	StatusPending   OrderStatus = 3
)

// OrderType is Market (0) or FillOrKill (1); the venue fills every OTC
// order whole, so it records Market.
type OrderType int

// Order types.
const (
	OrderMarket     OrderType = 0
	OrderFillOrKill OrderType = 1
)

// Order is an OTC order or an accepted RFQ.
type Order struct {
	ID                 string
	ClientID           string
	Pair               string
	Base, Quote        market.Asset
	Side               market.Side
	Type               OrderType
	Price              decimal.Decimal // quoted price
	ExecutedPrice      decimal.Decimal // zero until executed
	ExecutedTime       time.Time       // zero until executed
	Quantity           decimal.Decimal
	QuantityFilled     decimal.Decimal
	Status             OrderStatus
	CancellationReason string
	Slippage           decimal.Decimal // percent: 1 means 1%
	Time               time.Time

	settleAt time.Time
	cancel   bool
}

// Trade is a fill.
type Trade struct {
	ID          string
	ClientID    string
	Pair        string
	Base, Quote market.Asset
	Side        market.Side
	Price       decimal.Decimal
	Quantity    decimal.Decimal
	Time        time.Time
}

// Execution is the answer to an order or an RFQ accept. TradeID is the
// order's id, which is also its trade's id once executed.
type Execution struct {
	TradeID     string
	Side        market.Side
	Pair        string
	Price       decimal.Decimal
	Size        decimal.Decimal
	Notional    decimal.Decimal
	Status      OrderStatus
	Base, Quote market.Asset
	Time        time.Time
	StatusError string
}

// OrderRequest places an OTC order on a quote (PriceID) for Side, refused
// when the price has moved against it by more than Slippage percent.
type OrderRequest struct {
	PriceID  string
	Side     market.Side
	Slippage decimal.Decimal
	ClientID string // idempotency key; may be empty
}

// Operation names for Client-Id deduplication.
const (
	opOrder    = "order"
	opAccept   = "rfq-accept"
	opWithdraw = "withdraw"
	opTransfer = "transfer"
)

// PlaceOrder executes an order against a quote. The order fills at the
// current price for the quote's size when that is within Slippage percent
// of the quoted price; otherwise it is recorded Cancelled with a
// StatusError (nothing moves). Errors: ErrNotFound (unknown quote),
// ErrExpired, ErrInvalid, ErrInsufficientFunds; nothing is applied then.
// With Options.Dedup, a repeat of an applied ClientID returns the first
// Execution and applies nothing.
func (v *Venue) PlaceOrder(req OrderRequest) (Execution, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if r, ok := v.replayLocked(opOrder, req.ClientID); ok {
		return r.(Execution), nil
	}
	if req.PriceID == "" {
		return Execution{}, missing("priceId")
	}
	if req.Side != market.Buy && req.Side != market.Sell {
		return Execution{}, invalid("side", "side must be buy or sell")
	}
	if req.Slippage.IsNegative() {
		return Execution{}, invalid("slippage", "slippage must not be negative")
	}
	q, ok := v.quotes[req.PriceID]
	if !ok {
		return Execution{}, notFound("price quote", req.PriceID)
	}
	if !now.Before(q.Expires) {
		return Execution{}, expired("priceId", "price quote expired")
	}
	p := v.pairs[q.Pair]
	p.walk(now)
	buy, sell := p.prices(q.Size)
	quoted, current := q.BuyPrice, buy
	if req.Side == market.Sell {
		quoted, current = q.SellPrice, sell
	}
	o := &Order{
		ID: v.newIDLocked(), ClientID: req.ClientID, Pair: q.Pair, Base: p.cfg.Base, Quote: p.cfg.Quote,
		Side: req.Side, Type: OrderMarket, Price: quoted, Quantity: q.Size, Slippage: req.Slippage, Time: now,
	}
	limit := quoted.Mul(req.Slippage).Div(decimal.NewFromInt(100))
	moved := current.Sub(quoted) // adverse when positive for a buy
	if req.Side == market.Sell {
		moved = quoted.Sub(current)
	}
	if moved.GreaterThan(limit) {
		o.Status = StatusCancelled
		o.CancellationReason = "price moved beyond slippage"
		v.recordOrderLocked(now, o)
		ex := o.execution()
		ex.StatusError = o.CancellationReason
		v.appliedLocked(now, opOrder, req.ClientID, ex)
		return ex, nil
	}
	if err := v.fillLocked(now, o, current); err != nil {
		return Execution{}, err
	}
	ex := o.execution()
	v.appliedLocked(now, opOrder, req.ClientID, ex)
	return ex, nil
}

// fillLocked records o and executes it at price, at once or, with
// Options.PendingProbability, after PendingFor. It fails with
// ErrInsufficientFunds before recording anything.
func (v *Venue) fillLocked(now time.Time, o *Order, price decimal.Decimal) error {
	payAsset, pay := o.Quote, price.Mul(o.Quantity)
	if o.Side == market.Sell {
		payAsset, pay = o.Base, o.Quantity
	}
	if err := v.checkAvailableLocked(payAsset, pay); err != nil {
		return err
	}
	o.ExecutedPrice = price
	if v.opts.PendingProbability > 0 && v.rng.Float64() < v.opts.PendingProbability {
		o.Status = StatusCreated
		if v.rng.IntN(2) == 1 {
			o.Status = StatusPending
		}
		o.settleAt = now.Add(v.opts.PendingFor)
		o.cancel = v.rng.Float64() < v.opts.CancelProbability
		v.moveLocked(payAsset, pay.Neg(), pay)
		v.txLocked(now, TxTradeLock, payAsset, pay.Neg(), o.ID)
		v.balancesChangedLocked(now)
		v.recordOrderLocked(now, o)
		v.pending = append(v.pending, o)
		return nil
	}
	v.moveLocked(payAsset, pay.Neg(), decimal.Zero)
	v.executeLocked(now, o, false)
	return nil
}

// executeLocked completes a filled order whose payment has left available
// (fromAllocated: it sits in allocated).
func (v *Venue) executeLocked(now time.Time, o *Order, fromAllocated bool) {
	payAsset, pay := o.Quote, o.ExecutedPrice.Mul(o.Quantity)
	getAsset, get := o.Base, o.Quantity
	if o.Side == market.Sell {
		payAsset, pay, getAsset, get = o.Base, o.Quantity, o.Quote, o.ExecutedPrice.Mul(o.Quantity)
	}
	if fromAllocated {
		v.moveLocked(payAsset, decimal.Zero, pay.Neg())
		v.txLocked(now, TxTradeUnlock, payAsset, pay, o.ID)
	}
	v.moveLocked(getAsset, get, decimal.Zero)
	v.txLocked(now, TxTrade, payAsset, pay.Neg(), o.ID)
	v.txLocked(now, TxTrade, getAsset, get, o.ID)
	v.balancesChangedLocked(now)
	o.Status = StatusExecuted
	o.QuantityFilled = o.Quantity
	o.ExecutedTime = now
	t := Trade{ID: o.ID, ClientID: o.ClientID, Pair: o.Pair, Base: o.Base, Quote: o.Quote, Side: o.Side,
		Price: o.ExecutedPrice, Quantity: o.Quantity, Time: now}
	v.trades = append(v.trades, t)
	if !fromAllocated {
		v.recordOrderLocked(now, o)
	} else {
		oc := *o
		v.emitLocked(now, func(h EventHeader) Event { return OrderChanged{h, oc} })
	}
	v.emitLocked(now, func(h EventHeader) Event { return TradeExecuted{h, t} })
}

func (v *Venue) recordOrderLocked(now time.Time, o *Order) {
	v.orders = append(v.orders, o)
	v.ordersByID[o.ID] = o
	oc := *o
	v.emitLocked(now, func(h EventHeader) Event { return OrderChanged{h, oc} })
}

// settleOrdersLocked settles pending orders that are due.
func (v *Venue) settleOrdersLocked(now time.Time) {
	if len(v.pending) == 0 {
		return
	}
	rest := v.pending[:0]
	for _, o := range v.pending {
		if now.Before(o.settleAt) {
			rest = append(rest, o)
			continue
		}
		if !o.cancel {
			v.executeLocked(now, o, true)
			continue
		}
		payAsset, pay := o.Quote, o.ExecutedPrice.Mul(o.Quantity)
		if o.Side == market.Sell {
			payAsset, pay = o.Base, o.Quantity
		}
		v.moveLocked(payAsset, pay, pay.Neg())
		v.txLocked(now, TxTradeUnlock, payAsset, pay, o.ID)
		v.balancesChangedLocked(now)
		o.Status = StatusCancelled
		o.CancellationReason = "cancelled by the venue"
		o.ExecutedPrice = decimal.Zero
		oc := *o
		v.emitLocked(now, func(h EventHeader) Event { return OrderChanged{h, oc} })
	}
	clear(v.pending[len(rest):])
	v.pending = rest
}

func (o *Order) execution() Execution {
	price := o.ExecutedPrice
	if price.IsZero() {
		price = o.Price
	}
	return Execution{TradeID: o.ID, Side: o.Side, Pair: o.Pair, Price: price, Size: o.Quantity,
		Notional: price.Mul(o.Quantity), Status: o.Status, Base: o.Base, Quote: o.Quote, Time: o.Time}
}

// OrdersByClientID returns the orders placed with clientID, oldest first.
func (v *Venue) OrdersByClientID(clientID string) []Order {
	v.begin()
	defer v.mu.Unlock()
	var out []Order
	for _, o := range v.orders {
		if o.ClientID == clientID {
			out = append(out, *o)
		}
	}
	return out
}

// Order returns the order with id.
func (v *Venue) Order(id string) (Order, error) {
	v.begin()
	defer v.mu.Unlock()
	o, ok := v.ordersByID[id]
	if !ok {
		return Order{}, notFound("order", id)
	}
	return *o, nil
}

// Orders returns one page of orders by creation time; the range may span
// at most 30 days.
func (v *Venue) Orders(p Page) ([]Order, error) {
	v.begin()
	defer v.mu.Unlock()
	if err := p.check(Range30Days); err != nil {
		return nil, err
	}
	page := pageOf(v.orders, func(o *Order) time.Time { return o.Time }, p)
	out := make([]Order, len(page))
	for i, o := range page {
		out[i] = *o
	}
	return out, nil
}

// TradesByClientID returns the trades of orders placed with clientID.
func (v *Venue) TradesByClientID(clientID string) []Trade {
	v.begin()
	defer v.mu.Unlock()
	var out []Trade
	for _, t := range v.trades {
		if t.ClientID == clientID {
			out = append(out, t)
		}
	}
	return out
}

// Trades returns one page of trades; the range may span at most 7 days.
func (v *Venue) Trades(p Page) ([]Trade, error) { return v.tradePage(p, Range7Days) }

// HistoricalTrades returns one page of trades; the range may span at most
// 30 days.
func (v *Venue) HistoricalTrades(p Page) ([]Trade, error) { return v.tradePage(p, Range30Days) }

func (v *Venue) tradePage(p Page, maxRange time.Duration) ([]Trade, error) {
	v.begin()
	defer v.mu.Unlock()
	if err := p.check(maxRange); err != nil {
		return nil, err
	}
	return slices.Clone(pageOf(v.trades, func(t Trade) time.Time { return t.Time }, p)), nil
}

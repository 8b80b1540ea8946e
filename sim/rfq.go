package sim

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// RFQ is a request for quote: a firm price for a size until Expires.
type RFQ struct {
	ID          string
	Pair        string
	Base, Quote market.Asset
	Side        market.Side
	Price       decimal.Decimal
	Size        decimal.Decimal // base asset
	Amount      decimal.Decimal // quote currency
	Status      OrderStatus     // Created until accepted (Executed) or expired (Cancelled)
	Expires     time.Time
	Requested   time.Time
	TradeID     string // set once accepted
}

// RFQRequest asks for a quote of Size (base asset) or, when Size is zero,
// of Amount (quote currency). Expiry zero means Options.RFQExpiry.
type RFQRequest struct {
	Pair   string
	Side   market.Side
	Size   decimal.Decimal
	Amount decimal.Decimal
	Expiry time.Duration
}

// CreateRFQ quotes a firm price that AcceptRFQ can take once before it
// expires. Errors: ErrNotFound (pair), ErrInvalid.
func (v *Venue) CreateRFQ(req RFQRequest) (RFQ, error) {
	now := v.begin()
	defer v.mu.Unlock()
	p, err := v.pairLocked(req.Pair)
	if err != nil {
		return RFQ{}, err
	}
	if req.Side != market.Buy && req.Side != market.Sell {
		return RFQ{}, invalid("side", "side must be buy or sell")
	}
	if req.Size.IsNegative() || req.Amount.IsNegative() {
		return RFQ{}, invalid("size", "size and amount must not be negative")
	}
	if !req.Size.IsPositive() && !req.Amount.IsPositive() {
		return RFQ{}, invalid("size", "one of size and amount must be positive")
	}
	if req.Expiry < 0 || req.Expiry > MaxCustomRFQExpiry {
		return RFQ{}, invalid("expirationInSeconds", "expiration must be from 1 to %d seconds", int(MaxCustomRFQExpiry/time.Second))
	}
	expiry := req.Expiry
	if expiry == 0 {
		expiry = v.opts.RFQExpiry
	}
	p.walk(now)
	price := func(size decimal.Decimal) decimal.Decimal {
		buy, sell := p.prices(size)
		if req.Side == market.Sell {
			return sell
		}
		return buy
	}
	size, amount := req.Size, req.Amount
	if size.IsPositive() {
		amount = price(size).Mul(size)
	} else {
		size = amount.DivRound(price(p.cfg.MinSize), 12).RoundFloor(8)
	}
	if err := p.cfg.CheckSize(size); err != nil {
		return RFQ{}, invalid("size", "size %s outside %s limits %s to %s", size, p.cfg.Symbol, p.cfg.MinSize, p.cfg.MaxSize)
	}
	r := &RFQ{ID: v.newIDLocked(), Pair: p.cfg.Symbol, Base: p.cfg.Base, Quote: p.cfg.Quote, Side: req.Side,
		Price: price(size), Size: size, Amount: amount, Status: StatusCreated, Expires: now.Add(expiry), Requested: now}
	v.rfqs[r.ID] = r
	v.openRFQs = append(v.openRFQs, r)
	rc := *r
	v.emitLocked(now, func(h EventHeader) Event { return RFQChanged{h, rc} })
	return rc, nil
}

// RFQ returns the RFQ with id.
func (v *Venue) RFQ(id string) (RFQ, error) {
	v.begin()
	defer v.mu.Unlock()
	r, ok := v.rfqs[id]
	if !ok {
		return RFQ{}, notFound("RFQ", id)
	}
	return *r, nil
}

// AcceptRFQ executes an RFQ at its price. Errors: ErrNotFound, ErrExpired,
// ErrConflict (already accepted), ErrInsufficientFunds; nothing is applied
// then. With Options.Dedup, a repeat of an applied clientID returns the
// first Execution.
func (v *Venue) AcceptRFQ(rfqID, clientID string) (Execution, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if r, ok := v.replayLocked(opAccept, clientID); ok {
		return r.(Execution), nil
	}
	if rfqID == "" {
		return Execution{}, missing("requestForQuoteId")
	}
	r, ok := v.rfqs[rfqID]
	if !ok {
		return Execution{}, notFound("RFQ", rfqID)
	}
	switch {
	case r.Status == StatusExecuted:
		return Execution{}, conflict("RFQ %s was already accepted", rfqID)
	case r.Status == StatusCancelled || !now.Before(r.Expires):
		return Execution{}, expired("requestForQuoteId", "RFQ expired")
	}
	o := &Order{ID: v.newIDLocked(), ClientID: clientID, Pair: r.Pair, Base: r.Base, Quote: r.Quote, Side: r.Side,
		Type: OrderFillOrKill, Price: r.Price, Quantity: r.Size, Time: now}
	if err := v.fillLocked(now, o, r.Price); err != nil {
		return Execution{}, err
	}
	r.Status = StatusExecuted
	r.TradeID = o.ID
	rc := *r
	v.emitLocked(now, func(h EventHeader) Event { return RFQChanged{h, rc} })
	ex := o.execution()
	v.appliedLocked(now, opAccept, clientID, ex)
	return ex, nil
}

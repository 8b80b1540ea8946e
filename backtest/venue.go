package backtest

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/market"
)

// VenueModel is how the simulated venue fills. The zero value fills at
// the recorded price at decision time, with no fee, and RFQ quotes that
// live 30 seconds.
type VenueModel struct {
	// Latency is how long an order or an RFQ accept takes to reach the
	// venue after the decision. An OTC order fills at the last price
	// recorded at decision time plus Latency, unless it arrives when its
	// price quote (10 seconds, as at Hercle) has expired; an RFQ accept
	// arriving at or after the quote's expiry fails. The loop itself does not wait: the
	// backtest executes inline, so the strategy learns the outcome at once.
	Latency time.Duration
	// SlippageBps moves every OTC fill against the engine, in basis points.
	// The order still fails if the fill is further from its price quote
	// than the intent's MaxSlippage allows, as at the venue.
	SlippageBps decimal.Decimal
	// RFQMarkupBps is the RFQ quote's markup over the recorded price,
	// against the engine, in basis points.
	RFQMarkupBps decimal.Decimal
	// RFQExpiry is an RFQ quote's lifetime; zero means 30 seconds.
	RFQExpiry time.Duration
	// FeeBps is the fee on each fill's notional, in basis points, in the
	// pair's quote currency. It is part of the fill's quote amount (paid
	// on top by a buy, kept back from a sell), so the journal, the loop's
	// balances and the model's balances agree; trades.csv lists it apart.
	FeeBps decimal.Decimal
}

// Refusal reasons of the venue model, as counted in Summary.Rejections.Venue.
const (
	refusedPairSize = "pair_size"
	refusedNoPrice  = "no_price"
	refusedFunds    = "insufficient_funds"
	refusedMoved    = "price_moved"
	refusedExpired  = "rfq_expired"
	// refusedQuoteExpired is an order reaching the venue after its price
	// quote's lifetime.
	refusedQuoteExpired = "quote_expired"
	refusedNotFound     = "not_found"
	refusedUnknown      = "unknown_pair"
	refusedBadAmount    = "invalid_amount"
)

// quoteTTL is how long a price quote can be ordered against, as at Hercle.
const quoteTTL = 10 * time.Second

// ledgerPlaces is the precision execution books a fill's quote amount at.
const ledgerPlaces = 18

// recentFills bounds the fills the model remembers for lookups by
// Client-Id, so memory does not grow with the recording.
const recentFills = 16

// prices answers what the recorded price of a pair was at a time; the
// replay implements it over the ticks processed and those buffered ahead.
type prices interface {
	priceAt(pair string, at time.Time) (market.Tick, bool)
	now() time.Time
}

// venue is the simulated venue: execution.Venue over recorded prices, with
// balances. Every answer it gives is final (executed, cancelled, or a
// definitive refusal), never pending or unknown, so execution never waits
// on the simulated clock for a lookup. It is owned by the replay's
// goroutine.
type venue struct {
	m        VenueModel
	px       prices
	pairs    map[string]market.Pair
	balances map[market.Asset]decimal.Decimal

	seq      int
	quotes   map[string]hercle.PriceQuote
	quoteAt  map[string]time.Time
	rfqs     map[string]hercle.RFQ
	fills    map[string]fill // by trade id, until the replay takes them
	recent   []hercle.Trade  // the last recentFills trades, for lookups
	refusals map[string]int

	// away is what withdrawals took out to the desk's own destinations,
	// by asset; withdrawals are by Client-Id (treasury's, a few).
	away        map[market.Asset]decimal.Decimal
	withdrawals map[string]hercle.Withdrawal
}

// fill is what the replay reports of a trade beyond execution's Result.
type fill struct {
	notional decimal.Decimal // size × price, before the fee
	fee      decimal.Decimal // in the pair's quote currency
	at       time.Time       // when the order reached the venue
	quote    market.Asset    // the currency notional and fee are in
}

var _ execution.Venue = (*venue)(nil)

func newVenue(m VenueModel, px prices, pairs map[string]market.Pair, balances map[market.Asset]decimal.Decimal) *venue {
	if m.RFQExpiry <= 0 {
		m.RFQExpiry = 30 * time.Second
	}
	b := make(map[market.Asset]decimal.Decimal, len(balances))
	for a, v := range balances {
		b[a] = v
	}
	return &venue{
		m: m, px: px, pairs: pairs, balances: b,
		quotes: map[string]hercle.PriceQuote{}, quoteAt: map[string]time.Time{},
		rfqs: map[string]hercle.RFQ{}, fills: map[string]fill{}, refusals: map[string]int{},
	}
}

// refuse counts reason and returns the error a venue would answer: a
// definitive rejection, so execution fails the intent without lookups.
func (v *venue) refuse(op, reason, format string, args ...any) error {
	v.refusals[reason]++
	return &hercle.APIError{Op: op, Status: http.StatusBadRequest, Code: reason, Message: fmt.Sprintf(format, args...), Err: hercle.ErrBadRequest}
}

func (v *venue) id(prefix string) string {
	v.seq++
	return fmt.Sprintf("%s-%d", prefix, v.seq)
}

func bps(x decimal.Decimal) decimal.Decimal { return x.Shift(-4) }

// pair returns the listed pair and the price recorded for it at.
func (v *venue) price(op, symbol string, at time.Time) (market.Pair, market.Tick, error) {
	p, ok := v.pairs[symbol]
	if !ok {
		return market.Pair{}, market.Tick{}, v.refuse(op, refusedUnknown, "pair %s is not listed", symbol)
	}
	t, ok := v.px.priceAt(symbol, at)
	if !ok || !t.BuyPrice.IsPositive() || !t.SellPrice.IsPositive() {
		return market.Pair{}, market.Tick{}, v.refuse(op, refusedNoPrice, "no price recorded for %s", symbol)
	}
	return p, t, nil
}

func (v *venue) checkSize(op string, p market.Pair, size decimal.Decimal, price decimal.Decimal) error {
	if err := p.CheckSize(size); err != nil {
		return v.refuse(op, refusedPairSize, "%v", err)
	}
	q := size.Mul(price)
	if (p.MinQuoteSize.IsPositive() && q.LessThan(p.MinQuoteSize)) || (p.MaxQuoteSize.IsPositive() && q.GreaterThan(p.MaxQuoteSize)) {
		return v.refuse(op, refusedPairSize, "%s quote size %s outside [%s, %s]", p.Symbol, q, p.MinQuoteSize, p.MaxQuoteSize)
	}
	return nil
}

// Price quotes size on pair at the price recorded now.
func (v *venue) Price(_ context.Context, pair string, size decimal.Decimal) (hercle.PriceQuote, error) {
	const op = "price"
	now := v.px.now()
	p, t, err := v.price(op, pair, now)
	if err != nil {
		return hercle.PriceQuote{}, err
	}
	if err := v.checkSize(op, p, size, t.Mid()); err != nil {
		return hercle.PriceQuote{}, err
	}
	for id, at := range v.quoteAt {
		if now.Sub(at) >= quoteTTL {
			delete(v.quotes, id)
			delete(v.quoteAt, id)
		}
	}
	q := hercle.PriceQuote{ID: v.id("price"), Size: hercle.N(size), Pair: p.Symbol,
		BuyPrice: hercle.N(t.BuyPrice), SellPrice: hercle.N(t.SellPrice), MarkPrice: hercle.N(t.Mid()), Timestamp: hercle.T(now)}
	v.quotes[q.ID], v.quoteAt[q.ID] = q, now
	return q, nil
}

// PairSizeByAmount sizes amount (quote currency) at the price recorded now,
// rounded down to 8 places.
func (v *venue) PairSizeByAmount(_ context.Context, pair string, side market.Side, amount decimal.Decimal) (hercle.SizeQuote, error) {
	const op = "size by amount"
	now := v.px.now()
	p, t, err := v.price(op, pair, now)
	if err != nil {
		return hercle.SizeQuote{}, err
	}
	if !amount.IsPositive() {
		return hercle.SizeQuote{}, v.refuse(op, refusedBadAmount, "amount %s must be positive", amount)
	}
	price := t.BuyPrice
	if side == market.Sell {
		price = t.SellPrice
	}
	size := amount.DivRound(price, 12).RoundFloor(8)
	if err := v.checkSize(op, p, size, price); err != nil {
		return hercle.SizeQuote{}, err
	}
	return hercle.SizeQuote{ID: v.id("size"), Pair: p.Symbol, Price: hercle.N(price), Size: hercle.N(size), Timestamp: hercle.T(now)}, nil
}

// PlaceOrder fills an order on a price quote at the price recorded when it
// reaches the venue (now plus Latency), moved by SlippageBps; if that is
// further from the quote than the order's slippage allows, the order is
// cancelled and nothing moves. An order reaching the venue when the quote
// has expired is refused.
func (v *venue) PlaceOrder(_ context.Context, req hercle.OrderRequest, clientID string) (hercle.Execution, string, error) {
	const op = "order"
	q, ok := v.quotes[req.PriceID]
	if !ok {
		return hercle.Execution{}, clientID, v.refuse(op, refusedNotFound, "price quote %s not found or expired", req.PriceID)
	}
	quotedAt := v.quoteAt[req.PriceID]
	delete(v.quotes, req.PriceID)
	delete(v.quoteAt, req.PriceID)
	at := v.px.now().Add(v.m.Latency)
	if at.Sub(quotedAt) >= quoteTTL {
		return hercle.Execution{}, clientID, v.refuse(op, refusedQuoteExpired, "price quote %s expired at %s", req.PriceID,
			quotedAt.Add(quoteTTL).Format(time.RFC3339Nano))
	}
	p, t, err := v.price(op, q.Pair, at)
	if err != nil {
		return hercle.Execution{}, clientID, err
	}
	one := decimal.NewFromInt(1)
	quoted, price := q.BuyPrice.Decimal, t.BuyPrice.Mul(one.Add(bps(v.m.SlippageBps)))
	moved := price.Sub(quoted)
	if req.Side == market.Sell {
		quoted, price = q.SellPrice.Decimal, t.SellPrice.Mul(one.Sub(bps(v.m.SlippageBps)))
		moved = quoted.Sub(price)
	}
	if moved.GreaterThan(quoted.Mul(req.Slippage.Decimal).Shift(-2)) {
		v.refusals[refusedMoved]++
		return hercle.Execution{TradeID: v.id("order"), Side: req.Side, Pair: p.Symbol, Price: hercle.N(quoted), Size: q.Size,
			Status: hercle.OrderCancelled, StatusError: "price moved beyond slippage", Timestamp: hercle.T(at)}, clientID, nil
	}
	ex, err := v.fill(op, p, req.Side, q.Size.Decimal, price, clientID, at)
	return ex, clientID, err
}

// CreateRFQ quotes size (or amount) at the price recorded now, marked up
// by RFQMarkupBps, expiring after RFQExpiry.
func (v *venue) CreateRFQ(_ context.Context, req hercle.RFQRequest) (hercle.RFQ, error) {
	const op = "create RFQ"
	now := v.px.now()
	p, t, err := v.price(op, req.Pair, now)
	if err != nil {
		return hercle.RFQ{}, err
	}
	one := decimal.NewFromInt(1)
	price := t.BuyPrice.Mul(one.Add(bps(v.m.RFQMarkupBps)))
	if req.Side == market.Sell {
		price = t.SellPrice.Mul(one.Sub(bps(v.m.RFQMarkupBps)))
	}
	size, amount := req.Size.Decimal, req.Amount.Decimal
	switch {
	case size.IsPositive():
		amount = size.Mul(price)
	case amount.IsPositive():
		size = amount.DivRound(price, 12).RoundFloor(8)
	default:
		return hercle.RFQ{}, v.refuse(op, refusedBadAmount, "one of size and amount must be positive")
	}
	if err := v.checkSize(op, p, size, price); err != nil {
		return hercle.RFQ{}, err
	}
	for id, old := range v.rfqs {
		// A quote nobody accepted (declined by the quote check) is
		// forgotten once expired, so they do not pile up.
		if !now.Before(old.ExpireDateTime.Time) {
			delete(v.rfqs, id)
		}
	}
	r := hercle.RFQ{RequestForQuoteID: v.id("rfq"), Instrument: p.Symbol, BaseCurrency: string(p.Base), QuoteCurrency: string(p.Quote),
		Price: hercle.N(price), Size: hercle.N(size), Side: req.Side, Amount: hercle.N(amount), Status: hercle.OrderCreated,
		ExpireDateTime: hercle.T(now.Add(v.m.RFQExpiry)), RequestDateTime: hercle.T(now)}
	v.rfqs[r.RequestForQuoteID] = r
	return r, nil
}

// AcceptRFQ fills an RFQ at its price, unless the accept reaches the venue
// (now plus Latency) at or after its expiry.
func (v *venue) AcceptRFQ(_ context.Context, rfqID, clientID string) (hercle.Execution, string, error) {
	const op = "accept RFQ"
	r, ok := v.rfqs[rfqID]
	if !ok {
		return hercle.Execution{}, clientID, v.refuse(op, refusedNotFound, "RFQ %s not found", rfqID)
	}
	delete(v.rfqs, rfqID)
	at := v.px.now().Add(v.m.Latency)
	if !at.Before(r.ExpireDateTime.Time) {
		return hercle.Execution{}, clientID, v.refuse(op, refusedExpired, "RFQ %s expired at %s", rfqID, r.ExpireDateTime.Time.Format(time.RFC3339Nano))
	}
	p := v.pairs[r.Instrument]
	ex, err := v.fill(op, p, r.Side, r.Size.Decimal, r.Price.Decimal, clientID, at)
	return ex, clientID, err
}

// fill moves the balances of a trade of size at price, with its fee, if
// the account can pay for it.
func (v *venue) fill(op string, p market.Pair, side market.Side, size, price decimal.Decimal, clientID string, at time.Time) (hercle.Execution, error) {
	// At the ledger's precision: execution books the quote amount
	// rounded to 18 places, and the model's balances must stay equal.
	notional := size.Mul(price).Round(ledgerPlaces)
	fee := notional.Mul(bps(v.m.FeeBps)).Round(ledgerPlaces)
	amount := notional.Add(fee) // what a buy pays
	if side == market.Sell {
		amount = notional.Sub(fee) // what a sell receives
		if have := v.balances[p.Base]; have.LessThan(size) {
			return hercle.Execution{}, v.refuse(op, refusedFunds, "sell %s %s: %s available", size, p.Base, have)
		}
		v.balances[p.Base] = v.balances[p.Base].Sub(size)
		v.balances[p.Quote] = v.balances[p.Quote].Add(amount)
	} else {
		if have := v.balances[p.Quote]; have.LessThan(amount) {
			return hercle.Execution{}, v.refuse(op, refusedFunds, "buy %s %s for %s %s: %s available", size, p.Base, amount, p.Quote, have)
		}
		v.balances[p.Quote] = v.balances[p.Quote].Sub(amount)
		v.balances[p.Base] = v.balances[p.Base].Add(size)
	}
	id := v.id("trade")
	v.fills[id] = fill{notional: notional, fee: fee, at: at, quote: p.Quote}
	if len(v.recent) == recentFills {
		v.recent = append(v.recent[:0], v.recent[1:]...)
	}
	v.recent = append(v.recent, hercle.Trade{ID: id, ClientID: clientID, Instrument: p.Symbol, Side: side,
		Price: hercle.N(amount.Div(size)), QuantityFilled: hercle.N(size), Timestamp: hercle.T(at)})
	return hercle.Execution{TradeID: id, Side: side, Pair: p.Symbol, Price: hercle.N(price), Size: hercle.N(size),
		Notional: hercle.N(amount), Status: hercle.OrderExecuted, BaseCurrency: string(p.Base), QuoteCurrency: string(p.Quote),
		Timestamp: hercle.T(at)}, nil
}

// take returns and forgets what the model knows of a trade beyond the
// execution.
func (v *venue) take(tradeID string) (fill, bool) {
	f, ok := v.fills[tradeID]
	delete(v.fills, tradeID)
	return f, ok
}

// OrdersByClientID returns the recent fills of clientID as executed orders.
// Every answer of the model is final, so execution only looks up intents
// the ledger already held; in a fresh backtest ledger there are none.
func (v *venue) OrdersByClientID(_ context.Context, clientID string) ([]hercle.Order, error) {
	var out []hercle.Order
	for _, t := range v.recent {
		if t.ClientID == clientID {
			out = append(out, hercle.Order{OrderID: t.ID, ClientID: clientID, Instrument: t.Instrument, Side: t.Side,
				ExecutedPrice: t.Price, Quantity: t.QuantityFilled, QuantityFilled: t.QuantityFilled,
				OrderStatus: hercle.OrderExecuted, Timestamp: t.Timestamp, ExecutedTimestamp: t.Timestamp})
		}
	}
	return out, nil
}

// TradesByClientID returns the recent trades of clientID.
func (v *venue) TradesByClientID(_ context.Context, clientID string) ([]hercle.Trade, error) {
	var out []hercle.Trade
	for _, t := range v.recent {
		if t.ClientID == clientID {
			out = append(out, t)
		}
	}
	return out, nil
}

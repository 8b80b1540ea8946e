package execution

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// request is what the ledger keeps of an order or RFQ intent: enough to
// look it up and to explain it.
type request struct {
	Strategy string          `json:"strategy"`
	Ref      string          `json:"ref,omitempty"`
	Pair     string          `json:"pair"`
	Side     market.Side     `json:"side"`
	Size     decimal.Decimal `json:"size"`
	Amount   decimal.Decimal `json:"amount"`
	Path     string          `json:"path"`
	PriceID  string          `json:"priceId,omitempty"`
	RFQID    string          `json:"rfqId,omitempty"`
}

func kindOf(p strategy.Path) ledger.IntentKind {
	if p == strategy.RFQ {
		return ledger.IntentRFQAccept
	}
	return ledger.IntentOrder
}

// order is an OTC order on a price quote or the accept of an RFQ quote.
type order struct {
	x    *Executor
	in   strategy.Intent
	pair market.Pair
	// quote is the venue's quote the request refers to: a priceId (OTC)
	// or a requestForQuoteId (RFQ); empty for an order being resolved.
	quote string
}

var _ op = order{}

func (o order) submission(cid string) (ledger.Submission, error) {
	r := request{Strategy: o.in.Strategy, Ref: o.in.Ref, Pair: o.in.Pair, Side: o.in.Side, Size: o.in.Size, Amount: o.in.Amount, Path: string(o.in.Path)}
	if o.in.Path == strategy.RFQ {
		r.RFQID = o.quote
	} else {
		r.PriceID = o.quote
	}
	body, err := json.Marshal(r)
	if err != nil {
		return ledger.Submission{}, err
	}
	return ledger.Submission{Intent: ledger.Intent{ClientID: cid, Kind: kindOf(o.in.Path), Venue: ledger.Hercle, Request: body}}, nil
}

func (o order) send(ctx context.Context, cid string) (answer, error) {
	start := o.x.clock.Now()
	var ex hercle.Execution
	var err error
	if o.in.Path == strategy.RFQ {
		ex, _, err = o.x.o.Venue.AcceptRFQ(ctx, o.quote, cid)
	} else {
		ex, _, err = o.x.o.Venue.PlaceOrder(ctx, hercle.OrderRequest{PriceID: o.quote, Side: o.in.Side, Slippage: hercle.N(o.in.MaxSlippage)}, cid)
	}
	o.x.latency.WithLabelValues(string(o.in.Path)).Observe(o.x.clock.Now().Sub(start).Seconds())
	if err != nil {
		return answer{}, err
	}
	switch ex.Status {
	case hercle.OrderExecuted:
		return o.filled(cid, fill{tradeID: ex.TradeID, size: ex.Size.Decimal, amount: ex.Notional.Decimal, price: ex.Price.Decimal, at: ex.Timestamp})
	case hercle.OrderCancelled:
		detail := "cancelled by the venue"
		if ex.StatusError != "" {
			detail += ": " + ex.StatusError
		}
		return answer{verdict: refused, ref: ex.TradeID, detail: detail}, nil
	}
	// Created or Pending: followed by lookups to a final status.
	return answer{verdict: accepted, detail: "order " + ex.Status.String() + " at the venue"}, nil
}

func (o order) lookup(ctx context.Context, it ledger.Intent) (answer, error) {
	cid := it.ClientID
	trades, err := o.x.o.Venue.TradesByClientID(ctx, cid)
	if err != nil {
		return answer{}, fmt.Errorf("trades by client id: %w", err)
	}
	if f, ok := sumTrades(trades, cid); ok {
		return o.filled(cid, f)
	}
	orders, err := o.x.o.Venue.OrdersByClientID(ctx, cid)
	if err != nil {
		return answer{}, fmt.Errorf("orders by client id: %w", err)
	}
	found, ok := orderFor(orders, cid)
	switch {
	case ok && found.OrderStatus == hercle.OrderCancelled:
		detail := "cancelled by the venue"
		if found.CancellationReason != "" {
			detail += ": " + found.CancellationReason
		}
		return answer{verdict: refused, ref: found.OrderID, detail: detail}, nil
	case ok:
		return answer{verdict: accepted, detail: "order " + found.OrderStatus.String() + " at the venue, no trade yet"}, nil
	}
	return answer{verdict: missing, detail: "no record at the venue"}, nil
}

// failed: an order that did not happen moved nothing in the books.
func (o order) failed(context.Context, ledger.Intent, string) ([]ledger.Entry, []ledger.CounterAdd, error) {
	return nil, nil, nil
}

func (o order) patience() int { return o.x.o.Lookups }

// filled is the answer for a trade the venue confirmed: its fill entry.
// An answer without a usable trade is followed up by lookups; a trade on
// a pair whose assets are unknown cannot be posted.
func (o order) filled(cid string, f fill) (answer, error) {
	if f.tradeID == "" || f.size.Sign() <= 0 {
		return answer{verdict: accepted, detail: "executed without a usable trade; looked up again"}, nil
	}
	if o.pair.Base == "" || o.pair.Quote == "" {
		return answer{}, fmt.Errorf("trade %s found, but pair %s is not listed: its fill cannot be posted; resolve it by hand", f.tradeID, o.pair.Symbol)
	}
	if f.amount.Sign() <= 0 {
		f.amount = f.size.Mul(f.price)
	}
	f.amount = f.amount.Round(18)
	if f.price.Sign() <= 0 {
		f.price = f.amount.DivRound(f.size, 18)
	}
	at := f.at.Time
	if at.IsZero() {
		at = o.x.clock.Now()
	}
	baseSign, quoteSign := decimal.NewFromInt(1), decimal.NewFromInt(-1)
	if o.in.Side == market.Sell {
		baseSign, quoteSign = quoteSign, baseSign
	}
	avail, cp := ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle)
	e := ledger.Entry{
		Key:      ledger.TradeKey(f.tradeID),
		Kind:     ledger.KindTrade,
		Time:     at,
		ClientID: cid,
		Refs:     map[string]string{"trade_id": f.tradeID, "pair": o.pair.Symbol, "side": string(o.in.Side)},
		Memo:     o.in.Strategy + " " + o.in.Ref,
		Postings: []ledger.Posting{
			{Account: avail, Asset: o.pair.Base, Amount: f.size.Mul(baseSign)},
			{Account: cp, Asset: o.pair.Base, Amount: f.size.Mul(baseSign).Neg()},
			{Account: avail, Asset: o.pair.Quote, Amount: f.amount.Mul(quoteSign)},
			{Account: cp, Asset: o.pair.Quote, Amount: f.amount.Mul(quoteSign).Neg()},
		},
	}
	return answer{verdict: done, ref: f.tradeID, entries: []ledger.Entry{e}, fill: &f}, nil
}

// fill is a trade as confirmed by the venue.
type fill struct {
	tradeID             string
	size, amount, price decimal.Decimal
	at                  hercle.Time
}

// Execute runs a trade intent: for OTC a price quote (sized from the
// amount first when the intent gives one), for RFQ a quote request; the
// quote checked against the intent and risk's CheckQuote; then the order
// or accept under the send protocol. in.ID, if set, is the Client-Id; an
// intent with that id already in the ledger is never sent again but
// resolved by lookup.
//
// ctx ends everything before the intent is recorded (then nothing is
// sent) and the follow-up lookups of an outcome not yet final (then the
// intent is left for recovery and the result is Unresolved). It does not
// cut short the money-moving request once recorded, nor the recording of
// its answer.
func (x *Executor) Execute(ctx context.Context, in strategy.Intent) Result {
	if err := in.Validate(); err != nil {
		return x.notSent(in, "invalid intent: "+err.Error())
	}
	pair, ok := x.o.Pairs(in.Pair)
	if !ok {
		return x.notSent(in, "unknown pair "+in.Pair)
	}
	if in.ID == "" {
		id, err := x.o.NewClientID()
		if err != nil {
			return x.notSent(in, "client id: "+err.Error())
		}
		in.ID = id
	}
	if it, err := x.o.Store.Intent(ctx, in.ID); err == nil {
		x.log.Warn("intent already recorded; resolving instead of sending", "client_id", in.ID, "state", it.State)
		return x.follow(ctx, order{x: x, in: in, pair: pair}, it, x.o.Lookups)
	}
	var quote string
	var why string
	if in.Path == strategy.RFQ {
		quote, why = x.rfqQuote(ctx, in)
	} else {
		quote, why = x.otcQuote(ctx, in)
	}
	if why != "" {
		r := x.notSent(in, why)
		x.results.WithLabelValues(string(in.Path), r.Status.String()).Inc()
		return r
	}
	o := order{x: x, in: in, pair: pair, quote: quote}
	r := x.orderResult(ctx, o, protocol{x}.send(ctx, in.ID, o))
	x.results.WithLabelValues(string(in.Path), r.Status.String()).Inc()
	return r
}

// otcQuote asks for the price quote an OTC order is placed on and checks
// it; it returns the quote's priceId, or why nothing is sent.
func (x *Executor) otcQuote(ctx context.Context, in strategy.Intent) (string, string) {
	size := in.Size
	if size.Sign() == 0 {
		sq, err := x.o.Venue.PairSizeByAmount(ctx, in.Pair, in.Side, in.Amount)
		if err != nil {
			return "", "size for amount: " + err.Error()
		}
		size = sq.Size.Decimal
	}
	q, err := x.o.Venue.Price(ctx, in.Pair, size)
	if err != nil {
		return "", "price quote: " + err.Error()
	}
	p := q.BuyPrice.Decimal
	if in.Side == market.Sell {
		p = q.SellPrice.Decimal
	}
	if in.LimitPrice.Sign() > 0 && ((in.Side == market.Buy && p.GreaterThan(in.LimitPrice)) || (in.Side == market.Sell && p.LessThan(in.LimitPrice))) {
		return "", fmt.Sprintf("quote %s is beyond the limit price %s", p, in.LimitPrice)
	}
	// The same check as an RFQ quote's: kill switch and gate, and the
	// quote against the streaming price, right before the order.
	if x.o.CheckQuote != nil {
		if err := x.o.CheckQuote(x.clock.Now(), in, risk.Quote{Price: p}); err != nil {
			return "", "quote declined: " + err.Error()
		}
	}
	return q.ID, ""
}

// rfqQuote requests an RFQ quote and checks it against the intent and the
// streaming price; it returns the quote's id, or why nothing is sent.
func (x *Executor) rfqQuote(ctx context.Context, in strategy.Intent) (string, string) {
	q, err := x.o.Venue.CreateRFQ(ctx, hercle.RFQRequest{Pair: in.Pair, Side: in.Side, Size: hercle.N(in.Size), Amount: hercle.N(in.Amount)})
	if err != nil {
		return "", "create RFQ: " + err.Error()
	}
	if x.o.CheckQuote == nil {
		return "", "no quote check configured; RFQ declined"
	}
	if why := quoteMismatch(in, q); why != "" {
		return "", "quote declined: " + why
	}
	if err := x.o.CheckQuote(x.clock.Now(), in, risk.Quote{Price: q.Price.Decimal, Expires: q.ExpireDateTime.Time}); err != nil {
		return "", "quote declined: " + err.Error()
	}
	return q.RequestForQuoteID, ""
}

// quoteMismatch says why an RFQ quote is not for the intent risk approved:
// another side, or more than was asked (a size for a size, an amount for
// an amount); "" if it is. A quote for less (the venue's rounding) is
// accepted.
func quoteMismatch(in strategy.Intent, q hercle.RFQ) string {
	switch {
	case q.Side != "" && q.Side != in.Side:
		return fmt.Sprintf("the quote is to %s, the intent to %s", q.Side, in.Side)
	case in.Size.IsPositive() && q.Size.GreaterThan(in.Size):
		return fmt.Sprintf("the quote is for size %s, the intent for %s", q.Size, in.Size)
	case !in.Size.IsPositive() && q.Amount.GreaterThan(in.Amount):
		return fmt.Sprintf("the quote is for amount %s, the intent for %s", q.Amount, in.Amount)
	}
	return ""
}

// orderResult follows an order the venue accepted but has not finished
// (Created, Pending, or an unknown outcome) by lookups, every Follow, at
// most Lookups times, and returns its result.
func (x *Executor) orderResult(ctx context.Context, o order, out outcome) Result {
	if out.stage == stagePending || out.stage == stageUnknown {
		it, err := x.o.Store.Intent(context.WithoutCancel(ctx), o.in.ID)
		if err != nil {
			return x.result(o.in, outcome{stage: stageUnknown, detail: "read the intent: " + err.Error()})
		}
		return x.follow(ctx, o, it, x.o.Lookups-1)
	}
	return x.result(o.in, out)
}

// follow looks an order up until it is final, at most n times, waiting
// Follow before each lookup; ctx ends the waiting. A venue that cannot be
// asked ends it at once: the caller (the loop's resolver, recovery) asks
// again later.
func (x *Executor) follow(ctx context.Context, o order, it ledger.Intent, n int) Result {
	out := protocol{x}.resolve(ctx, it, o)
	for i := 1; i < n && (out.stage == stagePending || out.stage == stageUnknown && out.err == nil); i++ {
		t := x.clock.NewTimer(x.o.Follow)
		select {
		case <-ctx.Done():
			t.Stop()
			return x.result(o.in, outcome{stage: stageUnknown, detail: "stopped while looking up: " + ctx.Err().Error()})
		case <-t.C():
		}
		if it, err := x.o.Store.Intent(context.WithoutCancel(ctx), o.in.ID); err == nil {
			out = protocol{x}.resolve(ctx, it, o)
		}
	}
	if out.stage == stageDone && out.ans.fill == nil {
		return x.recordedFill(ctx, o)
	}
	return x.result(o.in, out)
}

// result turns an order's outcome into its Result.
func (x *Executor) result(in strategy.Intent, out outcome) Result {
	r := Result{Intent: in, Status: Unresolved, Detail: out.detail, Err: out.err, Time: x.clock.Now()}
	switch out.stage {
	case stageFailed:
		r.Status = Failed
	case stageDone:
		r.Status = Filled
		if f := out.ans.fill; f != nil {
			r.TradeID, r.Size, r.Amount, r.Price = f.tradeID, f.size, f.amount, f.price
			x.notional.WithLabelValues(in.Pair, string(x.quoteOf(in.Pair))).Add(f.amount.InexactFloat64())
		}
	}
	return r
}

func (x *Executor) quoteOf(pair string) market.Asset {
	p, _ := x.o.Pairs(pair)
	return p.Quote
}

// recordedFill reports an order the ledger already holds as filled, as the
// fill its journal entry holds, so a caller never mistakes it for a
// failure and trades again.
func (x *Executor) recordedFill(ctx context.Context, o order) Result {
	it, err := x.o.Store.Intent(ctx, o.in.ID)
	if err != nil {
		return Result{Intent: o.in, Status: Unresolved, Detail: "read recorded intent: " + err.Error(), Time: x.clock.Now()}
	}
	e, err := x.o.Store.Entry(ctx, ledger.TradeKey(it.VenueRef))
	if err != nil {
		return Result{Intent: o.in, Status: Unresolved, Detail: "succeeded in the ledger but its fill cannot be read: " + err.Error(), Time: x.clock.Now()}
	}
	r := Result{Intent: o.in, Status: Filled, TradeID: it.VenueRef, Detail: "already filled; not sent again", Time: x.clock.Now()}
	avail := ledger.VenueAvailable(ledger.Hercle)
	for _, p := range e.Postings {
		if p.Account != avail {
			continue
		}
		switch p.Asset {
		case o.pair.Base:
			r.Size = p.Amount.Abs()
		case o.pair.Quote:
			r.Amount = p.Amount.Abs()
		}
	}
	if r.Size.Sign() > 0 {
		r.Price = r.Amount.DivRound(r.Size, 18)
	}
	return r
}

// notSent reports an intent that was never recorded, so never sent.
func (x *Executor) notSent(in strategy.Intent, detail string) Result {
	return Result{Intent: in, Status: Failed, Detail: detail, Time: x.clock.Now()}
}

// sumTrades sums the trades of clientID into one fill, keyed by the first
// trade's id. A trade listed twice counts once, and one without an id is
// left out: it could not be told from a repeat, and a fill needs an id for
// its journal key.
func sumTrades(ts []hercle.Trade, clientID string) (fill, bool) {
	var f fill
	n := 0
	seen := make(map[string]bool, len(ts))
	for _, t := range ts {
		if t.ClientID != "" && t.ClientID != clientID || t.ID == "" || seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		q := t.QuantityFilled.Decimal
		if n == 0 {
			f.tradeID, f.at = t.ID, t.Timestamp
		}
		f.size = f.size.Add(q)
		f.amount = f.amount.Add(q.Mul(t.Price.Decimal))
		n++
	}
	if n == 0 || f.size.Sign() <= 0 {
		return fill{}, false
	}
	f.price = f.amount.DivRound(f.size, 18)
	return f, true
}

func orderFor(os []hercle.Order, clientID string) (hercle.Order, bool) {
	for _, o := range os {
		if o.ClientID == "" || o.ClientID == clientID {
			return o, true
		}
	}
	return hercle.Order{}, false
}

package execution

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// fill is a trade as confirmed by the venue.
type fill struct {
	tradeID             string
	size, amount, price decimal.Decimal
	at                  hercle.Time
}

// answered handles the venue's answer to the money-moving request. The
// answer is recorded even if ctx has ended; ctx ends only the lookups.
func (x *Executor) answered(ctx context.Context, in strategy.Intent, pair market.Pair, ex hercle.Execution, err error) Result {
	switch {
	case err == nil:
	case errors.Is(err, hercle.ErrNotSent):
		// Provably never reached the venue.
		return x.final(ctx, in, ledger.StateFailed, "", "not sent: "+err.Error())
	case errors.Is(err, hercle.ErrOutcomeUnknown):
		x.log.Warn("order outcome unknown; looking it up by client id", "client_id", in.ID, "err", err)
		if _, terr := x.o.Store.Transition(context.WithoutCancel(ctx), in.ID, ledger.StateUnknown, ledger.Detail{Note: clip(err.Error())}); terr != nil {
			return x.unresolved(in, "record unknown outcome: "+terr.Error())
		}
		return x.lookup(ctx, in, pair, ledger.StateUnknown)
	default:
		var api *hercle.APIError
		if errors.As(err, &api) && api.Code != "" {
			return x.final(ctx, in, ledger.StateFailed, "", fmt.Sprintf("venue refused (%s): %s", api.Code, api.Message))
		}
		return x.final(ctx, in, ledger.StateFailed, "", "venue refused: "+err.Error())
	}
	switch ex.Status {
	case hercle.OrderExecuted:
		return x.filled(ctx, in, pair, ledger.StateSubmitted, fill{
			tradeID: ex.TradeID, size: ex.Size.Decimal, amount: ex.Notional.Decimal, price: ex.Price.Decimal, at: ex.Timestamp,
		})
	case hercle.OrderCancelled:
		detail := "cancelled by the venue"
		if ex.StatusError != "" {
			detail += ": " + ex.StatusError
		}
		return x.final(ctx, in, ledger.StateFailed, ex.TradeID, detail)
	default:
		// Created or Pending: follow it to a final status.
		return x.lookup(ctx, in, pair, ledger.StateSubmitted)
	}
}

// lookup asks the venue about the intent by Client-Id until it has a final
// answer or the lookups run out. state is the intent's state in the ledger
// (submitted or unknown).
func (x *Executor) lookup(ctx context.Context, in strategy.Intent, pair market.Pair, state ledger.IntentState) Result {
	var last string
	for attempt := 0; attempt < x.o.Lookups; attempt++ {
		if attempt > 0 {
			t := x.clock.NewTimer(x.o.Follow)
			select {
			case <-ctx.Done():
				t.Stop()
				return x.unresolved(in, "stopped while looking up: "+ctx.Err().Error())
			case <-t.C():
			}
		}
		trades, err := x.o.Venue.TradesByClientID(ctx, in.ID)
		if err != nil {
			last = "trades by client id: " + err.Error()
			continue
		}
		if f, ok := sumTrades(trades, in.ID); ok {
			return x.filled(ctx, in, pair, state, f)
		}
		orders, err := x.o.Venue.OrdersByClientID(ctx, in.ID)
		if err != nil {
			last = "orders by client id: " + err.Error()
			continue
		}
		o, found := orderFor(orders, in.ID)
		switch {
		case found && o.OrderStatus == hercle.OrderCancelled:
			detail := "cancelled by the venue"
			if o.CancellationReason != "" {
				detail += ": " + o.CancellationReason
			}
			return x.final(ctx, in, x.failedFrom(state), o.OrderID, detail)
		case found:
			last = "order " + o.OrderStatus.String() + " at the venue, no trade yet"
		default:
			last = "no record at the venue"
		}
	}
	if last == "no record at the venue" {
		// The venue never received it: it failed, and only a new intent
		// with a new Client-Id may try again.
		return x.final(ctx, in, x.failedFrom(state), "", "no record at the venue after lookups by client id")
	}
	if state == ledger.StateSubmitted {
		if _, err := x.o.Store.Transition(context.WithoutCancel(ctx), in.ID, ledger.StateUnknown, ledger.Detail{Note: clip(last)}); err != nil {
			x.log.Error("record unknown outcome", "client_id", in.ID, "err", err)
		}
	}
	return x.unresolved(in, last)
}

// failedFrom is the final state of a failure reached from state.
func (x *Executor) failedFrom(state ledger.IntentState) ledger.IntentState {
	if state == ledger.StateUnknown {
		return ledger.StateResolved
	}
	return ledger.StateFailed
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

// filled posts the fill and then marks the intent final. The entry comes
// first: if the process dies between the two, recovery finds the trade
// again and posting it is a no-op. Both are written even if ctx has ended.
func (x *Executor) filled(ctx context.Context, in strategy.Intent, pair market.Pair, state ledger.IntentState, f fill) Result {
	if f.tradeID == "" || f.size.Sign() <= 0 {
		return x.lookup(ctx, in, pair, state) // an answer without a usable trade: ask again
	}
	if pair.Base == "" || pair.Quote == "" {
		return x.unresolved(in, fmt.Sprintf("trade %s found, but pair %s is not listed: its fill cannot be posted; resolve it by hand", f.tradeID, pair.Symbol))
	}
	ctx = context.WithoutCancel(ctx)
	if f.amount.Sign() <= 0 {
		f.amount = f.size.Mul(f.price)
	}
	f.amount = f.amount.Round(18)
	at := f.at.Time
	if at.IsZero() {
		at = x.clock.Now()
	}
	baseSign, quoteSign := decimal.NewFromInt(1), decimal.NewFromInt(-1)
	if in.Side == market.Sell {
		baseSign, quoteSign = quoteSign, baseSign
	}
	avail, cp := ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle)
	e := ledger.Entry{
		Key:      TradeKey(f.tradeID),
		Kind:     ledger.KindTrade,
		Time:     at,
		ClientID: in.ID,
		Refs:     map[string]string{"trade_id": f.tradeID, "pair": pair.Symbol, "side": string(in.Side)},
		Memo:     in.Strategy + " " + in.Ref,
		Postings: []ledger.Posting{
			{Account: avail, Asset: pair.Base, Amount: f.size.Mul(baseSign)},
			{Account: cp, Asset: pair.Base, Amount: f.size.Mul(baseSign).Neg()},
			{Account: avail, Asset: pair.Quote, Amount: f.amount.Mul(quoteSign)},
			{Account: cp, Asset: pair.Quote, Amount: f.amount.Mul(quoteSign).Neg()},
		},
	}
	_, created, err := x.o.Store.Post(ctx, e)
	if err != nil {
		return x.unresolved(in, "post fill: "+err.Error())
	}
	if created {
		x.notional.WithLabelValues(pair.Symbol, string(pair.Quote)).Add(f.amount.InexactFloat64())
	}
	to, d := ledger.StateSucceeded, ledger.Detail{VenueRef: f.tradeID}
	if state == ledger.StateUnknown {
		to, d.Outcome = ledger.StateResolved, ledger.StateSucceeded
	}
	if _, err := x.o.Store.Transition(ctx, in.ID, to, d); err != nil {
		// The fill is recorded; the intent will be resolved again at start-up.
		x.log.Error("record fill outcome", "client_id", in.ID, "err", err)
	}
	return Result{Intent: in, Status: Filled, TradeID: f.tradeID, Size: f.size, Amount: f.amount, Price: f.price, Time: x.clock.Now()}
}

// TradeKey is the journal key of a Hercle fill.
func TradeKey(tradeID string) string { return "hercle:trade:" + tradeID }

// final records a final failure, even if ctx has ended.
func (x *Executor) final(ctx context.Context, in strategy.Intent, to ledger.IntentState, ref, detail string) Result {
	ctx = context.WithoutCancel(ctx)
	d := ledger.Detail{VenueRef: ref, Note: clip(detail)}
	if to == ledger.StateResolved {
		d.Outcome = ledger.StateFailed
	}
	if _, err := x.o.Store.Transition(ctx, in.ID, to, d); err != nil {
		x.log.Error("record failed intent", "client_id", in.ID, "err", err)
	}
	return Result{Intent: in, Status: Failed, Detail: detail, Time: x.clock.Now()}
}

// never fails an intent that was recorded but never sent.
func (x *Executor) never(ctx context.Context, in strategy.Intent, detail string) Result {
	return x.final(ctx, in, ledger.StateFailed, "", detail)
}

// fail reports an intent that was never recorded.
func (x *Executor) fail(in strategy.Intent, detail string) Result {
	return Result{Intent: in, Status: Failed, Detail: detail, Time: x.clock.Now()}
}

func (x *Executor) unresolved(in strategy.Intent, detail string) Result {
	return Result{Intent: in, Status: Unresolved, Detail: detail, Time: x.clock.Now()}
}

// clip bounds a note kept in the ledger.
func clip(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

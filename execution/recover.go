package execution

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// resolve settles an intent that is already in the ledger, by looking it up
// at the venue, never by sending it.
func (x *Executor) resolve(ctx context.Context, in strategy.Intent, pair market.Pair, state ledger.IntentState) Result {
	switch state {
	case ledger.StatePending:
		// submitted is written before the request, so a pending intent
		// was never sent.
		return x.final(ctx, in, ledger.StateFailed, "", "interrupted before it was sent")
	case ledger.StateSubmitted:
		if _, err := x.o.Store.Transition(ctx, in.ID, ledger.StateUnknown, ledger.Detail{Note: "interrupted after submission"}); err != nil {
			return x.unresolved(in, "record unknown outcome: "+err.Error())
		}
		return x.lookup(ctx, in, pair, ledger.StateUnknown)
	case ledger.StateUnknown:
		return x.lookup(ctx, in, pair, ledger.StateUnknown)
	}
	return x.recorded(ctx, in, pair)
}

// recorded reports the outcome of an intent the ledger already holds as
// final, without sending: a success is reported as the fill the journal
// holds, so a caller never mistakes it for a failure and trades again.
func (x *Executor) recorded(ctx context.Context, in strategy.Intent, pair market.Pair) Result {
	it, err := x.o.Store.Intent(ctx, in.ID)
	if err != nil {
		return x.unresolved(in, "read recorded intent: "+err.Error())
	}
	if it.State == ledger.StateFailed || it.Outcome == ledger.StateFailed {
		return Result{Intent: in, Status: Failed, Detail: "already failed in the ledger; not sent again", Time: x.clock.Now()}
	}
	e, err := x.o.Store.Entry(ctx, TradeKey(it.VenueRef))
	if err != nil {
		return x.unresolved(in, "succeeded in the ledger but its fill cannot be read: "+err.Error())
	}
	r := Result{Intent: in, Status: Filled, TradeID: it.VenueRef, Detail: "already filled; not sent again", Time: x.clock.Now()}
	avail := ledger.VenueAvailable(ledger.Hercle)
	for _, p := range e.Postings {
		if p.Account != avail {
			continue
		}
		switch p.Asset {
		case pair.Base:
			r.Size = p.Amount.Abs()
		case pair.Quote:
			r.Amount = p.Amount.Abs()
		}
	}
	if r.Size.Sign() > 0 {
		r.Price = r.Amount.DivRound(r.Size, 18)
	}
	return r
}

// Resolve settles an order or RFQ intent that an earlier Execute or
// Recover left Unresolved, while the process runs: after waiting Follow,
// it looks the intent up at the venue by Client-Id as recovery does. It
// never sends anything. The result is Unresolved again when the intent
// cannot be read or the venue cannot tell yet; ctx ends the wait and the
// lookups.
func (x *Executor) Resolve(ctx context.Context, in strategy.Intent) Result {
	t := x.clock.NewTimer(x.o.Follow)
	select {
	case <-ctx.Done():
		t.Stop()
		return x.unresolved(in, "stopped before resolving: "+ctx.Err().Error())
	case <-t.C():
	}
	it, err := x.o.Store.Intent(ctx, in.ID)
	if err != nil {
		return x.unresolved(in, "read recorded intent: "+err.Error())
	}
	pair, ok := x.o.Pairs(in.Pair)
	if !ok {
		pair = market.Pair{Symbol: in.Pair}
	}
	return x.resolve(ctx, in, pair, it.State)
}

// Recover resolves every order and RFQ intent the ledger holds unfinished,
// as at start-up after a crash: pending ones were never sent and fail;
// submitted and unknown ones are looked up by Client-Id. Nothing is sent.
// Intents of other kinds (withdrawals, transfers) belong to treasury.
func (x *Executor) Recover(ctx context.Context) ([]Result, error) {
	list, err := x.o.Store.Unfinished(ctx)
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	var out []Result
	for _, it := range list {
		if it.Kind != ledger.IntentOrder && it.Kind != ledger.IntentRFQAccept {
			continue
		}
		in, err := intentOf(it)
		if err != nil {
			x.log.Error("unreadable intent left for manual resolution", "client_id", it.ClientID, "err", err)
			out = append(out, x.unresolved(strategy.Intent{ID: it.ClientID}, err.Error()))
			continue
		}
		pair, ok := x.o.Pairs(in.Pair)
		if !ok {
			// A pair no longer listed: the lookups by Client-Id need no
			// pair, so a failure still resolves; only a fill cannot be
			// posted without the pair's assets (see filled).
			pair = market.Pair{Symbol: in.Pair}
		}
		r := x.resolve(ctx, in, pair, it.State)
		x.log.Info("recovered intent", "client_id", in.ID, "was", it.State, "result", r.Status, "detail", r.Detail)
		out = append(out, r)
	}
	return out, nil
}

// IntentOf rebuilds the strategy intent an order or RFQ intent of the
// ledger was recorded from.
func IntentOf(it ledger.Intent) (strategy.Intent, error) { return intentOf(it) }

func intentOf(it ledger.Intent) (strategy.Intent, error) {
	var r request
	if err := json.Unmarshal(it.Request, &r); err != nil {
		return strategy.Intent{}, fmt.Errorf("intent %s: request: %w", it.ClientID, err)
	}
	path := strategy.OTC
	if it.Kind == ledger.IntentRFQAccept {
		path = strategy.RFQ
	}
	return strategy.Intent{ID: it.ClientID, Strategy: r.Strategy, Ref: r.Ref, Pair: r.Pair, Side: r.Side, Size: r.Size, Amount: r.Amount, Path: path}, nil
}

package execution

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

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
		return Result{Intent: in, Status: Unresolved, Detail: "stopped before resolving: " + ctx.Err().Error(), Time: x.clock.Now()}
	case <-t.C():
	}
	it, err := x.o.Store.Intent(ctx, in.ID)
	if err != nil {
		return Result{Intent: in, Status: Unresolved, Detail: "read recorded intent: " + err.Error(), Time: x.clock.Now()}
	}
	return x.follow(ctx, order{x: x, in: in, pair: x.pairOf(in.Pair)}, it, x.o.Lookups)
}

// pairOf returns the spec of symbol. A pair no longer listed still
// resolves: the lookups by Client-Id need no pair, and only a fill cannot
// be posted without its assets.
func (x *Executor) pairOf(symbol string) market.Pair {
	if p, ok := x.o.Pairs(symbol); ok {
		return p
	}
	return market.Pair{Symbol: symbol}
}

// recoverConcurrency bounds the intents Recover looks up at once: each
// waits out its own lookups (Lookups × Follow for one the venue has no
// record of), so a takeover with several costs about one, while the
// client's rate limiter still paces the requests.
const recoverConcurrency = 8

// Recover resolves every order and RFQ intent the ledger holds unfinished,
// as at start-up after a crash: each is looked up by Client-Id (one left
// pending by an older engine was never sent and fails), several at once.
// Nothing is sent. The results are in the ledger's order. Movements
// (withdrawals, transfers) are followed by treasury (Follow).
func (x *Executor) Recover(ctx context.Context) ([]Result, error) {
	list, err := x.o.Store.Unfinished(ctx)
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	list = slices.DeleteFunc(list, func(it ledger.Intent) bool {
		return it.Kind != ledger.IntentOrder && it.Kind != ledger.IntentRFQAccept
	})
	out := make([]Result, len(list))
	sem := make(chan struct{}, recoverConcurrency)
	var wg sync.WaitGroup
	for i, it := range list {
		in, err := IntentOf(it)
		if err != nil {
			x.log.Error("unreadable intent left for manual resolution", "client_id", it.ClientID, "err", err)
			out[i] = Result{Intent: strategy.Intent{ID: it.ClientID}, Status: Unresolved, Detail: err.Error(), Time: x.clock.Now()}
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := x.follow(ctx, order{x: x, in: in, pair: x.pairOf(in.Pair)}, it, x.o.Lookups)
			x.log.Info("recovered intent", "client_id", in.ID, "was", it.State, "result", r.Status, "detail", r.Detail)
			out[i] = r
		})
	}
	wg.Wait()
	return out, nil
}

// IntentOf rebuilds the strategy intent an order or RFQ intent of the
// ledger was recorded from.
func IntentOf(it ledger.Intent) (strategy.Intent, error) {
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

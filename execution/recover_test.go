package execution_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
)

// An intent whose pair the venue no longer lists (delisted, or left out
// of the pairs read at start-up) must still be resolved: the lookups by
// Client-Id need no pair, and the daemon waits for recovery to resolve
// every intent before it trades, so one that never resolves stops trading
// for good.
func TestRecoverResolvesIntentsOfAnUnlistedPair(t *testing.T) {
	r := newRig(t, sim.Faults{}, nil)
	ctx := context.Background()
	req, _ := json.Marshal(map[string]any{"strategy": "test", "pair": "XRPUSDT", "side": "buy", "size": "100", "amount": "0", "path": "otc"})
	pending, lost := "delisted-pending", "delisted-submitted"
	for _, id := range []string{pending, lost} {
		if _, _, err := r.store.CreateIntent(ctx, ledger.Intent{ClientID: id, Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: req}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.store.Transition(ctx, lost, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	// And one that traded on a pair left out of the executor's list: its
	// fill cannot be posted without the pair's assets, so it waits for a
	// person, and nothing half-formed reaches the journal.
	filled := "delisted-filled"
	freq, _ := json.Marshal(map[string]any{"strategy": "test", "pair": "ETHEUR", "side": "buy", "size": "1", "amount": "0", "path": "otc"})
	if _, _, err := r.store.CreateIntent(ctx, ledger.Intent{ClientID: filled, Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: freq}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Transition(ctx, filled, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	q, err := r.srv.Venue().Quote("ETHEUR", d("1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.srv.Venue().PlaceOrder(sim.OrderRequest{PriceID: q.ID, Side: "buy", Slippage: d("1"), ClientID: filled}); err != nil {
		t.Fatal(err)
	}
	delete(r.pairs, "ETHEUR")

	results, err := r.exec.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if res.Intent.ID == filled {
			if res.Status != execution.Unresolved {
				t.Errorf("recovered %s: %v (%s), want unresolved", filled, res.Status, res.Detail)
			}
			continue
		}
		if res.Status != execution.Failed {
			t.Errorf("recovered %s: %v (%s), want failed: the venue has no record of it", res.Intent.ID, res.Status, res.Detail)
		}
	}
	if left, _ := r.store.Unfinished(ctx); len(left) != 1 || left[0].ClientID != filled {
		t.Errorf("%d unfinished after recovery, want only %s", len(left), filled)
	}
	if err := r.store.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if it := r.intent(t, pending); it.State != ledger.StateFailed {
		t.Errorf("pending intent = %s", it.State)
	}
	if it := r.intent(t, lost); it.State != ledger.StateFailed {
		t.Errorf("submitted intent = %s/%s", it.State, it.Outcome)
	}
}

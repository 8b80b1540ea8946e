package execution_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
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

// barrierVenue holds every lookup by Client-Id until n of them are in
// flight together (or ctx ends): sequential lookups never get through.
type barrierVenue struct {
	execution.Venue
	n       int
	mu      sync.Mutex
	waiting int
	open    chan struct{}
}

func (b *barrierVenue) OrdersByClientID(ctx context.Context, id string) ([]hercle.Order, error) {
	b.mu.Lock()
	if b.waiting++; b.waiting == b.n {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.Venue.OrdersByClientID(ctx, id)
}

// Recover looks several unfinished intents up at once (a takeover with
// several costs about one's lookups, not their sum), and answers them in
// the ledger's order.
func TestRecoverLooksIntentsUpTogether(t *testing.T) {
	r := newRig(t, sim.Faults{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := json.Marshal(map[string]any{"strategy": "test", "pair": "BTCEUR", "side": "buy", "size": "0.01", "amount": "0", "path": "otc"})
	ids := []string{"lost-a", "lost-b", "lost-c"}
	for _, id := range ids {
		if _, _, err := r.store.CreateIntent(ctx, ledger.Intent{ClientID: id, Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: req}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.store.Transition(ctx, id, ledger.StateSubmitted, ledger.Detail{}); err != nil {
			t.Fatal(err)
		}
	}
	venue := &barrierVenue{Venue: r.client, n: len(ids), open: make(chan struct{})}
	x, err := execution.New(execution.Options{Venue: venue, Store: r.store, Follow: time.Millisecond, Lookups: 1,
		Pairs:       func(s string) (market.Pair, bool) { p, ok := r.pairs[s]; return p, ok },
		CheckQuote:  func(time.Time, strategy.Intent, risk.Quote) error { return nil },
		NewClientID: func() (string, error) { return "", errors.New("recovery sends nothing") }})
	if err != nil {
		t.Fatal(err)
	}
	results, err := x.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, res := range results {
		if res.Intent.ID != ids[i] || res.Status != execution.Failed {
			t.Errorf("result %d = %s %v (%s), want %s failed: the lookups were not made together, or not in order", i, res.Intent.ID, res.Status, res.Detail, ids[i])
		}
	}
}

package trader

import (
	"context"
	"testing"
	"time"

	"github.com/otcdesk/engine/ledger"
)

// An order the venue leaves pending is followed by lookups on the
// executor's clock. Stopping the loop must not wait for those lookups to
// run out (30 of them a second apart by default, each with its own request
// timeout): Run returns once the order is recorded, and the intent is left
// for recovery, sent exactly once.
func TestRunStopsWhileAnOrderIsFollowed(t *testing.T) {
	r := newSimRig(t, 30)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := r.run(ctx)
	// The executor has the order pending at the venue and waits on its
	// clock for the next lookup.
	waitFor(t, "the order to reach the follow-up lookups", func() bool { return r.clock.Pending() > 0 })
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended: shutdown waits for the lookups of a pending order")
	}
	ids := r.intents()
	if len(ids) != 1 {
		t.Fatalf("intents approved: %v", ids)
	}
	it, err := r.store.Intent(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if it.State != ledger.StateSubmitted && it.State != ledger.StateUnknown {
		t.Fatalf("intent state %s, want submitted or unknown, left for recovery", it.State)
	}
	if got := r.srv.Venue().OrdersByClientID(ids[0]); len(got) != 1 {
		t.Fatalf("venue holds %d orders for the intent, want 1", len(got))
	}
}

package trader

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/otcdesk/engine/ledger"
)

// An intent whose lookups run out while the order is still open at the
// venue comes back Unresolved. Recovery runs only at start-up, so the loop
// itself must keep resolving it (by lookup, never by sending it again):
// otherwise its strategy waits for an outcome forever (a threshold never
// fires again), its hold and open slot stay taken, and a fill the venue
// makes later never reaches the ledger while the daemon runs.
func TestLoopKeepsResolvingAnUnresolvedIntent(t *testing.T) {
	r := newSimRig(t, 2)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := r.run(ctx)
	var id string
	state := func() ledger.Intent {
		it, err := r.store.Intent(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	waitFor(t, "the order to be sent", func() bool {
		if ids := r.intents(); len(ids) == 1 {
			id = ids[0]
			_, err := r.store.Intent(context.Background(), id)
			return err == nil
		}
		return false
	})
	// Its two lookups find the order pending: it comes back unresolved.
	unresolved := r.loop.metrics.intents.WithLabelValues("dip", "unresolved")
	waitFor(t, "the intent to come back unresolved", func() bool {
		if r.clock.Pending() > 0 {
			r.clock.Advance(time.Second)
		}
		if it := state(); it.State.Final() {
			t.Fatalf("history %+v", it.History)
		}
		return testutil.ToFloat64(unresolved) >= 1
	})
	// The venue executes it later.
	r.venue.Advance(2 * time.Hour)
	waitFor(t, "the loop to resolve the intent", func() bool {
		if r.clock.Pending() > 0 {
			r.clock.Advance(time.Second)
		}
		return state().State.Final()
	})
	it := state()
	if it.State != ledger.StateSucceeded {
		t.Fatalf("intent %s, want succeeded", it.State)
	}
	if _, err := r.store.Entry(context.Background(), ledger.TradeKey(it.VenueRef)); err != nil {
		t.Fatalf("fill not posted: %v", err)
	}
	if got := r.srv.Venue().OrdersByClientID(id); len(got) != 1 {
		t.Fatalf("venue holds %d orders for the intent, want 1: it was sent again", len(got))
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The loop applied the fill: the strategy's intent is closed and the
	// bought BTC is in its totals.
	if len(r.loop.state.Open) != 0 {
		t.Errorf("open intents after the fill: %v", r.loop.state.Open)
	}
	if got := r.loop.state.Balances["BTC"].Total; !got.Equal(d("0.01")) {
		t.Errorf("BTC total %s, want 0.01", got)
	}
}

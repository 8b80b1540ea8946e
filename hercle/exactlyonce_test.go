package hercle_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// TestExactlyOnceUnderFaults sends 1,000 OTC orders with Client-Ids
// through a simulator that behaves like production (no Client-Id
// deduplication) and fails 30% of requests: 429s, connection resets before
// the request is read, and 500s after the order executed. The caller
// follows the engine's rule: an order is re-sent, with the same Client-Id,
// only after a lookup by that Client-Id says it is absent. Every order must
// execute exactly once.
func TestExactlyOnceUnderFaults(t *testing.T) {
	srv, c, _ := startSim(t, sim.Options{Seed: seed, Dedup: false, Faults: sim.Faults{
		RateLimited: 0.10, ResetBeforeRead: 0.10, ErrorAfterApply: 0.10,
	}})
	v := srv.Venue()
	ctx := t.Context()

	const orders = 1000
	var direct, viaLookup, resent int
	for i := range orders {
		id := fmt.Sprintf("eo-%04d", i)
		for attempt := 0; ; attempt++ {
			if attempt > 20 {
				t.Fatalf("order %s: no outcome after %d attempts", id, attempt)
			}
			q, err := c.Price(ctx, "BTCUSDT", d("0.001"))
			if err != nil {
				t.Fatalf("Price: %v", err)
			}
			ex, sent, err := c.PlaceOrder(ctx, hercle.OrderRequest{PriceID: q.ID, Side: market.Buy, Slippage: hercle.MustNumber("1")}, id)
			if sent != id {
				t.Fatalf("PlaceOrder sent Client-Id %q, want %q", sent, id)
			}
			if err == nil {
				if ex.Status != hercle.OrderExecuted {
					t.Fatalf("order %s status %d, want executed", id, ex.Status)
				}
				direct++
				break
			}
			var unknown *hercle.UnknownOutcomeError
			if !errors.As(err, &unknown) || !errors.Is(err, hercle.ErrOutcomeUnknown) {
				t.Fatalf("order %s: %v; want confirmed or outcome unknown", id, err)
			}
			if unknown.ClientID != id {
				t.Fatalf("UnknownOutcomeError.ClientID = %q, want %q", unknown.ClientID, id)
			}
			found, err := c.OrdersByClientID(ctx, id)
			if err != nil {
				t.Fatalf("lookup %s: %v", id, err)
			}
			if len(found) > 1 {
				t.Fatalf("order %s executed %d times", id, len(found))
			}
			if len(found) == 1 {
				if found[0].OrderStatus != hercle.OrderExecuted || found[0].ClientID != id {
					t.Fatalf("lookup %s = %+v, want one executed order", id, found[0])
				}
				viaLookup++
				break
			}
			// Absent at the venue: only now may the order go again.
			if n := v.Executions(id); n != 0 {
				t.Fatalf("lookup said %s is absent but the venue executed it %d times", id, n)
			}
			resent++
		}
	}
	for i := range orders {
		id := fmt.Sprintf("eo-%04d", i)
		if n := v.Executions(id); n != 1 {
			t.Errorf("order %s executed %d times, want 1", id, n)
		}
	}
	t.Logf("%d orders: %d confirmed directly, %d confirmed by lookup, %d re-sent after an absent lookup", orders, direct, viaLookup, resent)
	if viaLookup == 0 || resent == 0 {
		t.Errorf("faults did not exercise both recovery paths: %d by lookup, %d re-sent", viaLookup, resent)
	}
}

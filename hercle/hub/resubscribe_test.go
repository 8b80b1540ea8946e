package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/sim"
)

// Subscriptions the hub refuses after a reconnect do not leave the pair
// without prices: the client sends them again while connected, and when a
// refusal leaves the signalr client closed on a protocol error (the
// simulator's refusal, a hub method panic, answers with two completions)
// the session ends and reconnects instead of staying "connected" with
// nothing getting through.
func TestHubRecoversFromRefusedResubscriptions(t *testing.T) {
	_, h, url := startHub(t, sim.HubOptions{PriceInterval: 20 * time.Millisecond})
	e := newEvents()
	c := runClient(t, e.config(url))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.SubscribePairPriceChannel(ctx, "sub-1", "BTCUSDT", hercle.MustNumber("0.01")); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, 5*time.Second, "a first price", func() bool { return len(e.prices) > 0 })
	h.RefuseSubscriptions(2)
	if n := h.DropConnections(); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	e.waitFor(t, 5*time.Second, "the reconnect", func() bool { return c.State().Reconnects >= 1 })
	e.mu.Lock()
	before := len(e.prices)
	e.mu.Unlock()
	e.waitFor(t, 8*time.Second, "prices after the refused resubscriptions", func() bool { return len(e.prices) > before+2 })
	if got := h.Subscriptions(); len(got) != 1 {
		t.Fatalf("hub subscriptions = %v, want the one connection subscribed again", got)
	}
}

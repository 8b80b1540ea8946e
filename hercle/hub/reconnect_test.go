package hub_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/sim"
)

// TestHubReconnectUnderDrops drops every connection every 2 s (for 30 s;
// 8 s with -short) and checks that the client reconnects every time, that
// every subscription resumes within 2 s of each reconnect, that no tick
// arrives for an unsubscribed pair, and that staleness rises during each
// outage and clears after it.
func TestHubReconnectUnderDrops(t *testing.T) {
	run := 30 * time.Second
	if testing.Short() {
		run = 8 * time.Second
	}
	const dropEvery = 2 * time.Second
	_, h, url := startHub(t, sim.HubOptions{DropEvery: dropEvery, PriceInterval: 50 * time.Millisecond})

	var (
		mu          sync.Mutex
		connectedAt = map[int]time.Time{} // reconnect number → when
		resumed     = map[int]map[string]time.Duration{}
		reconnects  int
		afterUnsub  int // BTCEUR ticks after its Unsubscribe returned
		unsubDone   bool
		gaps        = map[string]int{}
		flips       = map[string][]bool{}
	)
	notify := make(chan struct{}, 1)
	poke := func() {
		select {
		case notify <- struct{}{}:
		default:
		}
	}
	src, err := feeds.NewSource(feeds.Config{StaleAfter: 300 * time.Millisecond, OnStale: func(pair string, stale bool, _ time.Time) {
		mu.Lock()
		flips[pair] = append(flips[pair], stale)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := hub.Config{
		BaseURL: url, APIKey: testKey, Seed: 11, Registerer: prometheus.NewRegistry(),
		// MinBackoff above StaleAfter: every outage must make the feed stale.
		MinBackoff: 500 * time.Millisecond, MaxBackoff: time.Second,
		OnPrice: func(p hub.PriceUpdate) {
			mu.Lock()
			if p.Pair == "BTCEUR" && unsubDone {
				afterUnsub++
			}
			k := reconnects
			if at, ok := connectedAt[k]; ok {
				if resumed[k] == nil {
					resumed[k] = map[string]time.Duration{}
				}
				if _, seen := resumed[k][p.Pair]; !seen {
					resumed[k][p.Pair] = time.Since(at)
				}
			}
			mu.Unlock()
			src.HandlePrice(p)
			poke()
		},
		OnState: func(s hub.State) {
			src.HandleState(s)
			mu.Lock()
			if s.Status == hub.Connected {
				reconnects = s.Reconnects
				connectedAt[s.Reconnects] = time.Now()
			}
			mu.Unlock()
			poke()
		},
	}
	c := runClient(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), run+20*time.Second)
	defer cancel()
	go func() { _ = src.Run(ctx) }()
	go func() {
		for {
			select {
			case u := <-src.Updates():
				if u.Gap {
					mu.Lock()
					gaps[u.Tick.Pair]++
					mu.Unlock()
				}
			case <-ctx.Done():
				return
			}
		}
	}()

	size := decimal.RequireFromString("0.01")
	for _, p := range []string{"BTCUSDT", "ETHEUR", "BTCEUR"} {
		if err := src.Subscribe(ctx, c, "sub-"+p, p, size); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil := func(d time.Duration, what string, cond func() bool) {
		t.Helper()
		deadline := time.NewTimer(d)
		defer deadline.Stop()
		for {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return
			}
			select {
			case <-notify:
			case <-deadline.C:
				t.Fatalf("timed out after %v waiting for %s", d, what)
			}
		}
	}
	waitUntil(5*time.Second, "a BTCEUR tick", func() bool {
		_, ok := resumed[0]["BTCEUR"]
		return ok
	})
	if err := src.Unsubscribe(ctx, c, "BTCEUR"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	unsubDone = true
	mu.Unlock()

	wantDrops := int(run / dropEvery)
	waitUntil(run+10*time.Second, "the drops and the last reconnect", func() bool {
		return reconnects >= wantDrops && len(resumed[reconnects]) >= 2
	})

	mu.Lock()
	defer mu.Unlock()
	t.Logf("drops %d, reconnects %d", h.Drops(), reconnects)
	if d := h.Drops(); reconnects < d-1 {
		t.Errorf("reconnects = %d after %d drops", reconnects, d)
	}
	for k := 1; k <= reconnects; k++ {
		for _, p := range []string{"BTCUSDT", "ETHEUR"} {
			lat, ok := resumed[k][p]
			if !ok && k < reconnects {
				t.Errorf("reconnect %d: no %s tick before the next drop", k, p)
				continue
			}
			if ok && lat > 2*time.Second {
				t.Errorf("reconnect %d: %s resumed after %v, want ≤ 2s", k, p, lat)
			}
		}
		if _, ok := resumed[k]["BTCEUR"]; ok {
			t.Errorf("reconnect %d: BTCEUR tick after Unsubscribe (re-subscribed?)", k)
		}
	}
	if afterUnsub != 0 {
		t.Errorf("%d BTCEUR ticks after Unsubscribe returned", afterUnsub)
	}
	for _, p := range []string{"BTCUSDT", "ETHEUR"} {
		rises, clears := 0, 0
		for _, s := range flips[p] {
			if s {
				rises++
			} else {
				clears++
			}
		}
		// Each outage lasts at least MinBackoff (500 ms) > StaleAfter.
		if rises < reconnects-1 || clears < rises-1 {
			t.Errorf("%s staleness rose %d and cleared %d times over %d reconnects", p, rises, clears, reconnects)
		}
		if gaps[p] < reconnects-1 {
			t.Errorf("%s gap markers = %d over %d reconnects", p, gaps[p], reconnects)
		}
	}
	if got := c.Subscriptions(); len(got) != 2 {
		t.Errorf("client subscriptions = %v, want BTCUSDT and ETHEUR", got)
	}
}

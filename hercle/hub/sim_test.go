package hub_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/sim"
)

// The client's behaviour across the wire is tested against the simulated
// hub (package sim) on 127.0.0.1.

const testKey = "test-key-0123456789"

// startHub starts the simulator with opts for its hub, on 127.0.0.1:0.
func startHub(t *testing.T, opts sim.HubOptions) (*sim.Venue, *sim.Hub, string) {
	t.Helper()
	const seed = 42
	t.Logf("venue seed %d", seed)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sim.Start(ctx, sim.Options{Seed: seed, APIKey: testKey, Hub: opts})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = s.Close()
	})
	return s.Venue(), s.Hub(), s.URL()
}

// events collects a hub client's callbacks for tests.
type events struct {
	mu     sync.Mutex
	prices []hub.PriceUpdate
	evs    []hub.Event
	states []hub.State
	notify chan struct{}
}

func newEvents() *events { return &events{notify: make(chan struct{}, 1)} }

func (e *events) poke() {
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

func (e *events) config(url string) hub.Config {
	return hub.Config{
		BaseURL: url, APIKey: testKey, Seed: 7, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second,
		Registerer: prometheus.NewRegistry(),
		OnPrice: func(p hub.PriceUpdate) {
			e.mu.Lock()
			e.prices = append(e.prices, p)
			e.mu.Unlock()
			e.poke()
		},
		OnEvent: func(ev hub.Event) {
			e.mu.Lock()
			e.evs = append(e.evs, ev)
			e.mu.Unlock()
			e.poke()
		},
		OnState: func(s hub.State) {
			e.mu.Lock()
			e.states = append(e.states, s)
			e.mu.Unlock()
			e.poke()
		},
	}
}

// waitFor waits until cond holds, re-checking on every callback.
func (e *events) waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		ok := cond()
		e.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-e.notify:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

func runClient(t *testing.T, cfg hub.Config) *hub.Client {
	t.Helper()
	c, err := hub.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := c.WaitConnected(wctx); err != nil {
		t.Fatalf("WaitConnected: %v", err)
	}
	return c
}

// TestArgumentFormFallback: a hub that refuses the separate-argument form
// of a subscription with a binding error gets the array form, which the
// client then remembers for that method.
func TestArgumentFormFallback(t *testing.T) {
	_, h, url := startHub(t, sim.HubOptions{ArrayOnly: []string{hub.MethodSubscribePairPriceChannel}})
	e := newEvents()
	c := runClient(t, e.config(url))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, pair := range []string{"BTCUSDT", "ETHEUR"} {
		if err := c.SubscribePairPriceChannel(ctx, "sub-"+pair, pair, hercle.MustNumber("1")); err != nil {
			t.Fatalf("SubscribePairPriceChannel #%d: %v", i, err)
		}
	}
	// First call: separate (refused), then array; second call: array only.
	if f := h.ArgumentForms()[hub.MethodSubscribePairPriceChannel]; f != [2]int{1, 2} {
		t.Fatalf("SubscribePairPriceChannel forms [separate array] = %v, want [1 2]", f)
	}
}

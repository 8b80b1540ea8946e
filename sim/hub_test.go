package sim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
	"github.com/prometheus/client_golang/prometheus"
)

const testKey = "test-key-0123456789"

// startHub serves a venue's hub on 127.0.0.1:0.
func startHub(t *testing.T, opts sim.HubOptions) (*sim.Venue, *sim.Hub, string) {
	t.Helper()
	const seed = 42
	t.Logf("venue seed %d", seed)
	v := sim.NewVenue(sim.Options{Seed: seed})
	mux := http.NewServeMux()
	ctx, cancel := context.WithCancel(context.Background())
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	h, err := sim.MountHub(ctx, mux, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		h.Close()
		srv.CloseClientConnections()
		srv.Close()
	})
	return v, h, srv.URL
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

func TestHubNegotiateNeedsKey(t *testing.T) {
	_, _, url := startHub(t, sim.HubOptions{})
	for _, auth := range []string{"", "Bearer wrong"} {
		req, _ := http.NewRequest(http.MethodPost, url+sim.HubPath+"/negotiate?negotiateVersion=1", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("negotiate with %q = %d, want 401", auth, resp.StatusCode)
		}
	}
}

func TestHubSubscribeOrderAndPushes(t *testing.T) {
	for _, asString := range []bool{false, true} {
		t.Run(map[bool]string{false: "data=object", true: "data=string"}[asString], func(t *testing.T) {
			v, h, url := startHub(t, sim.HubOptions{DataAsString: asString, PriceInterval: 20 * time.Millisecond})
			e := newEvents()
			c := runClient(t, e.config(url))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			pairs, err := c.GetPairs(ctx, "pairs-1")
			if err != nil || len(pairs) == 0 {
				t.Fatalf("GetPairs = %v, %v", pairs, err)
			}
			if err := c.SubscribePairPriceChannel(ctx, "sub-1", "BTCUSDT", hercle.MustNumber("0.01")); err != nil {
				t.Fatal(err)
			}
			var price hub.PriceUpdate
			e.waitFor(t, 5*time.Second, "a BTCUSDT price", func() bool {
				for _, p := range e.prices {
					if p.Pair == "BTCUSDT" {
						price = p
						return true
					}
				}
				return false
			})
			x, err := c.PlaceOtcOrder(ctx, "order-1", price.ID, market.Buy, hercle.MustNumber("1"))
			if err != nil {
				t.Fatalf("PlaceOtcOrder: %v", err)
			}
			if x.Status != hercle.OrderExecuted || x.Pair != "BTCUSDT" || !x.Size.Equal(hercle.MustNumber("0.01").Decimal) {
				t.Fatalf("execution = %+v", x)
			}
			if n := v.Executions("order-1"); n != 1 {
				t.Fatalf("venue executions of order-1 = %d, want 1", n)
			}
			e.waitFor(t, 5*time.Second, "a balances push", func() bool {
				for _, ev := range e.evs {
					if ev.Subject == hub.SubjectBalancesSnapshot && ev.ClientID == "" {
						return true
					}
				}
				return false
			})
			// Refusals: invalid input is preChecksError, a venue refusal *.error.
			_, err = c.PlaceOtcOrder(ctx, "order-2", "no-such-price", market.Buy, hercle.MustNumber("1"))
			var he *hub.Error
			if !errors.As(err, &he) {
				t.Fatalf("PlaceOtcOrder(unknown price) error = %v, want *HubError", err)
			}
			if _, err := c.GetPairSizeByAmount(ctx, "size-1", "NOPE", market.Buy, hercle.MustNumber("100")); !errors.As(err, &he) {
				t.Fatalf("GetPairSizeByAmount(NOPE) error = %v, want *HubError", err)
			}
			b, err := c.GetBalances(ctx, "bal-1")
			if err != nil || len(b.Assets) == 0 {
				t.Fatalf("GetBalances = %+v, %v", b, err)
			}
			if f := h.ArgumentForms()[hub.MethodPlaceOtcOrder]; f[0] != 2 || f[1] != 0 {
				t.Fatalf("PlaceOtcOrder forms = %v, want 2 separate", f)
			}
		})
	}
}

func TestHubArgumentFormFallback(t *testing.T) {
	_, h, url := startHub(t, sim.HubOptions{ArrayOnly: []string{hub.MethodGetPairs}})
	e := newEvents()
	c := runClient(t, e.config(url))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, id := range []string{"p-1", "p-2"} {
		if _, err := c.GetPairs(ctx, id); err != nil {
			t.Fatalf("GetPairs #%d: %v", i, err)
		}
	}
	// First call: separate (refused), then array; second call: array only.
	if f := h.ArgumentForms()[hub.MethodGetPairs]; f != [2]int{1, 2} {
		t.Fatalf("GetPairs forms [separate array] = %v, want [1 2]", f)
	}
}

// TestStartServesHub: the server Start returns serves the hub next to the
// REST API, with the same key, outside the REST faults.
func TestStartServesHub(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := sim.Start(ctx, sim.Options{Seed: 3, APIKey: testKey, Faults: sim.Faults{ResetBeforeRead: 1},
		Hub: sim.HubOptions{PriceInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := newEvents()
	c := runClient(t, e.config(s.URL()))
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	if err := c.SubscribePairPriceChannel(cctx, "sub-1", "ETHEUR", hercle.MustNumber("1")); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, 5*time.Second, "an ETHEUR price", func() bool { return len(e.prices) > 0 })
	if got := s.Hub().Subscriptions(); len(got) != 1 {
		t.Fatalf("hub subscriptions = %v, want one connection", got)
	}
}

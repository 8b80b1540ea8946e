package daemon_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// A start-up that fails after the background work has begun (here a feed
// pair the venue does not list) must return its error, not wait forever
// for the scheduler, which ran on the caller's still-live context.
func TestStartupErrorAfterBackgroundStartReturns(t *testing.T) {
	cfg := paperConfig(t.TempDir())
	cfg.Feeds.Pairs = append(cfg.Feeds.Pairs, feeds.PairSettings{Pair: "DOGEEUR", Size: tomlval.Dec(decimal.RequireFromString("1"))})
	secrets, err := config.LoadSecrets(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	d, err := daemon.New(cfg, secrets, daemon.Options{Logger: newLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "DOGEEUR") {
			t.Fatalf("Run = %v, want an error naming DOGEEUR", err)
		}
	case <-time.After(20 * time.Second):
		cancel()
		<-done
		t.Fatalf("Run did not return its start-up error within 20s\n%s", tail(logs.String(), 20))
	}
}

// After the hub connection drops, the daemon reconnects, subscribes its
// pairs again on the new connection, and is ready again on fresh prices.
func TestFeedResubscribesAfterHubDrop(t *testing.T) {
	cfg := paperConfig(t.TempDir())
	h := start(t, cfg, daemon.Options{})
	waitReady := func() {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, body := get(t, h.info.MetricsURL+"/readyz")
			if code == 200 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz = %d %s\n%s", code, body, tail(h.logs.String(), 30))
			}
			time.Sleep(20 * time.Millisecond) // polling an HTTP endpoint for a condition
		}
	}
	waitReady()
	hub := h.info.Sim.Hub()
	if n := hub.DropConnections(); n == 0 {
		t.Fatal("no hub connection to drop")
	}
	h.waitMetric("engine_hercle_hub_reconnects_total", nil, 1)
	deadline := time.Now().Add(20 * time.Second)
	for {
		subs := hub.Subscriptions()
		var all []string
		for _, s := range subs {
			all = append(all, s...)
		}
		if len(subs) == 1 && strings.Join(all, ",") == "BTCEUR@0.01,ETHEUR@1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions after reconnect = %v", subs)
		}
		time.Sleep(20 * time.Millisecond) // polling the simulator for a condition
	}
	for !strings.Contains(h.logs.String(), "gap=true") {
		if time.Now().After(deadline) {
			t.Fatalf("no tick marked as following a gap after the reconnect\n%s", tail(h.logs.String(), 30))
		}
		time.Sleep(20 * time.Millisecond) // polling the log for a condition
	}
	waitReady()
}

// holdOrders holds every order request until release is closed, after
// telling held that one is in flight.
type holdOrders struct {
	held    chan struct{}
	once    sync.Once
	release chan struct{}
}

func (h *holdOrders) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == "/api/v1/orders" {
		h.once.Do(func() { close(h.held) })
		select {
		case <-h.release:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return transport.RoundTrip(req)
}

// On shutdown the webhook endpoint stays up while intents in flight
// finish (their fills and transfers are reported by webhook), and closes
// with the other listeners afterwards.
func TestWebhookEndpointOutlivesIntentsInFlight(t *testing.T) {
	cfg := paperConfig(t.TempDir())
	cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always("buy", "BTCEUR", "0.001", "otc")}}
	hold := &holdOrders{held: make(chan struct{}), release: make(chan struct{})}
	logs := &syncBuffer{}
	d, err := daemon.New(cfg, config.Secrets{}, daemon.Options{Logger: newLogger(logs), HTTPClient: &http.Client{Transport: hold}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-hold.held:
	case err := <-done:
		t.Fatalf("daemon stopped: %v\n%s", err, tail(logs.String(), 30))
	case <-time.After(20 * time.Second):
		t.Fatalf("no order request within 20s\n%s", tail(logs.String(), 30))
	}
	m := regexp.MustCompile(`webhook endpoint listening.* url=(\S+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no webhook URL in the log\n%s", logs)
	}
	cancel()
	// Probe for a second after the end: the endpoint must keep answering
	// while the order is held (it closed within milliseconds before).
	deadline := time.Now().Add(time.Second)
	var probeErr error
	for time.Now().Before(deadline) {
		resp, err := http.Get(m[1])
		if probeErr = err; err != nil {
			break
		}
		resp.Body.Close()
		time.Sleep(20 * time.Millisecond) // polling the endpoint for a condition
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned while an order was still held: %v", err)
	default:
	}
	close(hold.release)
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if probeErr != nil {
		t.Fatalf("webhook endpoint closed while an intent was still in flight: %v", probeErr)
	}
}

// A venue whose clock lags ours by more than max_price_age makes risk
// refuse every price (it ages a price from the earlier of its venue time
// and its arrival); /readyz says so instead of reporting ready.
func TestReadyzReportsAVenueClockBehind(t *testing.T) {
	cfg := paperConfig(t.TempDir())
	h := start(t, cfg, daemon.Options{Sim: func(o *sim.Options) {
		o.Clock = clock.New(lagging(time.Minute))
	}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get(t, h.info.MetricsURL+"/readyz")
		if code == http.StatusServiceUnavailable && strings.Contains(body, "before they arrive") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %s, want not ready naming the venue's lagging timestamps", code, body)
		}
		time.Sleep(20 * time.Millisecond) // polling an HTTP endpoint for a condition
	}
	h.stop()
}

// lagging is the system clock set back by a duration.
type lagging time.Duration

func (l lagging) Now() time.Time { return time.Now().Add(-time.Duration(l)) }

func (lagging) NewTimer(d time.Duration) clock.Timer { return clock.Clock{}.NewTimer(d) }

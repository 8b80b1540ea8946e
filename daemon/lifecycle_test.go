package daemon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
)

// A start-up that fails after the background work has begun (here a feed
// pair the venue does not list) must return its error, not wait forever
// for the scheduler, which ran on the caller's still-live context.
func TestStartupErrorAfterBackgroundStartReturns(t *testing.T) {
	cfg := paperConfig(t.TempDir())
	cfg.Feeds.Pairs = append(cfg.Feeds.Pairs, config.FeedPair{Pair: "DOGEEUR", Size: config.A(decimal.RequireFromString("1"))})
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

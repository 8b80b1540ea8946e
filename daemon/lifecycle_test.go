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

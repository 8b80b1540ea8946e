package trader

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// An order the venue leaves pending is followed by lookups on the
// executor's clock. Stopping the loop must not wait for those lookups to
// run out (30 of them a second apart by default, each with its own request
// timeout): Run returns once the order is recorded, and the intent is left
// for recovery, sent exactly once.
func TestRunStopsWhileAnOrderIsFollowed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Options{Seed: 7, PendingProbability: 1, PendingFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := hercle.NewClient(hercle.Config{BaseURL: srv.URL(), APIKey: srv.APIKey(), RateLimit: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	store, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	pairs := map[string]market.Pair{}
	for _, p := range srv.Venue().Pairs() {
		pairs[p.Symbol] = p
	}
	clock := scheduler.NewManual(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	x, err := execution.New(execution.Options{
		Venue: client, Store: store, Clock: clock,
		Pairs:   func(s string) (market.Pair, bool) { p, ok := pairs[s]; return p, ok },
		Follow:  time.Second,
		Lookups: 30,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := strategy.DefaultThresholdParams()
	p.Pair, p.Side, p.Order = "BTCEUR", market.Buy, "limit"
	p.Price, p.Size, p.Path = strategy.Dec(d("100000")), strategy.Dec(d("0.01")), strategy.OTC
	th, err := strategy.NewThreshold("dip", p)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var ids []string
	l, err := New(Options{
		Strategies: []strategy.Strategy{th}, Risk: rk, Exec: x, Clock: clock, MaxAge: 5 * time.Second,
		Pairs:    []market.Pair{pairs["BTCEUR"]},
		Balances: map[market.Asset]decimal.Decimal{"EUR": d("100000")},
		NewID: func() (string, error) {
			n++
			ids = append(ids, fmt.Sprintf("stop-%d", n))
			return ids[len(ids)-1], nil
		},
		Registry: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- l.Run(runCtx) }()
	now := clock.Now()
	l.Tick(runCtx, market.Tick{Pair: "BTCEUR", Size: d("0.01"), BuyPrice: d("55000"), SellPrice: d("54900"), Time: now, Received: now})

	// Wait until the executor has the order pending at the venue and
	// waits on its clock for the next lookup.
	deadline := time.Now().Add(10 * time.Second)
	for clock.Pending() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the order never reached the follow-up lookups")
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended: shutdown waits for the lookups of a pending order")
	}
	if len(ids) != 1 {
		t.Fatalf("intents approved: %v", ids)
	}
	it, err := store.Intent(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if it.State != ledger.StateSubmitted && it.State != ledger.StateUnknown {
		t.Fatalf("intent state %s, want submitted or unknown, left for recovery", it.State)
	}
	if got := srv.Venue().OrdersByClientID(ids[0]); len(got) != 1 {
		t.Fatalf("venue holds %d orders for the intent, want 1", len(got))
	}
}

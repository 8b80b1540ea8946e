package trader

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// simRig is a loop trading one threshold buy of 0.01 BTCEUR over OTC
// through the real executor, against the simulator on loopback. Every
// order stays pending at the venue for an hour of the venue's clock
// (venue); the executor follows it on a manual clock of its own.
type simRig struct {
	srv   *sim.Server
	store *ledger.Store
	clock *clock.Manual
	venue *clock.Manual
	loop  *Loop

	mu  sync.Mutex
	ids []string
}

func newSimRig(t *testing.T, lookups int) *simRig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	r := &simRig{clock: clock.NewManual(start), venue: clock.NewManual(start)}
	var err error
	r.srv, err = sim.Start(ctx, sim.Options{Seed: 7, PendingProbability: 1, PendingFor: time.Hour, Clock: r.venue.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.srv.Close() })
	client, err := hercle.NewClient(hercle.Config{BaseURL: r.srv.URL(), APIKey: r.srv.APIKey(), RateLimit: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	r.store, err = ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	post(t, r.store, opening("open", ledger.Hercle, map[market.Asset]decimal.Decimal{"EUR": d("100000")}))
	pairs := map[string]market.Pair{}
	for _, p := range r.srv.Venue().Pairs() {
		pairs[p.Symbol] = p
	}
	x, err := execution.New(execution.Options{
		Venue: client, Store: r.store, Clock: r.clock.Clock(),
		Pairs:   func(s string) (market.Pair, bool) { p, ok := pairs[s]; return p, ok },
		Follow:  time.Second,
		Lookups: lookups,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := strategy.DefaultThresholdParams()
	p.Pair, p.Side, p.Order = "BTCEUR", market.Buy, "limit"
	p.Price, p.Size, p.Path = tomlval.Dec(d("100000")), tomlval.Dec(d("0.01")), strategy.OTC
	th, err := strategy.NewThreshold("dip", p)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	r.loop, err = New(Options{
		Strategies: []strategy.Strategy{th}, Risk: rk, Exec: x, Clock: r.clock.Clock(), MaxAge: 5 * time.Second,
		Pairs: []market.Pair{pairs["BTCEUR"]},
		Books: r.store,
		NewID: func() (string, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.ids = append(r.ids, fmt.Sprintf("cid-%d", len(r.ids)+1))
			return r.ids[len(r.ids)-1], nil
		},
		Registry: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *simRig) intents() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// run starts the loop and sends it one tick that fires the buy; the
// returned channel yields Run's error.
func (r *simRig) run(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() { done <- r.loop.Run(ctx) }()
	now := r.clock.Now()
	r.loop.Tick(ctx, market.Tick{Pair: "BTCEUR", Size: d("0.01"), BuyPrice: d("55000"), SellPrice: d("54900"), Time: now, Received: now})
	return done
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting: " + what)
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
}

package pnl

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/portfolio"
)

// TestFollower: the follower replays the journal, then books each entry
// the ledger commits, so a query sees every entry committed before it;
// its metrics carry the figures with bounded labels.
func TestFollower(t *testing.T) {
	s := deskJournal(t)
	reg := prometheus.NewRegistry()
	f, err := NewFollower(FollowerOptions{Ledger: s, Options: Options{Config: config(portfolio.FIFO), Pairs: []market.Pair{btceur}},
		Keys: []string{"dip"}, Registerer: reg, Clock: clock.NewManual(hour(5)).Clock()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	p, err := f.Portfolio(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Equity after the replay", p.Equity, "189970")
	order(t, s, "c4", "dip")
	post(t, s, trade("4", hour(4), "c4", btceur, market.Buy, "0.5", "35000")) // BTC now 70000
	p, err = f.Portfolio(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 2 BTC at 70000, 99970 − 35000 EUR.
	eq(t, "Equity after a live fill", p.Equity, "204970")
	if !strings.Contains(p.Prices, "last fill") {
		t.Errorf("Prices = %q, want it to say where the prices came from", p.Prices)
	}
	v, err := f.PnL(ctx, Query{By: ByStrategy})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Residual", v.Residual, "0")
	f.refresh(mustTracker(t, f))
	if got := testutil.ToFloat64(f.m.realised.WithLabelValues("take")); got != 0 {
		t.Errorf("a key outside the configured ones has its own series (%v)", got)
	}
	if got := testutil.ToFloat64(f.m.realised.WithLabelValues(other)); got != 30000 {
		t.Errorf("engine_pnl_realised{key=other} = %v, want take's 30000", got)
	}
	if got := testutil.ToFloat64(f.m.value.WithLabelValues("BTC")); got != 140000 {
		t.Errorf("engine_portfolio_value{asset=BTC} = %v, want 140000", got)
	}
}

// mustTracker returns the follower's tracker, read on its goroutine.
func mustTracker(t *testing.T, f *Follower) *Tracker {
	t.Helper()
	var tr *Tracker
	if err := f.do(context.Background(), func(x *Tracker) error { tr = x; return nil }); err != nil {
		t.Fatal(err)
	}
	return tr
}

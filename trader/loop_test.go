package trader

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestLoopTradesOnceAndMovesBalances(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	p := strategy.DefaultThresholdParams()
	p.Pair, p.Side, p.Order = "BTCEUR", market.Buy, "limit"
	p.Price, p.Size, p.Path = tomlval.Dec(d("50000")), tomlval.Dec(d("0.1")), strategy.OTC
	th, err := strategy.NewThreshold("dip", p)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	books := openBooks(t, map[market.Asset]decimal.Decimal{"EUR": d("100000")})
	btceur := market.Pair{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR", MinSize: d("0.0001"), MaxSize: d("10")}
	venue := &fillAtTick{price: d("49900"), seen: make(chan strategy.Intent, 4), store: books, pairs: map[string]market.Pair{"BTCEUR": btceur}}
	n := 0
	l, err := New(Options{
		Strategies: []strategy.Strategy{th},
		Risk:       rk,
		Exec:       venue,
		Clock:      clk.Clock(),
		MaxAge:     5 * time.Second,
		Pairs:      []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR", MinSize: d("0.0001"), MaxSize: d("10")}},
		Books:      books,
		Inline:     true,
		NewID:      func() (string, error) { n++; return fmt.Sprintf("cid-%d", n), nil },
		Registry:   prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()

	tick := func(buy string) {
		now := clk.Now()
		l.Tick(ctx, market.Tick{Pair: "BTCEUR", Size: d("0.1"), BuyPrice: d(buy), SellPrice: d(buy).Sub(d("100")), Time: now, Received: now})
	}
	tick("51000") // above the limit: nothing
	clk.Advance(time.Second)
	tick("49900") // at or below: one buy
	select {
	case in := <-venue.seen:
		if in.ID != "cid-1" || in.Strategy != "dip" || !in.Size.Equal(d("0.1")) || in.Side != market.Buy {
			t.Fatalf("executed %+v", in)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no intent reached execution")
	}
	clk.Advance(time.Second)
	tick("49000") // one-shot: already filled
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case in := <-venue.seen:
		t.Fatalf("a one-shot limit traded twice: %+v", in)
	default:
	}
	if got := l.state.Balances["BTC"]; !got.Total.Equal(d("0.1")) || !got.Available.Equal(d("0.1")) {
		t.Errorf("BTC = %+v, want 0.1 total and available", got)
	}
	if got := l.state.Balances["EUR"]; !got.Total.Equal(d("95010")) || !got.Available.Equal(d("95010")) {
		t.Errorf("EUR = %+v, want 95010 (100000 - 0.1 × 49900)", got)
	}
	if len(l.state.Open) != 0 {
		t.Errorf("open intents after the fill: %v", l.state.Open)
	}
}

func TestLoopRejectedIntentNeverExecutes(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	p := strategy.DefaultThresholdParams()
	p.Pair, p.Side, p.Order = "BTCEUR", market.Buy, "limit"
	p.Price, p.Size, p.Path = tomlval.Dec(d("50000")), tomlval.Dec(d("1")), strategy.OTC
	th, _ := strategy.NewThreshold("big", p)
	// 1 BTC at 49900 EUR is above the default 10 000 EUR per-order limit.
	rk, _ := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	venue := &fillAtTick{price: d("49900"), seen: make(chan strategy.Intent, 4)}
	l, err := New(Options{
		Strategies: []strategy.Strategy{th}, Risk: rk, Exec: venue, Clock: clk.Clock(), MaxAge: 5 * time.Second,
		Pairs:  []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"}},
		Books:  openBooks(t, map[market.Asset]decimal.Decimal{"EUR": d("100000")}),
		Inline: true,
		NewID:  func() (string, error) { return "x", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Load(ctx); err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	l.process(ctx, tickEvent{market.Tick{Pair: "BTCEUR", Size: d("1"), BuyPrice: d("49900"), SellPrice: d("49800"), Time: now, Received: now}})
	if len(l.dispatch) != 0 || len(l.state.Open) != 0 {
		t.Fatalf("a rejected intent was queued: dispatch %v open %v", l.dispatch, l.state.Open)
	}
	if got := l.state.Balances["EUR"].Available; !got.Equal(d("100000")) {
		t.Errorf("EUR available = %s after a rejection, want untouched", got)
	}
}

package feeds

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/internal/clock"
)

// nopSubscriber accepts every subscription; the wire path is tested
// against sim in sim/hub_reconnect_test.go.
type nopSubscriber struct{ subs, unsubs int }

func (n *nopSubscriber) SubscribePairPriceChannel(context.Context, string, string, hercle.Number) error {
	n.subs++
	return nil
}

func (n *nopSubscriber) UnsubscribePairPriceChannel(context.Context, string, string, hercle.Number) error {
	n.unsubs++
	return nil
}

func price(pair, size, buy, sell string, at time.Time) hub.PriceUpdate {
	return hub.PriceUpdate{ID: "q", Pair: pair, Size: hercle.MustNumber(size), BuyPrice: hercle.MustNumber(buy),
		SellPrice: hercle.MustNumber(sell), Timestamp: hercle.T(at)}
}

func TestSourceTicksStalenessAndGaps(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := clock.NewManual(start)
	type flag struct {
		pair  string
		stale bool
	}
	var flags []flag
	reg := prometheus.NewRegistry()
	s, err := NewSource(Config{Clock: clk.Clock(), Registerer: reg, OnStale: func(p string, st bool, _ time.Time) {
		flags = append(flags, flag{p, st})
	}})
	if err != nil {
		t.Fatal(err)
	}
	sub := &nopSubscriber{}
	ctx := context.Background()
	if err := s.Subscribe(ctx, sub, "c1", "BTCUSDT", decimal.RequireFromString("0.01")); err != nil {
		t.Fatal(err)
	}
	if !s.View().Stale("BTCUSDT") {
		t.Fatal("a pair never seen must be stale")
	}
	s.HandlePrice(price("BTCUSDT", "0.01", "100.5", "100.1", start.Add(-time.Millisecond)))
	s.HandlePrice(price("ETHEUR", "1", "3", "2", start))        // not subscribed
	s.HandlePrice(price("BTCUSDT", "0.02", "101", "99", start)) // other size
	u := <-s.Updates()
	if u.Gap || u.Tick.Pair != "BTCUSDT" || !u.Tick.BuyPrice.Equal(decimal.RequireFromString("100.5")) ||
		!u.Tick.Received.Equal(start) || !u.Tick.Time.Equal(start.Add(-time.Millisecond)) {
		t.Fatalf("update = %+v", u)
	}
	if len(s.Updates()) != 0 {
		t.Fatalf("%d extra updates; unsubscribed pair or size leaked", len(s.Updates()))
	}
	if _, foreign := s.Dropped(); foreign != 2 {
		t.Fatalf("unsubscribed drops = %d, want 2", foreign)
	}
	s.CheckStale()
	if len(flags) != 0 {
		t.Fatalf("flags = %v, want none while fresh", flags)
	}
	clk.Advance(DefaultStaleAfter + time.Millisecond)
	if !s.View().Stale("BTCUSDT") || len(s.View().StalePairs()) != 1 {
		t.Fatal("BTCUSDT should be stale after 5 s without a tick")
	}
	s.CheckStale()
	s.HandleState(hub.State{Status: hub.Reconnecting})
	s.HandlePrice(price("BTCUSDT", "0.01", "102", "101", clk.Now()))
	if u := <-s.Updates(); !u.Gap {
		t.Fatal("first tick after a disconnect must carry Gap")
	}
	s.HandlePrice(price("BTCUSDT", "0.01", "102", "101", clk.Now()))
	if u := <-s.Updates(); u.Gap {
		t.Fatal("second tick after a disconnect must not carry Gap")
	}
	s.CheckStale()
	if want := []flag{{"BTCUSDT", true}, {"BTCUSDT", false}}; len(flags) != 2 || flags[0] != want[0] || flags[1] != want[1] {
		t.Fatalf("flags = %v, want %v", flags, want)
	}
	if got := testutil.ToFloat64(s.m.staleG.WithLabelValues("BTCUSDT")); got != 0 {
		t.Fatalf("engine_feeds_stale = %v, want 0", got)
	}
	if got := testutil.ToFloat64(s.m.gaps.WithLabelValues("BTCUSDT")); got != 1 {
		t.Fatalf("engine_feeds_gaps_total = %v, want 1", got)
	}
	if err := s.Unsubscribe(ctx, sub, "BTCUSDT"); err != nil {
		t.Fatal(err)
	}
	s.HandlePrice(price("BTCUSDT", "0.01", "102", "101", clk.Now()))
	if len(s.Updates()) != 0 {
		t.Fatal("tick delivered after Unsubscribe")
	}
	if _, ok := s.View().Last("BTCUSDT"); ok {
		t.Fatal("View keeps an unsubscribed pair")
	}
}

func TestSourceNeverBlocks(t *testing.T) {
	s, err := NewSource(Config{Buffer: 2, Clock: clock.NewManual(time.Unix(0, 0)).Clock()})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Subscribe(context.Background(), &nopSubscriber{}, "c", "BTCUSDT", decimal.NewFromInt(1))
	for i := 0; i < 5; i++ {
		s.HandlePrice(price("BTCUSDT", "1", "2", "1", time.Unix(int64(i), 0)))
	}
	if full, _ := s.Dropped(); full != 3 {
		t.Fatalf("dropped = %d, want 3", full)
	}
	if last, _ := s.View().Last("BTCUSDT"); !last.Time.Equal(time.Unix(4, 0)) {
		t.Fatalf("View holds %v, want the latest tick", last.Time)
	}
}

// A held Source keeps its View current and queues nothing (no backlog, no
// drops); once delivering, the first update of each pair says the reader
// missed ticks before it.
func TestSourceHeldThenDelivering(t *testing.T) {
	s, err := NewSource(Config{Buffer: 2, Hold: true, Clock: clock.NewManual(time.Unix(0, 0)).Clock()})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Subscribe(context.Background(), &nopSubscriber{}, "c", "BTCUSDT", decimal.NewFromInt(1))
	for i := range 5 {
		s.HandlePrice(price("BTCUSDT", "1", "2", "1", time.Unix(int64(i), 0)))
	}
	if last, _ := s.View().Last("BTCUSDT"); !last.Time.Equal(time.Unix(4, 0)) {
		t.Fatalf("held: View holds %v, want the latest tick", last.Time)
	}
	if n := len(s.Updates()); n != 0 {
		t.Fatalf("held: %d updates queued, want none", n)
	}
	if full, _ := s.Dropped(); full != 0 {
		t.Fatalf("held: %d dropped, want none", full)
	}
	s.Deliver()
	s.HandlePrice(price("BTCUSDT", "1", "2", "1", time.Unix(5, 0)))
	s.HandlePrice(price("BTCUSDT", "1", "2", "1", time.Unix(6, 0)))
	if u := <-s.Updates(); !u.Gap || !u.Tick.Time.Equal(time.Unix(5, 0)) {
		t.Fatalf("first update after Deliver = %+v, want the tick at 5 s marked Gap", u)
	}
	if u := <-s.Updates(); u.Gap {
		t.Fatalf("second update after Deliver = %+v, want no Gap", u)
	}
}

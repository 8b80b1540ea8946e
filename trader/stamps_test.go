package trader

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
)

// The loop keeps each pair's last tick by the same rule (never backwards,
// unless the last one is stamped further ahead than any skew explains)
// whether the pair is one of the few whose stamps it mirrors or beyond
// them, and whether its name is the string seen first or a copy of it.
func TestTickOrderAcrossManyPairs(t *testing.T) {
	const seed = 11
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	l := loaded(t, Options{Risk: rk, Exec: &fillAtTick{price: d("50000")}, Clock: clk.Clock(), MaxAge: 10 * time.Second,
		NewID: func() (string, error) { return "cid", nil }, Books: openBooks(t, nil)})
	ctx := context.Background()
	names := make([]string, 2*maxFewStamps+1)
	for i := range names {
		names[i] = fmt.Sprintf("P%dEUR", i)
	}
	want := map[string]market.Tick{}
	for i := range 5000 {
		clk.Advance(time.Duration(rng.IntN(2000)) * time.Millisecond)
		now := clk.Now()
		// New pairs appear over time, and some ticks are late or
		// stamped ahead of the clock (a few far beyond any skew).
		pair := strings.Clone(names[rng.IntN(min(len(names), 1+i/200))])
		stamp := now.Add(time.Duration(rng.IntN(20_000)-15_000) * time.Millisecond)
		if rng.IntN(50) == 0 {
			stamp = now.Add(time.Hour)
		}
		tk := market.Tick{Pair: pair, BuyPrice: decimal.NewFromInt(int64(i)), SellPrice: decimal.NewFromInt(int64(i)), Time: stamp, Received: now}
		if prev, ok := want[pair]; !ok || !tk.Time.Before(prev.Time) || prev.Time.After(now.Add(maxClockSkew)) {
			want[pair] = tk
		}
		l.Step(ctx, tk)
		for _, p := range names {
			g, gok := l.state.Ticks[p]
			w, wok := want[p]
			if gok != wok || !g.BuyPrice.Equal(w.BuyPrice) || !g.Time.Equal(w.Time) {
				t.Fatalf("tick %d: %s's last tick is the one priced %s (%v), want %s (%v)", i, p, g.BuyPrice, gok, w.BuyPrice, wok)
			}
		}
	}
}

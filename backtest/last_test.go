package backtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// mapMarks is the replay's bookkeeping as it was with two maps: the
// reference lastTicks must agree with.
type mapMarks struct {
	last, held map[string]market.Tick
}

func (m mapMarks) update(t market.Tick, now time.Time) {
	if prev, ok := m.last[t.Pair]; !ok || !t.Time.Before(prev.Time) || prev.Time.After(now.Add(maxClockSkew)) {
		if ok && !priced(t) && priced(prev) {
			m.held[t.Pair] = prev
		}
		m.last[t.Pair] = t
	}
}

func (m mapMarks) mark(pair string) (market.Tick, bool) {
	if t, ok := m.last[pair]; ok && priced(t) {
		return t, true
	}
	t, ok := m.held[pair]
	return t, ok
}

// lastTicks answers last, mark and copyTo as the two maps did, through
// ticks out of order, stamped ahead of the clock or without a price, for
// pairs appearing one after another past the few it scans, and looked up
// by equal strings that are not the same one.
func TestLastTicksAgreeWithMaps(t *testing.T) {
	const seed = 7
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	names := make([]string, 2*fewLastSlots+1)
	for i := range names {
		names[i] = fmt.Sprintf("P%dEUR", i)
	}
	var got lastTicks
	want := mapMarks{last: map[string]market.Tick{}, held: map[string]market.Tick{}}
	now := monday
	for i := range 20_000 {
		now = now.Add(time.Duration(rng.IntN(2000)) * time.Millisecond)
		// New pairs appear over time; a copy of the name is not the
		// string the slot holds.
		pair := strings.Clone(names[rng.IntN(min(len(names), 1+i/500))])
		stamp := now.Add(time.Duration(rng.IntN(20_000)-15_000) * time.Millisecond)
		tk := market.Tick{Pair: pair, Time: stamp, Received: now}
		if rng.IntN(5) > 0 {
			tk.BuyPrice = decimal.NewFromInt(int64(100 + rng.IntN(10)))
			tk.SellPrice = tk.BuyPrice.Sub(decimal.NewFromInt(int64(rng.IntN(2))))
		}
		got.update(&tk, now)
		want.update(tk, now)
		for _, p := range names {
			q := strings.Clone(p)
			if g, ok := got.last(q); !sameTick(g, ok, want.last, q) {
				t.Fatalf("tick %d: last(%s) = %v %v, want %v", i, p, g, ok, want.last[p])
			}
			if g, ok := got.mark(q); !sameMark(g, ok, want, q) {
				t.Fatalf("tick %d: mark(%s) = %v %v, want the maps' mark", i, p, g, ok)
			}
		}
	}
	copied := map[string]market.Tick{}
	got.copyTo(copied)
	if len(copied) != len(want.last) {
		t.Fatalf("copyTo gave %d pairs, want %d", len(copied), len(want.last))
	}
	for p := range want.last {
		if g, ok := copied[p]; !sameTick(g, ok, want.last, p) {
			t.Fatalf("copyTo: %s = %v, want %v", p, g, want.last[p])
		}
	}
}

func sameTick(g market.Tick, ok bool, m map[string]market.Tick, pair string) bool {
	w, wok := m[pair]
	return ok == wok && equalTicks(g, w)
}

func sameMark(g market.Tick, ok bool, m mapMarks, pair string) bool {
	w, wok := m.mark(pair)
	return ok == wok && equalTicks(g, w)
}

func equalTicks(a, b market.Tick) bool {
	return a.Pair == b.Pair && a.Time.Equal(b.Time) && a.Received.Equal(b.Received) &&
		a.BuyPrice.Equal(b.BuyPrice) && a.SellPrice.Equal(b.SellPrice)
}

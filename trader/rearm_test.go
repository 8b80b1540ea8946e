package trader

import (
	"context"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// alarm acts on timers only and asks for whatever time wants holds.
type alarm struct {
	name  string
	wants time.Time
}

func (a *alarm) Name() string                                           { return a.name }
func (a *alarm) Handle(strategy.View, strategy.Event) strategy.Decision { return strategy.Decision{} }
func (a *alarm) NextTimer(time.Time) time.Time                          { return a.wants }
func (a *alarm) IgnoresPrices() bool                                    { return true }

// However strategies change the time they ask for (a new one, none, the
// one just fired again) and however they are disabled and enabled, the
// timers the loop keeps after each tick are exactly those the running
// strategies ask for, and NextTimer is the earliest.
func TestTimersFollowTheStrategies(t *testing.T) {
	const seed = 5
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	alarms := []*alarm{{name: "a"}, {name: "b"}, {name: "c"}}
	var ss []strategy.Strategy
	for _, a := range alarms {
		ss = append(ss, a)
	}
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	l := loaded(t, Options{Strategies: ss, Risk: rk, Exec: &fillAtTick{price: d("50000")}, Clock: clk.Clock(), MaxAge: 10 * time.Second,
		NewID: func() (string, error) { return "cid", nil }, Books: openBooks(t, nil)})
	ctx := context.Background()
	parked := map[string]bool{}
	for i := range 3000 {
		a := alarms[rng.IntN(len(alarms))]
		switch op := rng.IntN(10); {
		case op < 4: // the same time again
		case op < 6:
			a.wants = clk.Now().Add(time.Duration(1+rng.IntN(5)) * time.Second)
		case op < 7:
			a.wants = time.Time{}
		case op < 8:
			if parked[a.name] {
				delete(l.parked, a.name)
				l.runStrategy(a)
			} else {
				l.parked[a.name] = a
				l.o.Strategies = deleteStrategy(l.o.Strategies, a.name)
				l.disarm(a.name)
			}
			parked[a.name] = !parked[a.name]
		default:
			if due, ok := l.NextTimer(); ok {
				clk.Set(due)
				l.StepTimers(ctx)
			}
		}
		clk.Advance(time.Duration(rng.IntN(1500)) * time.Millisecond)
		l.Step(ctx, market.Tick{Pair: "BTCEUR", BuyPrice: d("1"), SellPrice: d("1"), Time: clk.Now(), Received: clk.Now()})
		want := map[string]time.Time{}
		var earliest time.Time
		for _, a := range alarms {
			if !parked[a.name] && !a.wants.IsZero() {
				want[a.name] = a.wants
				if earliest.IsZero() || a.wants.Before(earliest) {
					earliest = a.wants
				}
			}
		}
		if !maps.EqualFunc(l.next, want, time.Time.Equal) {
			t.Fatalf("step %d: timers %v, want %v", i, l.next, want)
		}
		if due, ok := l.NextTimer(); ok != !earliest.IsZero() || !due.Equal(earliest) {
			t.Fatalf("step %d: NextTimer = %v %v, want %v", i, due, ok, earliest)
		}
	}
}

func deleteStrategy(ss []strategy.Strategy, name string) []strategy.Strategy {
	var out []strategy.Strategy
	for _, s := range ss {
		if s.Name() != name {
			out = append(out, s)
		}
	}
	return out
}

package feeds

import (
	"sort"
	"sync"
	"time"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
)

// View is the last tick per subscribed pair, with staleness. Strategies and
// risk read it; only the Source writes it. Safe for concurrent use.
type View struct {
	clock      clock.Clock
	staleAfter time.Duration

	mu      sync.RWMutex
	last    map[string]market.Tick // pair → last tick; guarded by mu
	tracked map[string]bool        // subscribed pairs; guarded by mu
}

// Last returns the pair's latest tick.
func (v *View) Last(pair string) (market.Tick, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	t, ok := v.last[pair]
	return t, ok
}

// Age returns how long ago, by the local clock, the pair's latest tick
// arrived; false if none has.
func (v *View) Age(pair string) (time.Duration, bool) {
	v.mu.RLock()
	t, ok := v.last[pair]
	v.mu.RUnlock()
	if !ok {
		return 0, false
	}
	return v.clock.Now().Sub(t.Received), true
}

// Stale reports whether pair has no tick received within the staleness
// threshold. A pair never seen is stale.
func (v *View) Stale(pair string) bool { return v.staleAt(pair, v.clock.Now()) }

// StaleAfter returns the staleness threshold.
func (v *View) StaleAfter() time.Duration { return v.staleAfter }

// StalePairs returns the subscribed pairs that are stale, sorted.
func (v *View) StalePairs() []string {
	now := v.clock.Now()
	v.mu.RLock()
	pairs := make([]string, 0, len(v.tracked))
	for p := range v.tracked {
		pairs = append(pairs, p)
	}
	v.mu.RUnlock()
	out := pairs[:0]
	for _, p := range pairs {
		if v.staleAt(p, now) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (v *View) staleAt(pair string, now time.Time) bool {
	v.mu.RLock()
	t, ok := v.last[pair]
	v.mu.RUnlock()
	return !ok || now.Sub(t.Received) > v.staleAfter
}

func (v *View) set(t market.Tick) {
	v.mu.Lock()
	v.last[t.Pair] = t
	v.mu.Unlock()
}

func (v *View) track(pair string, on bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tracked == nil {
		v.tracked = map[string]bool{}
	}
	if on {
		v.tracked[pair] = true
		return
	}
	delete(v.tracked, pair)
	delete(v.last, pair)
}

package backtest

import (
	"time"

	"github.com/otcdesk/engine/market"
)

// lastTicks holds every pair's last replayed tick, by the loop's rule (see
// takes), and the marks assets are valued at: the last tick, or while that
// one has no price, the last one held that had (a tick without a price is
// no reason to value holdings at nothing).
//
// The replay updates it on every tick, so it keeps one slot per pair
// instead of a map: comparing the tick's pair with the first few pairs'
// names (mostly the very same string, as the reader interns them) costs
// less than hashing it, which a map does on every access, twice a tick.
// Pairs past the first few are found through index.
type lastTicks struct {
	slots []lastSlot
	index map[string]int // slot by pair, for the pairs past the first few
}

// lastSlot is one pair's.
type lastSlot struct {
	pair string
	tick market.Tick
	// held is the last priced tick, set when a priceless one replaced it.
	held    market.Tick
	hasHeld bool
}

// fewLastSlots is how many slots slot scans before it looks in index.
const fewLastSlots = 4

// slot returns pair's slot, nil before its first tick. The pointer is
// valid until the next new pair.
func (l *lastTicks) slot(pair string) *lastSlot {
	for i := range min(len(l.slots), fewLastSlots) {
		if l.slots[i].pair == pair {
			return &l.slots[i]
		}
	}
	if i, ok := l.index[pair]; ok {
		return &l.slots[i]
	}
	return nil
}

// update replays t at now: it becomes its pair's last tick unless the
// loop would not take it (see takes).
func (l *lastTicks) update(t *market.Tick, now time.Time) {
	s := l.slot(t.Pair)
	if s == nil {
		if len(l.slots) >= fewLastSlots {
			if l.index == nil {
				l.index = map[string]int{}
			}
			l.index[t.Pair] = len(l.slots)
		}
		l.slots = append(l.slots, lastSlot{pair: t.Pair, tick: *t})
		return
	}
	if !takes(t.Time, s.tick.Time, now) {
		return
	}
	if !priced(*t) && priced(s.tick) {
		s.held, s.hasHeld = s.tick, true
	}
	s.tick = *t
}

// last returns pair's last tick, and false before its first.
func (l *lastTicks) last(pair string) (market.Tick, bool) {
	if s := l.slot(pair); s != nil {
		return s.tick, true
	}
	return market.Tick{}, false
}

// mark returns the tick pair is valued at, and false if it never had a
// price.
func (l *lastTicks) mark(pair string) (market.Tick, bool) {
	s := l.slot(pair)
	switch {
	case s == nil:
		return market.Tick{}, false
	case priced(s.tick):
		return s.tick, true
	default:
		return s.held, s.hasHeld
	}
}

// copyTo puts every pair's last tick in m, for a strategy.State.
func (l *lastTicks) copyTo(m map[string]market.Tick) {
	for i := range l.slots {
		m[l.slots[i].pair] = l.slots[i].tick
	}
}

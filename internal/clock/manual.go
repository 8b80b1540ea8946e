package clock

import (
	"slices"
	"sync"
	"time"
)

// Manual is a clock that moves only when told to. Timers fire, in deadline
// order, during Advance or Set. It is safe for concurrent use. The zero
// value is not usable; use NewManual.
type Manual struct {
	mu     sync.Mutex // guards now and timers
	now    time.Time
	timers []*manualTimer
}

// NewManual returns a manual clock reading start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Clock returns a Clock reading m.
func (m *Manual) Clock() Clock { return New(m) }

// Now returns the clock's current time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// NewTimer returns a timer firing when the clock reaches Now+d. A timer for
// d <= 0 fires at once.
func (m *Manual) NewTimer(d time.Duration) Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := &manualTimer{m: m, at: m.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- m.now
		return t
	}
	m.timers = append(m.timers, t)
	return t
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.Set(m.Now().Add(d))
}

// Set moves the clock to t, firing every timer due by then. Moving
// backwards is ignored: time in this engine never runs backwards.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.Before(m.now) {
		return
	}
	m.now = t
	if len(m.timers) == 0 {
		return // a backtest sets the clock at every tick, mostly with none pending
	}
	// SortStableFunc, unlike sort.SliceStable, allocates nothing.
	slices.SortStableFunc(m.timers, func(a, b *manualTimer) int { return a.at.Compare(b.at) })
	kept := m.timers[:0]
	for _, tm := range m.timers {
		if tm.at.After(t) {
			kept = append(kept, tm)
			continue
		}
		tm.c <- tm.at // buffered, and each timer fires once
	}
	clear(m.timers[len(kept):])
	m.timers = kept
}

// Pending reports how many timers have not fired yet; tests use it to wait
// until a goroutine under test is blocked on the clock.
func (m *Manual) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.timers)
}

type manualTimer struct {
	m  *Manual
	at time.Time
	c  chan time.Time
}

func (t *manualTimer) C() <-chan time.Time { return t.c }

func (t *manualTimer) Stop() bool {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	for i, x := range t.m.timers {
		if x == t {
			t.m.timers = append(t.m.timers[:i], t.m.timers[i+1:]...)
			return true
		}
	}
	return false
}

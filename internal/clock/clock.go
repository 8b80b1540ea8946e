// Package clock is the engine's one source of time: a Clock value that
// every component takes as a field, whose zero value reads the system
// clock, and a Manual clock that tests and backtests move themselves.
//
// # Why one type
//
// Components used to take time three ways: a Now func, a Now func with a
// Sleep func beside it, or an interface with Now and NewTimer. Each had its
// own nil check and its own default, and a test had to wire the same fake
// into each in its own shape. A Clock is a struct, so an options struct
// that does not set it still works (the zero value is the system clock),
// and a test passes one value, a Manual clock's Clock, everywhere.
//
// # What it must never do
//
// Import anything of the engine, or read the wall clock anywhere but in
// the zero value's methods: the rest of the module reads time only through
// a Clock (internal/layers enforces it).
package clock

import (
	"context"
	"time"
)

// Source is what a Clock reads: the current time and one-shot timers.
// Manual is one; a test may write its own.
type Source interface {
	Now() time.Time
	// NewTimer returns a timer that fires once, d after Now.
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer a Clock hands out.
type Timer interface {
	// C delivers the time the timer fired, once.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It reports whether it stopped
	// the timer before it fired.
	Stop() bool
}

// Clock tells the time. The zero value is the system clock; New makes one
// from any Source. A Clock is a small value: copy it freely. It is safe for
// concurrent use if its Source is.
type Clock struct {
	src Source // nil: the system clock
}

// New returns a Clock reading src; a nil src gives the system clock.
func New(src Source) Clock { return Clock{src: src} }

// Now returns the current time.
func (c Clock) Now() time.Time {
	if c.src == nil {
		return time.Now()
	}
	return c.src.Now()
}

// Since returns the time elapsed since t: Now().Sub(t).
func (c Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Until returns the duration until t: t.Sub(Now()).
func (c Clock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// NewTimer returns a timer that fires once, d after Now. On the system
// clock it is a *time.Timer.
func (c Clock) NewTimer(d time.Duration) Timer {
	if c.src == nil {
		return systemTimer{time.NewTimer(d)}
	}
	return c.src.NewTimer(d)
}

// Sleep waits d on the clock, or until ctx ends, when it returns ctx.Err().
func (c Clock) Sleep(ctx context.Context, d time.Duration) error {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time { return s.t.C }
func (s systemTimer) Stop() bool          { return s.t.Stop() }

package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The zero Clock is the system clock: it reads a time between two reads
// of the wall clock, and its timers fire.
func TestZeroValueIsTheSystemClock(t *testing.T) {
	var c Clock
	before := time.Now()
	got := c.Now()
	after := time.Now()
	if got.Before(before) || got.After(after) {
		t.Errorf("Clock{}.Now() = %s, want between %s and %s", got, before, after)
	}
	if d := c.Since(before); d < 0 {
		t.Errorf("Clock{}.Since(a past instant) = %v, want >= 0", d)
	}
	if d := c.Until(before.Add(time.Hour)); d <= 0 || d > time.Hour {
		t.Errorf("Clock{}.Until(an hour after a past instant) = %v, want in (0, 1h]", d)
	}
	tm := c.NewTimer(time.Millisecond)
	<-tm.C()
	if tm.Stop() {
		t.Error("Stop of a fired timer = true, want false")
	}
	if err := New(nil).Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("New(nil).Sleep = %v, want nil", err)
	}
}

// A Clock on a Manual source reads it, and its timers and Sleep wait for
// the manual clock to move.
func TestClockReadsItsSource(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	m := NewManual(t0)
	c := m.Clock()
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now() = %s, want %s", got, t0)
	}
	m.Advance(90 * time.Second)
	if got := c.Since(t0); got != 90*time.Second {
		t.Errorf("Since(t0) = %v, want 1m30s", got)
	}
	if got := c.Until(t0.Add(time.Hour)); got != time.Hour-90*time.Second {
		t.Errorf("Until(t0+1h) = %v, want 58m30s", got)
	}

	src := armed{Manual: m, made: make(chan struct{}, 1)}
	slept := make(chan error, 1)
	go func() { slept <- New(src).Sleep(context.Background(), time.Minute) }()
	<-src.made
	select {
	case err := <-slept:
		t.Fatalf("Sleep returned %v before the clock moved", err)
	default:
	}
	m.Advance(time.Minute)
	if err := <-slept; err != nil {
		t.Errorf("Sleep = %v, want nil", err)
	}
}

// Sleep returns the context's error when it ends first, and stops its timer.
func TestSleepEndsWithContext(t *testing.T) {
	m := NewManual(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Clock().Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if n := m.Pending(); n != 0 {
		t.Errorf("Pending() after a cancelled Sleep = %d, want 0", n)
	}
}

// armed is a Manual that reports each timer it makes, so a test knows a
// goroutine is waiting on the clock before moving it.
type armed struct {
	*Manual
	made chan struct{}
}

func (a armed) NewTimer(d time.Duration) Timer {
	t := a.Manual.NewTimer(d)
	a.made <- struct{}{}
	return t
}

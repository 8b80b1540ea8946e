package clock

import (
	"testing"
	"time"
)

func TestManualClockTimers(t *testing.T) {
	c := NewManual(time.Unix(0, 0))
	a, b := c.NewTimer(2*time.Second), c.NewTimer(time.Second)
	stopped := c.NewTimer(time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once")
	}
	c.Advance(time.Second)
	select {
	case <-b.C():
	default:
		t.Fatal("1s timer did not fire at 1s")
	}
	select {
	case <-a.C():
		t.Fatal("2s timer fired at 1s")
	case <-stopped.C():
		t.Fatal("stopped timer fired")
	default:
	}
	c.Set(time.Unix(-5, 0)) // backwards: ignored
	if got := c.Now(); !got.Equal(time.Unix(1, 0)) {
		t.Fatalf("clock moved backwards to %s", got)
	}
	c.Advance(time.Second)
	<-a.C()
	if c.Pending() != 0 {
		t.Fatalf("pending = %d", c.Pending())
	}
}

// Timers due by the same Set fire in deadline order, each with its own
// deadline, and a timer for d <= 0 fires at once.
func TestManualFiresInDeadlineOrder(t *testing.T) {
	t0 := time.Unix(100, 0)
	m := NewManual(t0)
	late, early := m.NewTimer(3*time.Second), m.NewTimer(time.Second)
	now := m.NewTimer(0)
	if got := <-now.C(); !got.Equal(t0) {
		t.Errorf("NewTimer(0) fired at %s, want %s", got, t0)
	}
	m.Advance(time.Hour)
	if got := <-early.C(); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("early timer fired at %s, want %s", got, t0.Add(time.Second))
	}
	if got := <-late.C(); !got.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("late timer fired at %s, want %s", got, t0.Add(3*time.Second))
	}
}

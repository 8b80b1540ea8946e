package trader

import (
	"context"
	"time"

	"github.com/otcdesk/engine/market"
)

// Step, StepTimers and NextTimer drive the loop from the caller's goroutine
// instead of Run, for a backtest that owns a simulated clock: it moves the
// clock to each event's time, then hands the event over and gets control
// back only once the event, every intent it caused and their outcomes have
// been handled. The events, strategies, risk checks and execution are
// Run's own; only the waiting on channels and timers is left out, which is
// what makes a replay deterministic (Run picks between a due timer and a
// queued tick at random) and cheap (no goroutine hand-off per tick).
//
// Intents execute inline whatever Options.Inline says. Step and Run must
// not be used on the same Loop.

// Step processes one tick at the clock's current time and executes the
// intents it caused.
func (l *Loop) Step(ctx context.Context, t market.Tick) {
	l.tick(ctx, t)
	l.drain(ctx)
	l.execute(ctx, nil)
}

// StepTimers hands a Timer to every strategy whose timer is due at the
// clock's current time, as Run does when its timer fires, and executes the
// intents they return.
func (l *Loop) StepTimers(ctx context.Context) {
	l.process(ctx, timerEvent{})
	l.execute(ctx, nil)
}

// NextTimer returns the earliest time a strategy asked to be woken at, and
// false if none did.
func (l *Loop) NextTimer() (time.Time, bool) { return l.nextTimer() }

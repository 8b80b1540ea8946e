package trader

import (
	"context"
	"time"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// Step, StepTimers, StepTrade, StepMove and NextTimer drive the loop from
// the caller's goroutine instead of Run, for a backtest that owns a
// simulated clock: it moves the clock to each event's time, then hands
// the event over and gets control back only once the event, every intent
// it caused and their outcomes have been handled. The events, strategies,
// risk checks and execution are Run's own; only the waiting on channels
// and timers is left out, which is what makes a replay deterministic (Run
// picks between a due timer and a queued tick at random) and cheap (no
// goroutine hand-off per tick).
//
// Call Load first. Intents execute inline whatever Options.Inline says.
// Step and Run must not be used on the same Loop.

// Step processes one tick at the clock's current time and executes the
// intents it caused.
func (l *Loop) Step(ctx context.Context, t market.Tick) {
	l.syncBalances()
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

// StepTrade submits a trade as Trade does, and executes it inline.
func (l *Loop) StepTrade(ctx context.Context, in strategy.Intent) execution.Result {
	return l.stepCommand(ctx, job{trade: &in})
}

// StepMove submits a movement as Move does, and executes it inline.
func (l *Loop) StepMove(ctx context.Context, m execution.Movement) execution.Result {
	return l.stepCommand(ctx, job{move: &m})
}

func (l *Loop) stepCommand(ctx context.Context, j job) execution.Result {
	reply := make(chan execution.Result, 1)
	l.process(ctx, commandEvent{j, reply})
	l.execute(ctx, nil)
	return <-reply
}

// NextTimer returns the earliest time a strategy asked to be woken at, and
// false if none did.
func (l *Loop) NextTimer() (time.Time, bool) { return l.nextTimer() }

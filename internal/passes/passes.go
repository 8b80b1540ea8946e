// Package passes drives a background worker that works in passes over
// durable state (an inbox): a pass runs at start, then again after every
// wake-up, timer or Sync request. Wake-ups during a pass coalesce into one
// more pass; Sync waits for a whole pass that started after it was called.
// The inbound and merchant processors share it.
package passes

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrStopped is returned by Sync once Run has returned. When Run stopped
// on start's error, Sync's error wraps that one too.
var ErrStopped = errors.New("processor stopped")

// Loop is the wake-up, sync and stop machinery of one worker. The zero
// value is not usable; create it with New. It is safe for concurrent use.
type Loop struct {
	wake     chan struct{}      // capacity 1: wake-ups coalesce
	syncs    chan chan struct{} // Sync requests
	stopped  chan struct{}      // closed when Run returns
	startErr error              // start's error; written before stopped is closed
	once     sync.Once
}

// New returns a Loop ready to Run.
func New() *Loop {
	return &Loop{wake: make(chan struct{}, 1), syncs: make(chan chan struct{}), stopped: make(chan struct{})}
}

// Notify asks for another pass. It never blocks.
func (l *Loop) Notify() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Sync returns when a pass that started after the call is done. Before Run
// starts it waits for it; after Run has returned it returns ErrStopped.
func (l *Loop) Sync(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case l.syncs <- done:
	case <-l.stopped:
		return l.stoppedErr()
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-l.stopped:
		return l.stoppedErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stoppedErr is Sync's error once Run has returned: the caller waiting for
// a pass learns why there will be none.
func (l *Loop) stoppedErr() error {
	if l.startErr != nil {
		return fmt.Errorf("%w: %w", ErrStopped, l.startErr)
	}
	return ErrStopped
}

// Run calls start once, then pass, then waits for a wake-up, a Sync or the
// channel next returns (next is called before every wait; the func it
// returns stops that timer), and repeats until ctx ends. It returns start's
// error, or nil when ctx ends (before any pass if it ended during start).
// Run may be called once.
func (l *Loop) Run(ctx context.Context, start func(context.Context) error, pass func(context.Context),
	next func() (<-chan time.Time, func() bool)) error {
	first := false
	l.once.Do(func() { first = true })
	if !first {
		return errors.New("passes: Run called twice")
	}
	defer close(l.stopped)
	if err := start(ctx); err != nil || ctx.Err() != nil {
		l.startErr = err
		return err
	}
	var waiters []chan struct{}
	for {
		pass(ctx)
		for _, w := range waiters {
			close(w)
		}
		waiters = waiters[:0]
		timer, stop := next()
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-l.wake:
		case <-timer:
		case w := <-l.syncs:
			waiters = append(waiters, w)
		}
		stop()
	}
}

package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/otcdesk/engine/internal/clock"
)

// group runs the daemon's components as an ordered run group: each is
// started as a unit in turn, and they are stopped one at a time in reverse
// order, each after the ones started after it have stopped. A component
// that stops on its own, before the group stops it, is a failure: the
// group reports it and the daemon stops.
//
// A unit's context is not the caller's: a signal does not stop every unit
// at once (the simulator must outlive the loop's intents in flight, the
// webhook endpoint the simulator), only the group's stop does, in order.
type group struct {
	log    *slog.Logger
	clock  clock.Clock
	units  []*unit
	failed chan error // the first unit to stop on its own
}

type unit struct {
	name   string
	cancel context.CancelFunc // nil for a closer
	done   chan struct{}      // closed when the unit's goroutine returned
	close  func() error       // a closer's release, or nil
}

// stopWarn is how long a unit may take to stop before it is logged as
// slow; the group keeps waiting (a unit finishing an intent in flight
// records its answer).
const stopWarn = 10 * time.Second

func newGroup(log *slog.Logger, clk clock.Clock) *group {
	return &group{log: log, clock: clk, failed: make(chan error, 1)}
}

// start runs fn as unit name until the group stops it.
func (g *group) start(name string, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	u := &unit{name: name, cancel: cancel, done: make(chan struct{})}
	g.units = append(g.units, u)
	go func() {
		defer close(u.done)
		err := fn(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = fmt.Errorf("%s stopped on its own", name)
		} else {
			err = fmt.Errorf("%s: %w", name, err)
		}
		select {
		case g.failed <- err:
		default:
		}
	}()
}

// closer adds a unit with no goroutine: close is called when the group
// stops it.
func (g *group) closer(name string, close func() error) {
	g.units = append(g.units, &unit{name: name, close: close})
}

// wait returns when ctx ends (nil) or a unit stops on its own (its error).
func (g *group) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-g.failed:
		return err
	}
}

// failure returns the error of a unit that stopped on its own, if one did.
func (g *group) failure() error {
	select {
	case err := <-g.failed:
		return err
	default:
		return nil
	}
}

// stop stops every unit, last started first, and returns the errors of
// the closers.
func (g *group) stop() error {
	var errs []error
	for i := len(g.units) - 1; i >= 0; i-- {
		u := g.units[i]
		start := g.clock.Now()
		if u.cancel != nil {
			u.cancel()
			g.waitUnit(u)
		}
		if u.close != nil {
			if err := u.close(); err != nil {
				errs = append(errs, fmt.Errorf("close %s: %w", u.name, err))
			}
		}
		g.log.Debug("stopped", "component", u.name, "took", g.clock.Since(start))
	}
	g.units = nil
	return errors.Join(errs...)
}

func (g *group) waitUnit(u *unit) {
	t := g.clock.NewTimer(stopWarn)
	defer t.Stop()
	select {
	case <-u.done:
		return
	case <-t.C():
		g.log.Warn("still stopping", "component", u.name, "after", stopWarn)
	}
	<-u.done
}

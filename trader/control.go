package trader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/otcdesk/engine/strategy"
)

// ErrUnknownStrategy: no strategy of the loop has that name.
var ErrUnknownStrategy = errors.New("trader: no strategy of that name")

// StrategyState is one strategy as the loop runs it.
type StrategyState struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// Open counts its intents approved and not finished.
	Open int `json:"open_intents"`
}

// Strategies lists the loop's strategies, running ones first in the order
// they get events, then the disabled ones by name.
func (l *Loop) Strategies(ctx context.Context) ([]StrategyState, error) {
	var out []StrategyState
	err := l.control(ctx, func() error {
		open := map[string]int{}
		for _, o := range l.open {
			if o.s != nil {
				open[o.s.Name()]++
			}
		}
		for _, s := range l.o.Strategies {
			out = append(out, StrategyState{Name: s.Name(), Enabled: true, Open: open[s.Name()]})
		}
		var parked []StrategyState
		for name := range l.parked {
			parked = append(parked, StrategyState{Name: name, Open: open[name]})
		}
		slices.SortFunc(parked, func(a, b StrategyState) int { return cmpString(a.Name, b.Name) })
		out = append(out, parked...)
		return nil
	})
	return out, err
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DisableStrategy stops handing events to the strategy name: it decides
// nothing more. Its intents in flight finish and their outcomes still
// reach it (so its state stays right), but nothing it returns then is
// acted on. It returns ErrUnknownStrategy for a name the loop does not
// run; disabling a disabled strategy does nothing.
func (l *Loop) DisableStrategy(ctx context.Context, name string) error {
	return l.control(ctx, func() error {
		if _, ok := l.parked[name]; ok {
			return nil
		}
		i := slices.IndexFunc(l.o.Strategies, func(s strategy.Strategy) bool { return s.Name() == name })
		if i < 0 {
			return fmt.Errorf("%w: %q", ErrUnknownStrategy, name)
		}
		l.parked[name] = l.o.Strategies[i]
		l.o.Strategies = slices.Delete(slices.Clone(l.o.Strategies), i, i+1)
		l.disarm(name)
		l.log.Warn("strategy disabled", "strategy", name)
		return nil
	})
}

// EnableStrategy hands events to a disabled strategy again, after the
// running ones. It returns ErrUnknownStrategy for a name the loop does
// not hold; enabling a running strategy does nothing.
func (l *Loop) EnableStrategy(ctx context.Context, name string) error {
	return l.control(ctx, func() error {
		s, ok := l.parked[name]
		if !ok {
			if slices.ContainsFunc(l.o.Strategies, func(s strategy.Strategy) bool { return s.Name() == name }) {
				return nil
			}
			return fmt.Errorf("%w: %q", ErrUnknownStrategy, name)
		}
		delete(l.parked, name)
		l.runStrategy(s)
		l.log.Warn("strategy enabled", "strategy", name)
		return nil
	})
}

// SetStrategy puts s in place of the strategy of the same name (new
// parameters), or beside the others (a strategy the file kept disabled):
// running when enabled, else disabled until EnableStrategy. The instance
// it replaces decides nothing more; its intents in flight finish, their
// outcomes reaching it. s starts with its own state: restore it first
// (Restore) if it keeps state across restarts.
func (l *Loop) SetStrategy(ctx context.Context, s strategy.Strategy, enabled bool) error {
	return l.control(ctx, func() error {
		name := s.Name()
		delete(l.parked, name)
		l.o.Strategies = slices.DeleteFunc(slices.Clone(l.o.Strategies), func(x strategy.Strategy) bool { return x.Name() == name })
		l.disarm(name)
		l.gen[name]++
		if enabled {
			l.runStrategy(s)
		} else {
			l.parked[name] = s
		}
		l.log.Warn("strategy set", "strategy", name, "enabled", enabled)
		return nil
	})
}

// runStrategy appends s to the running strategies and arms its timer.
func (l *Loop) runStrategy(s strategy.Strategy) {
	l.o.Strategies = append(slices.Clone(l.o.Strategies), s)
	if t, ok := s.(strategy.Timed); ok {
		if due := t.NextTimer(l.o.Clock.Now()); !due.IsZero() {
			l.next[s.Name()] = due
			l.timersChanged()
		}
	}
}

// disarm forgets name's timer.
func (l *Loop) disarm(name string) {
	delete(l.next, name)
	l.timersChanged()
}

// outcome hands the strategy that asked for o the outcome of its intent.
// A strategy disabled since, or an instance replaced since, still hears
// it (so its state stays right), but what it decides then is dropped.
func (l *Loop) outcome(ctx context.Context, o *open, out strategy.Outcome) {
	name := o.s.Name()
	if _, parked := l.parked[name]; !parked && o.gen == l.gen[name] {
		l.handle(ctx, o.s, out)
		return
	}
	if d := o.s.Handle(&l.state, out); len(d.Intents) > 0 {
		l.log.Info("intents of a disabled or replaced strategy dropped", "strategy", name, "intents", len(d.Intents))
	}
}

// control runs fn on the loop's goroutine and returns its error; ctx
// bounds the wait.
func (l *Loop) control(ctx context.Context, fn func() error) error {
	reply := make(chan error, 1)
	select {
	case l.events <- queryEvent{func() { reply <- fn() }}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Restore hands a strategy that keeps state across restarts
// (strategy.Restorer) the fills the ledger holds for it, as Load does for
// the strategies the loop starts with; others are left as they are.
func Restore(ctx context.Context, src Books, s strategy.Strategy, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return restore(ctx, src, []strategy.Strategy{s}, log)
}

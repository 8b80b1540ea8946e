package trader

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// EngineOptions are what the one decision path is built from: the
// daemon and the backtester assemble risk, execution and the loop the
// same way, only their venues, clocks and prices differ.
type EngineOptions struct {
	Limits   risk.Limits
	Counters risk.Counters // risk's daily totals
	Gate     risk.Gate     // the maintenance gate; nil: always open
	// Store is the ledger: the loop's balances come from it, execution
	// records in it.
	Store      *ledger.Store
	Venue      execution.Venue
	Transfers  execution.Transfers // nil: no movements
	Payments   execution.Payments  // nil: no settlements
	Pairs      []market.Pair
	Strategies []strategy.Strategy
	Clock      clock.Clock // zero: the system clock
	// Prices is the view risk checks a quote against, right before an
	// order or accept, off the loop's goroutine (the feed's live prices;
	// the replay's in a backtest). now is the check's time.
	Prices func(now time.Time) strategy.View
	// Inline executes on the loop's goroutine (backtests).
	Inline bool
	// NewID makes the Client-Ids.
	NewID func() (string, error)
	// Follow, Lookups and MovementLookups are execution's.
	Follow          time.Duration
	Lookups         int
	MovementLookups int
	// Observe, if set, wraps the executor the loop calls (the backtest
	// records each result).
	Observe  func(*execution.Executor) Executor
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Engine is the decision path assembled: every intent, from a strategy or
// from treasury, passes the one loop, the one risk engine and the one send
// protocol.
type Engine struct {
	Loop *Loop
	Risk *risk.Engine
	Exec *execution.Executor
}

// NewEngine builds the decision path. It does no I/O.
func NewEngine(o EngineOptions) (*Engine, error) {
	rk, err := risk.New(o.Limits, risk.Options{Counters: o.Counters, Gate: o.Gate, Logger: o.Logger, Registry: o.Registry})
	if err != nil {
		return nil, err
	}
	specs := make(map[string]market.Pair, len(o.Pairs))
	for _, p := range o.Pairs {
		specs[p.Symbol] = p
	}
	x, err := execution.New(execution.Options{
		Venue: o.Venue, Transfers: o.Transfers, Payments: o.Payments, Store: o.Store, Clock: o.Clock,
		Pairs: func(s string) (market.Pair, bool) { p, ok := specs[s]; return p, ok },
		CheckQuote: func(now time.Time, in strategy.Intent, q risk.Quote) error {
			return rk.CheckQuote(now, o.Prices(now), in, q)
		},
		Stopped: rk.Stopped,
		// The loop assigns every Client-Id before risk sees the intent.
		NewClientID: func() (string, error) { return "", fmt.Errorf("trader: intents carry their Client-Id from the loop") },
		Follow:      o.Follow, Lookups: o.Lookups, MovementLookups: o.MovementLookups,
		Logger: o.Logger, Registry: o.Registry,
	})
	if err != nil {
		return nil, err
	}
	var exec Executor = x
	if o.Observe != nil {
		exec = o.Observe(x)
	}
	loop, err := New(Options{
		Strategies: o.Strategies, Risk: rk, Exec: exec, Clock: o.Clock, Books: o.Store,
		MaxAge: o.Limits.MaxPriceAge.Duration, Pairs: o.Pairs, Inline: o.Inline, NewID: o.NewID,
		Logger: o.Logger, Registry: o.Registry,
	})
	if err != nil {
		return nil, err
	}
	return &Engine{Loop: loop, Risk: rk, Exec: x}, nil
}

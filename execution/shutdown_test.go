package execution_test

import (
	"context"
	"errors"
	"testing"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// A shutdown (ctx ending) never leaves an intent pending and never sends
// after it began: the intent is recorded only right before its request,
// so a stop before then records and sends nothing.
func TestShutdownLeavesNothingPending(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := newRig(t, sim.Faults{}, func(risk.Quote) error { cancel(); return nil }) // the stop lands after the RFQ quote
	res := r.exec.Execute(ctx, buy(strategy.RFQ, "0.1"))
	if res.Status != execution.Failed {
		t.Fatalf("result = %+v, want failed", res)
	}
	if _, err := r.store.Intent(context.Background(), res.Intent.ID); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("intent after a stop before the request: %v, want none recorded", err)
	}
	if n := r.srv.Venue().Executions(res.Intent.ID); n != 0 {
		t.Errorf("venue executed it %d times after the stop, want 0", n)
	}

	stopped, stop := context.WithCancel(context.Background())
	stop()
	res = r.exec.Execute(stopped, buy(strategy.OTC, "0.1"))
	if res.Status != execution.Failed {
		t.Fatalf("result after the stop = %+v, want failed", res)
	}
	if _, err := r.store.Intent(context.Background(), res.Intent.ID); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("intent after the stop: %v, want none recorded", err)
	}
	open, err := r.store.Unfinished(context.Background())
	if err != nil || len(open) != 0 {
		t.Errorf("unfinished intents %+v, %v; want none", open, err)
	}
}

// StrategyOf reads back the strategy of an intent Execute recorded, the
// way treasury finds its own unresolved conversions.
func TestStrategyOf(t *testing.T) {
	r := newRig(t, sim.Faults{}, nil)
	in := buy(strategy.OTC, "0.1")
	in.Strategy = "treasury:btc-eur"
	res := r.exec.Execute(context.Background(), in)
	if got, ok := execution.StrategyOf(r.intent(t, res.Intent.ID)); !ok || got != "treasury:btc-eur" {
		t.Errorf("StrategyOf = %q, %v; want treasury:btc-eur", got, ok)
	}
	if _, ok := execution.StrategyOf(ledger.Intent{Kind: ledger.IntentWithdrawal, Request: []byte(`{"strategy":"x"}`)}); ok {
		t.Error("StrategyOf(a withdrawal) = ok, want not an executor intent")
	}
}

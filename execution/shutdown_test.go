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
// after it began: before the intent is recorded nothing is written; after,
// the intent is failed before its money-moving request.
func TestShutdownLeavesNothingPending(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := newRig(t, sim.Faults{}, func(risk.Quote) error { cancel(); return nil }) // the stop lands after the RFQ quote
	res := r.exec.Execute(ctx, buy(strategy.RFQ, "0.1"))
	if res.Status != execution.Failed {
		t.Fatalf("result = %+v, want failed", res)
	}
	if it := r.intent(t, res.Intent.ID); it.State != ledger.StateFailed {
		t.Errorf("intent %s, want failed (never sent)", it.State)
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

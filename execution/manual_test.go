package execution_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
)

// TestResolveByHand: an order left unknown is resolved from the
// operator's evidence (its fill posted, the intent resolved with the note),
// nothing is sent to the venue; one resolved as failed posts nothing;
// evidence that does not fit is refused with nothing written; a final
// intent is not resolved again.
func TestResolveByHand(t *testing.T) {
	r := newRig(t, sim.Faults{}, nil)
	ctx := context.Background()
	req, _ := json.Marshal(map[string]any{"strategy": "test", "pair": "BTCUSDT", "side": "buy", "size": "0.3", "amount": "0", "path": "otc"})
	for _, cid := range []string{"stuck-1", "stuck-2"} {
		if _, _, err := r.store.CreateIntent(ctx, ledger.Intent{ClientID: cid, Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: req}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.store.Transition(ctx, cid, ledger.StateSubmitted, ledger.Detail{}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.store.Transition(ctx, cid, ledger.StateUnknown, ledger.Detail{Note: "timeout"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []execution.Evidence{
		{Outcome: ledger.StateSucceeded, Note: "venue screen"},                                    // no fill
		{Outcome: ledger.StateSucceeded, TradeID: "T9", Size: d("0.3"), Amount: d("18000")},       // no note
		{Outcome: "maybe", Note: "venue screen"},                                                  // no outcome
		{Outcome: ledger.StateSucceeded, Note: "x", TradeID: "T9", Size: d("-1"), Amount: d("1")}, // bad size
	} {
		if _, err := r.exec.ResolveByHand(ctx, "stuck-1", "desk", bad); err == nil {
			t.Errorf("ResolveByHand(%+v) = nil, want a refusal", bad)
		}
	}
	if it := r.intent(t, "stuck-1"); it.State != ledger.StateUnknown {
		t.Fatalf("after refusals stuck-1 is %s, want unknown still", it.State)
	}
	it, err := r.exec.ResolveByHand(ctx, "stuck-1", "desk", execution.Evidence{Outcome: ledger.StateSucceeded, Note: "trade T9 on the venue's screen",
		TradeID: "T9", Size: d("0.3"), Amount: d("18000")})
	if err != nil {
		t.Fatal(err)
	}
	if it.State != ledger.StateResolved || it.Outcome != ledger.StateSucceeded {
		t.Errorf("stuck-1 = %s/%s, want resolved/succeeded", it.State, it.Outcome)
	}
	e, err := r.store.Entry(ctx, ledger.TradeKey("T9"))
	if err != nil {
		t.Fatalf("the fill of the evidence was not posted: %v", err)
	}
	if e.ClientID != "stuck-1" || len(e.Postings) != 4 {
		t.Errorf("fill = %+v", e)
	}
	it, err = r.exec.ResolveByHand(ctx, "stuck-2", "desk", execution.Evidence{Outcome: ledger.StateFailed, Note: "support: never received"})
	if err != nil || it.State != ledger.StateResolved || it.Outcome != ledger.StateFailed {
		t.Fatalf("stuck-2 = %+v, %v; want resolved/failed", it, err)
	}
	if last := it.History[len(it.History)-1]; last.Note == "" {
		t.Errorf("the resolution's note was not recorded: %+v", last)
	}
	if _, err := r.exec.ResolveByHand(ctx, "stuck-2", "desk", execution.Evidence{Outcome: ledger.StateFailed, Note: "again"}); !errors.Is(err, execution.ErrNotOpen) {
		t.Errorf("resolving a final intent = %v, want ErrNotOpen", err)
	}
	if _, err := r.exec.ResolveByHand(ctx, "nope", "desk", execution.Evidence{Outcome: ledger.StateFailed, Note: "x"}); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("resolving an unknown intent = %v, want ErrNotFound", err)
	}
	for _, cid := range []string{"stuck-1", "stuck-2"} {
		if n := len(r.srv.Venue().TradesByClientID(cid)); n != 0 {
			t.Errorf("the venue has %d trades of %s: resolving by hand sent something", n, cid)
		}
	}
}

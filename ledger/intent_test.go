package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func TestIntentStateMachine(t *testing.T) {
	all := []IntentState{StatePending, StateSubmitted, StateSucceeded, StateFailed, StateUnknown, StateResolved}
	legal := map[[2]IntentState]bool{
		{StatePending, StateSubmitted}: true, {StatePending, StateFailed}: true, {StatePending, StateUnknown}: true,
		{StateSubmitted, StateSucceeded}: true, {StateSubmitted, StateFailed}: true, {StateSubmitted, StateUnknown}: true,
		{StateUnknown, StateResolved}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := CanTransition(from, to); got != legal[[2]IntentState{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, !got)
			}
		}
	}
}

func TestIntentLifecycle(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	req := json.RawMessage(`{"asset":"BTC","amount":1.5,"address":"bc1qxy"}`)
	in, created, err := s.CreateIntent(ctx, Intent{ClientID: "W1", Kind: IntentWithdrawal, Venue: Hercle, Request: req})
	if err != nil || !created || in.State != StatePending {
		t.Fatalf("CreateIntent = %+v, %v, %v", in, created, err)
	}
	again, created, err := s.CreateIntent(ctx, Intent{ClientID: "W1", Kind: IntentOrder, Venue: Hercle})
	if err != nil || created || again.Kind != IntentWithdrawal {
		t.Errorf("CreateIntent(existing) = %+v, %v, %v; want the original, created false", again, created, err)
	}
	for _, c := range []string{"W2", "W3"} {
		if _, _, err := s.CreateIntent(ctx, Intent{ClientID: c, Kind: IntentOrder, Venue: Hercle}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		id   string
		to   IntentState
		d    Detail
		want error
	}{
		{"W1", StateSubmitted, Detail{}, nil},
		{"W1", StatePending, Detail{}, ErrIllegalTransition}, // backwards
		{"W1", StateUnknown, Detail{Note: "timeout after 10s"}, nil},
		{"W1", StateSucceeded, Detail{}, ErrIllegalTransition}, // unknown only resolves
		{"W1", StateResolved, Detail{}, ErrIllegalTransition},  // resolving needs an outcome
		{"W1", StateResolved, Detail{Outcome: StateSucceeded, VenueRef: "wd-77"}, nil},
		{"W1", StateSubmitted, Detail{}, ErrIllegalTransition}, // out of a final state
		{"W2", StateSubmitted, Detail{Outcome: StateFailed}, ErrIllegalTransition},
		{"W2", StateSubmitted, Detail{VenueRef: "o-1"}, nil},
		{"W2", StateSucceeded, Detail{}, nil},
		{"W2", StateSucceeded, Detail{}, ErrIllegalTransition}, // repeated webhook
		{"nope", StateSubmitted, Detail{}, ErrNotFound},
	}
	for i, st := range steps {
		_, err := s.Transition(ctx, st.id, st.to, st.d)
		if !errors.Is(err, st.want) || (st.want == nil) != (err == nil) {
			t.Errorf("step %d: Transition(%s, %s) = %v, want %v", i, st.id, st.to, err, st.want)
		}
	}
	var te *TransitionError
	if _, err := s.Transition(ctx, "W2", StatePending, Detail{}); !errors.As(err, &te) || te.From != StateSucceeded {
		t.Errorf("Transition(W2 -> pending) = %v, want *TransitionError from succeeded", err)
	}

	w1, err := s.Intent(ctx, "W1")
	if err != nil {
		t.Fatal(err)
	}
	if w1.State != StateResolved || w1.Outcome != StateSucceeded || w1.VenueRef != "wd-77" || len(w1.History) != 4 ||
		string(w1.Request) != string(req) || w1.History[2].Note != "timeout after 10s" {
		t.Errorf("Intent(W1) = %+v", w1)
	}
	open, err := s.Unfinished(ctx)
	if err != nil || len(open) != 1 || open[0].ClientID != "W3" {
		t.Errorf("Unfinished = %+v, %v; want only W3", open, err)
	}
	byState, _ := s.Intents(ctx, StateSucceeded)
	if len(byState) != 1 || byState[0].ClientID != "W2" {
		t.Errorf("Intents(succeeded) = %+v, want W2", byState)
	}
	if _, _, err := s.CreateIntent(ctx, Intent{ClientID: "x", Kind: "teleport", Venue: Hercle}); !errors.Is(err, ErrInvalidEntry) {
		t.Errorf("CreateIntent(bad kind) = %v, want ErrInvalidEntry", err)
	}
}

func TestAcknowledge(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, c := range []string{"W1", "W2"} {
		if _, _, err := s.CreateIntent(ctx, Intent{ClientID: c, Kind: IntentWithdrawal, Venue: Hercle}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Acknowledge(ctx, "W1", "wd-1"); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("Acknowledge(pending) = %v, want ErrIllegalTransition", err)
	}
	if _, err := s.Transition(ctx, "W1", StateSubmitted, Detail{VenueRef: "quote-1"}); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.Intent(ctx, "W1"); in.Acknowledged() {
		t.Error("submitted with a ref but not acknowledged: Acknowledged() = true")
	}
	in, err := s.Acknowledge(ctx, "W1", "wd-1")
	if err != nil || !in.Acknowledged() || in.VenueRef != "wd-1" || in.State != StateSubmitted || len(in.History) != 3 {
		t.Fatalf("Acknowledge = %+v, %v; want submitted, acknowledged, ref wd-1, three attempts", in, err)
	}
	if again, err := s.Acknowledge(ctx, "W1", "wd-1"); err != nil || len(again.History) != 3 {
		t.Errorf("Acknowledge again = %d attempts, %v; want a no-op", len(again.History), err)
	}
	if _, err := s.Acknowledge(ctx, "W1", "wd-2"); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("Acknowledge with another ref = %v, want ErrIllegalTransition", err)
	}
	if _, err := s.Acknowledge(ctx, "W2", ""); !errors.Is(err, ErrInvalidEntry) {
		t.Errorf("Acknowledge without a ref = %v, want ErrInvalidEntry", err)
	}
	if _, err := s.Acknowledge(ctx, "nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Acknowledge(unknown id) = %v, want ErrNotFound", err)
	}
	// Survives a reopen, and the intent moves on as usual.
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if in, err := s2.Intent(ctx, "W1"); err != nil || !in.Acknowledged() {
		t.Fatalf("after reopen: %+v, %v; want acknowledged", in, err)
	}
	if in, err := s2.Transition(ctx, "W1", StateSucceeded, Detail{}); err != nil || !in.Acknowledged() || in.VenueRef != "wd-1" {
		t.Errorf("Transition(succeeded) = %+v, %v", in, err)
	}
}

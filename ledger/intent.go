package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// IntentKind is the external side effect an intent stands for.
type IntentKind string

// Intent kinds: every money-moving request the engine sends.
const (
	IntentOrder      IntentKind = "order"
	IntentRFQAccept  IntentKind = "rfq_accept"
	IntentWithdrawal IntentKind = "withdrawal"
	IntentTransfer   IntentKind = "transfer"
	IntentLightning  IntentKind = "lightning"
	IntentPayout     IntentKind = "payout" // Heropayments payout
)

// IntentState is where an intent is in its life.
//
//	pending ──> submitted ──> succeeded
//	   │            ├───────> failed
//	   │            └───────> unknown ──> resolved
//	   ├──> failed    (never sent)
//	   └──> unknown   (crashed after writing; it may have been sent)
//
// succeeded, failed and resolved are final. A resolved intent carries the
// outcome the venue reported when looked up by Client-Id. Submit creates
// an intent directly in submitted, with everything that must be durable
// before its request leaves, in one write; CreateIntent creates it
// pending, for a caller that records before it knows it will send.
type IntentState string

// Intent states.
const (
	StatePending   IntentState = "pending"
	StateSubmitted IntentState = "submitted"
	StateSucceeded IntentState = "succeeded"
	StateFailed    IntentState = "failed"
	StateUnknown   IntentState = "unknown"
	StateResolved  IntentState = "resolved"
)

var transitions = map[IntentState][]IntentState{
	StatePending:   {StateSubmitted, StateFailed, StateUnknown},
	StateSubmitted: {StateSucceeded, StateFailed, StateUnknown},
	StateUnknown:   {StateResolved},
}

// Final reports whether no transition leaves s.
func (s IntentState) Final() bool {
	return s == StateSucceeded || s == StateFailed || s == StateResolved
}

// Valid reports whether s is one of the six states.
func (s IntentState) Valid() bool {
	switch s {
	case StatePending, StateSubmitted, StateSucceeded, StateFailed, StateUnknown, StateResolved:
		return true
	}
	return false
}

// CanTransition reports whether the state machine allows from -> to.
func CanTransition(from, to IntentState) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// Intent is a side effect recorded before it is attempted (the outbox).
type Intent struct {
	ClientID string // the Client-Id sent with the request; the key
	Kind     IntentKind
	Venue    Venue
	// Request is the caller's description of the request (typically its
	// JSON body), enough to look the outcome up or resume after a crash.
	Request json.RawMessage
	State   IntentState
	// Outcome is succeeded or failed once resolved; empty before.
	Outcome  IntentState
	VenueRef string // venue id (order id, withdrawal id) once known
	Created  time.Time
	Updated  time.Time
	History  []Attempt // every transition, oldest first
}

// Attempt is one recorded transition of an intent.
type Attempt struct {
	At       time.Time   `json:"at"`
	From     IntentState `json:"from"`
	To       IntentState `json:"to"`
	VenueRef string      `json:"venue_ref,omitempty"`
	Note     string      `json:"note,omitempty"` // for example the error that made it unknown
}

// Detail is what a transition records besides the new state.
type Detail struct {
	VenueRef string      // venue id, if the response carried one
	Note     string      // short reason; never a secret or a response body
	Outcome  IntentState // required for resolved: succeeded or failed
}

const maxHistory = 256

// CreateIntent records a new intent in state pending and returns it with
// created true once durable. If an intent with the same Client-Id exists it
// returns that one and created false, writing nothing: the caller compares
// and never re-sends on its own account.
func (s *Store) CreateIntent(ctx context.Context, in Intent) (Intent, bool, error) {
	in, err := s.newIntent(in, StatePending)
	if err != nil {
		return Intent{}, false, err
	}
	var (
		out     Intent
		created bool
	)
	err = s.write(ctx, func(tx *bbolt.Tx) error {
		out, created = Intent{}, false
		b := tx.Bucket(bucketIntents)
		if v := b.Get([]byte(in.ClientID)); v != nil {
			var err error
			out, err = decodeIntent(v)
			return err
		}
		if err := s.putIntent(tx, in); err != nil {
			return err
		}
		out, created = in, true
		return nil
	})
	if err != nil { // the write may still commit and set out: do not read it
		return Intent{}, false, err
	}
	return out, created, nil
}

// Transition moves the intent to state to, appending an Attempt to its
// history. A transition the state machine does not allow (including one
// out of a final state, and any backwards move from an out-of-order
// update) returns a *TransitionError wrapping ErrIllegalTransition and
// writes nothing. An unknown Client-Id returns ErrNotFound.
func (s *Store) Transition(ctx context.Context, clientID string, to IntentState, d Detail) (Intent, error) {
	if to == StateResolved {
		if d.Outcome != StateSucceeded && d.Outcome != StateFailed {
			return Intent{}, fmt.Errorf("%w: intent %s: resolved needs outcome succeeded or failed, got %q", ErrIllegalTransition, clientID, d.Outcome)
		}
	} else if d.Outcome != "" {
		return Intent{}, fmt.Errorf("%w: intent %s: an outcome is recorded only when resolving", ErrIllegalTransition, clientID)
	}
	if len(d.Note) > maxMemoLen || len(d.VenueRef) > maxRefLen {
		return Intent{}, fmt.Errorf("%w: intent %s: note or venue ref too long", ErrInvalidEntry, clientID)
	}
	return s.updateIntent(ctx, clientID, func(in *Intent) (bool, error) {
		if !CanTransition(in.State, to) {
			return false, &TransitionError{ClientID: clientID, From: in.State, To: to}
		}
		now := s.clock.Now().UTC()
		in.History = append(in.History, Attempt{At: now, From: in.State, To: to, VenueRef: d.VenueRef, Note: d.Note})
		in.State, in.Updated = to, now
		if d.VenueRef != "" {
			in.VenueRef = d.VenueRef
		}
		if to == StateResolved {
			in.Outcome = d.Outcome
		}
		return true, nil
	})
}

// Acknowledge records that the venue accepted the submitted intent
// clientID and named it venueRef (a 2xx answer carrying the venue's id):
// the intent stays submitted, its VenueRef becomes venueRef and an Attempt
// from submitted to submitted is appended. It proves, across restarts, that the
// venue holds the movement, so a lookup that lists nothing must not fail
// it. Acknowledging again with the same ref is a no-op; an intent in
// another state, or one already acknowledged with another ref, returns a
// *TransitionError wrapping ErrIllegalTransition and writes nothing.
func (s *Store) Acknowledge(ctx context.Context, clientID, venueRef string) (Intent, error) {
	if venueRef == "" || len(venueRef) > maxRefLen {
		return Intent{}, fmt.Errorf("%w: intent %s: acknowledgement needs a venue ref of 1 to %d bytes", ErrInvalidEntry, clientID, maxRefLen)
	}
	return s.updateIntent(ctx, clientID, func(in *Intent) (bool, error) {
		acked := in.Acknowledged()
		if in.State != StateSubmitted || acked && in.VenueRef != venueRef {
			return false, &TransitionError{ClientID: clientID, From: in.State, To: StateSubmitted}
		}
		if acked {
			return false, nil
		}
		now := s.clock.Now().UTC()
		in.History = append(in.History, Attempt{At: now, From: StateSubmitted, To: StateSubmitted, VenueRef: venueRef, Note: "acknowledged by the venue"})
		in.VenueRef, in.Updated = venueRef, now
		return true, nil
	})
}

// updateIntent reads intent clientID in a write transaction and lets fn
// change it. fn reports whether it changed anything (false: nothing is
// written and the intent is returned as it was); an error from fn is a
// refusal, and writes nothing. A change to an intent whose history is
// already full is refused (ErrInvalidEntry). An unknown Client-Id returns
// ErrNotFound.
func (s *Store) updateIntent(ctx context.Context, clientID string, fn func(*Intent) (bool, error)) (Intent, error) {
	var out Intent
	err := s.write(ctx, func(tx *bbolt.Tx) error {
		out = Intent{}
		v := tx.Bucket(bucketIntents).Get([]byte(clientID))
		if v == nil {
			return reject(fmt.Errorf("intent %s: %w", clientID, ErrNotFound))
		}
		in, err := decodeIntent(v)
		if err != nil {
			return err
		}
		before := len(in.History)
		changed, err := fn(&in)
		if err != nil {
			return reject(err)
		}
		if !changed {
			out = in
			return nil
		}
		if before >= maxHistory {
			return reject(fmt.Errorf("%w: intent %s: history full", ErrInvalidEntry, clientID))
		}
		if err := s.putIntent(tx, in); err != nil {
			return err
		}
		out = in
		return nil
	})
	if err != nil { // the write may still commit and set out: do not read it
		return Intent{}, err
	}
	return out, nil
}

// Acknowledged reports whether the venue acknowledged in (see
// Store.Acknowledge); in.VenueRef is then the id the venue gave.
func (in Intent) Acknowledged() bool {
	for _, a := range in.History {
		if a.From == StateSubmitted && a.To == StateSubmitted {
			return true
		}
	}
	return false
}

func (s *Store) putIntent(tx *bbolt.Tx, in Intent) error {
	rec, err := json.Marshal(intentRecord(in))
	if err != nil {
		return err
	}
	k := []byte(in.ClientID)
	if err := s.put(tx, bucketIntents, k, rec); err != nil {
		return err
	}
	if in.State.Final() {
		return s.del(tx, bucketIntentsOpen, k)
	}
	return s.put(tx, bucketIntentsOpen, k, nil)
}

// intentRecord is the stored form of an Intent.
type intentRecord struct {
	ClientID string          `json:"client_id"`
	Kind     IntentKind      `json:"kind"`
	Venue    Venue           `json:"venue"`
	Request  json.RawMessage `json:"request,omitempty"`
	State    IntentState     `json:"state"`
	Outcome  IntentState     `json:"outcome,omitempty"`
	VenueRef string          `json:"venue_ref,omitempty"`
	Created  time.Time       `json:"created"`
	Updated  time.Time       `json:"updated"`
	History  []Attempt       `json:"history"`
}

func decodeIntent(b []byte) (Intent, error) {
	var r intentRecord
	if err := strictUnmarshal(b, &r); err != nil {
		return Intent{}, fmt.Errorf("%w: intent: %w", ErrCorrupt, err)
	}
	if r.ClientID == "" || !r.State.Valid() || len(r.History) == 0 {
		return Intent{}, fmt.Errorf("%w: intent %q: missing client id, state or history", ErrCorrupt, r.ClientID)
	}
	in := Intent(r)
	in.Request = append(json.RawMessage(nil), r.Request...)
	return in, nil
}

// Intent returns the intent with the given Client-Id, or ErrNotFound.
func (s *Store) Intent(ctx context.Context, clientID string) (Intent, error) {
	var in Intent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketIntents).Get([]byte(clientID))
		if v == nil {
			return fmt.Errorf("intent %s: %w", clientID, ErrNotFound)
		}
		var err error
		in, err = decodeIntent(v)
		return err
	})
	return in, err
}

// Unfinished returns every intent not in a final state (pending, submitted,
// unknown), sorted by Client-Id. At start-up each one is resumed or looked
// up at the venue by Client-Id before anything is re-sent.
func (s *Store) Unfinished(ctx context.Context) ([]Intent, error) {
	var out []Intent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		all := tx.Bucket(bucketIntents)
		return tx.Bucket(bucketIntentsOpen).ForEach(func(k, _ []byte) error {
			v := all.Get(k)
			if v == nil {
				return fmt.Errorf("%w: open-intent index names %q, which is missing", ErrCorrupt, k)
			}
			in, err := decodeIntent(v)
			if err != nil {
				return err
			}
			out = append(out, in)
			return nil
		})
	})
	return out, err
}

// Intents returns every intent in state st (every intent if st is empty),
// sorted by Client-Id.
func (s *Store) Intents(ctx context.Context, st IntentState) ([]Intent, error) {
	var out []Intent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketIntents).ForEach(func(k, v []byte) error {
			in, err := decodeIntent(v)
			if err != nil {
				return err
			}
			if st == "" || in.State == st {
				out = append(out, in)
			}
			return nil
		})
	})
	return out, err
}

package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"
)

// CounterAdd is one addition to a counter, made once per OpID (see
// AddCounter).
type CounterAdd struct {
	Key   CounterKey
	OpID  string
	Delta decimal.Decimal
}

// Submission is what is recorded before a money-moving request leaves:
// the intent, already in state submitted, with what must be durable
// together with it (a movement's transit entry, its reservations against
// daily caps). Submit writes it in one transaction, so the request waits
// for one fsync.
type Submission struct {
	Intent   Intent
	Entries  []Entry
	Counters []CounterAdd
}

// Submit records sub in one transaction and returns the intent, in state
// submitted, with created true once durable. If an intent with the same
// Client-Id exists it returns that one and created false, writing nothing:
// the caller looks the intent up at the venue and never sends it again.
// An intent, entry or counter that does not validate, an entry whose key
// is already in the journal or whose opposite outcome is posted, refuses
// the whole submission: nothing is written.
//
// As with every write, a context that ends while sub is queued returns an
// error and sub may still commit: call Submit again (it is idempotent by
// Client-Id) or read the intent to learn which.
func (s *Store) Submit(ctx context.Context, sub Submission) (Intent, bool, error) {
	in, err := s.newIntent(sub.Intent, StateSubmitted)
	if err != nil {
		return Intent{}, false, err
	}
	entries := make([]Entry, len(sub.Entries))
	for i, e := range sub.Entries {
		if entries[i], err = s.prepare(e); err != nil {
			return Intent{}, false, fmt.Errorf("intent %s: %w", in.ClientID, err)
		}
		if entries[i].Reverses != "" {
			return Intent{}, false, fmt.Errorf("%w: intent %s: a reversal is not part of a submission", ErrInvalidEntry, in.ClientID)
		}
	}
	adds, err := s.counterFns(sub.Counters)
	if err != nil {
		return Intent{}, false, fmt.Errorf("intent %s: %w", in.ClientID, err)
	}
	var (
		out     Intent
		created bool
	)
	err = s.write(ctx, func(tx *bbolt.Tx) error {
		out, created = Intent{}, false
		if v := tx.Bucket(bucketIntents).Get([]byte(in.ClientID)); v != nil {
			var err error
			out, err = decodeIntent(v)
			return err
		}
		for _, e := range entries {
			if err := s.checkPost(tx, e); err != nil {
				if x := (*existing)(nil); errors.As(err, &x) {
					return reject(fmt.Errorf("%w: intent %s: entry %s is already in the journal", ErrInvalidEntry, in.ClientID, e.Key))
				}
				return err
			}
		}
		if err := s.putIntent(tx, in); err != nil {
			return err
		}
		for _, e := range entries {
			if _, err := s.postTx(tx, e); err != nil {
				return err
			}
		}
		for _, add := range adds {
			if err := add(tx); err != nil {
				return err
			}
		}
		out, created = in, true
		return nil
	})
	if err != nil { // the write may still commit and set out: do not read it
		return Intent{}, false, err
	}
	return out, created, nil
}

// newIntent validates in and returns it as a new intent in state st.
func (s *Store) newIntent(in Intent, st IntentState) (Intent, error) {
	if in.ClientID == "" || len(in.ClientID) > maxClientIDLen || !printable(in.ClientID) {
		return Intent{}, fmt.Errorf("%w: intent client id must be 1-%d printable characters", ErrInvalidEntry, maxClientIDLen)
	}
	switch in.Kind {
	case IntentOrder, IntentRFQAccept, IntentWithdrawal, IntentTransfer, IntentLightning, IntentPayout:
	default:
		return Intent{}, fmt.Errorf("%w: intent %s: unknown kind %q", ErrInvalidEntry, in.ClientID, in.Kind)
	}
	if !validVenue(string(in.Venue)) {
		return Intent{}, fmt.Errorf("%w: intent %s: venue %q", ErrInvalidEntry, in.ClientID, in.Venue)
	}
	if len(in.Request) > 0 && !json.Valid(in.Request) {
		return Intent{}, fmt.Errorf("%w: intent %s: request is not valid JSON", ErrInvalidEntry, in.ClientID)
	}
	now := s.clock.Now().UTC()
	in.State, in.Outcome, in.VenueRef = st, "", ""
	in.Created, in.Updated = now, now
	in.Request = append(json.RawMessage(nil), in.Request...)
	in.History = []Attempt{{At: now, To: st}}
	return in, nil
}

// counterFns validates adds and returns the writes that apply them.
func (s *Store) counterFns(adds []CounterAdd) ([]func(*bbolt.Tx) error, error) {
	fns := make([]func(*bbolt.Tx) error, len(adds))
	for i, c := range adds {
		var (
			total   decimal.Decimal
			applied bool
		)
		fn, err := s.addCounterFn(c.Key, c.OpID, c.Delta, &total, &applied)
		if err != nil {
			return nil, err
		}
		fns[i] = fn
	}
	return fns, nil
}

// Settlement is how an intent ended, recorded in one transaction: the
// journal entries that put its outcome in the books (a fill; a movement's
// settled or failed entry) and the counter additions it implies (caps
// released), then the intent's transition.
type Settlement struct {
	ClientID string
	To       IntentState // succeeded, failed, or resolved with Detail.Outcome
	Detail   Detail
	Entries  []Entry
	Counters []CounterAdd
}

// Settle records st in one transaction. Entries whose key is already in
// the journal are left as they are (a webhook got there first) and
// counter additions count once per op id, so settling again after a crash
// changes nothing. An intent already final with the same outcome is left
// as it is, the entries still posted; one final with the other outcome, a
// transition the state machine refuses, or an entry whose opposite
// outcome is posted (ErrOutcomeConflict) refuses the whole settlement:
// nothing is written. It returns the intent as it is after the write.
func (s *Store) Settle(ctx context.Context, st Settlement) (Intent, error) {
	if st.To == StateResolved {
		if st.Detail.Outcome != StateSucceeded && st.Detail.Outcome != StateFailed {
			return Intent{}, fmt.Errorf("%w: intent %s: resolved needs outcome succeeded or failed, got %q", ErrIllegalTransition, st.ClientID, st.Detail.Outcome)
		}
	} else if st.Detail.Outcome != "" {
		return Intent{}, fmt.Errorf("%w: intent %s: an outcome is recorded only when resolving", ErrIllegalTransition, st.ClientID)
	}
	if len(st.Detail.Note) > maxMemoLen || len(st.Detail.VenueRef) > maxRefLen {
		return Intent{}, fmt.Errorf("%w: intent %s: note or venue ref too long", ErrInvalidEntry, st.ClientID)
	}
	want := st.To
	if want == StateResolved {
		want = st.Detail.Outcome
	}
	entries := make([]Entry, len(st.Entries))
	for i, e := range st.Entries {
		var err error
		if entries[i], err = s.prepare(e); err != nil {
			return Intent{}, fmt.Errorf("intent %s: %w", st.ClientID, err)
		}
	}
	adds, err := s.counterFns(st.Counters)
	if err != nil {
		return Intent{}, fmt.Errorf("intent %s: %w", st.ClientID, err)
	}
	var out Intent
	err = s.write(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = s.settleTx(tx, st, want, entries, adds)
		return err
	})
	if err != nil { // the write may still commit and set out: do not read it
		return Intent{}, err
	}
	return out, nil
}

// settleTx is Settle's write in tx, with st's entries prepared and its
// counter additions as writes.
func (s *Store) settleTx(tx *bbolt.Tx, st Settlement, want IntentState, entries []Entry, adds []func(*bbolt.Tx) error) (Intent, error) {
	v := tx.Bucket(bucketIntents).Get([]byte(st.ClientID))
	if v == nil {
		return Intent{}, reject(fmt.Errorf("intent %s: %w", st.ClientID, ErrNotFound))
	}
	in, err := decodeIntent(v)
	if err != nil {
		return Intent{}, err
	}
	final := in.State.Final()
	switch {
	case final && finalOutcome(in) != want,
		!final && !CanTransition(in.State, st.To):
		return Intent{}, reject(&TransitionError{ClientID: st.ClientID, From: in.State, To: st.To})
	case !final && len(in.History) >= maxHistory:
		return Intent{}, reject(fmt.Errorf("%w: intent %s: history full", ErrInvalidEntry, st.ClientID))
	}
	var post []Entry
	for _, e := range entries {
		err := s.checkPost(tx, e)
		if x := (*existing)(nil); errors.As(err, &x) {
			continue
		}
		if err != nil {
			return Intent{}, err
		}
		post = append(post, e)
	}
	for _, e := range post {
		if _, err := s.postTx(tx, e); err != nil {
			return Intent{}, err
		}
	}
	for _, add := range adds {
		if err := add(tx); err != nil {
			return Intent{}, err
		}
	}
	if final {
		return in, nil
	}
	now := s.clock.Now().UTC()
	in.History = append(in.History, Attempt{At: now, From: in.State, To: st.To, VenueRef: st.Detail.VenueRef, Note: st.Detail.Note})
	in.State, in.Updated = st.To, now
	if st.Detail.VenueRef != "" {
		in.VenueRef = st.Detail.VenueRef
	}
	if st.To == StateResolved {
		in.Outcome = st.Detail.Outcome
	}
	return in, s.putIntent(tx, in)
}

// finalOutcome is succeeded or failed for a final intent.
func finalOutcome(in Intent) IntentState {
	if in.State == StateResolved {
		return in.Outcome
	}
	return in.State
}

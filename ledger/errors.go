package ledger

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers branch on them with errors.Is; the returned
// errors wrap them with the operation and the key involved.
var (
	// ErrUnbalanced: the postings of an entry do not sum to zero for some asset.
	ErrUnbalanced = errors.New("ledger: entry does not balance")
	// ErrInvalidEntry: an entry is malformed (no key, too few postings, bad
	// amount, unknown kind, ...). Nothing was written.
	ErrInvalidEntry = errors.New("ledger: invalid entry")
	// ErrInvalidAccount: an account name does not follow the chart of accounts.
	ErrInvalidAccount = errors.New("ledger: invalid account")
	// ErrNotFound: no record with that key.
	ErrNotFound = errors.New("ledger: not found")
	// ErrIllegalTransition: the intent state machine refuses the transition.
	ErrIllegalTransition = errors.New("ledger: illegal intent transition")
	// ErrOutcomeConflict: a movement's settled entry is posted while its
	// failed entry exists and is not reversed, or the other way round.
	ErrOutcomeConflict = errors.New("ledger: the movement's opposite outcome is already posted")
	// ErrInUse: another process holds the file (a running engine, usually).
	ErrInUse = errors.New("ledger: file in use by another process")
	// ErrNewerSchema: the file was written by a newer version of the engine.
	ErrNewerSchema = errors.New("ledger: file has a newer schema than this engine supports")
	// ErrNotLedger: the file is not a ledger (corrupt, or another program's file).
	ErrNotLedger = errors.New("ledger: not a ledger file")
	// ErrCorrupt: a stored record does not decode or an invariant does not hold.
	ErrCorrupt = errors.New("ledger: corrupt record")
	// ErrReadOnly: a write on a store opened read-only.
	ErrReadOnly = errors.New("ledger: store opened read-only")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("ledger: store closed")
)

// TransitionError reports a refused intent transition. It wraps
// ErrIllegalTransition.
type TransitionError struct {
	ClientID string
	From, To IntentState
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("ledger: intent %s: illegal transition %s -> %s", e.ClientID, e.From, e.To)
}

// Unwrap returns ErrIllegalTransition.
func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }

// Mismatch is one difference found by Verify between a stored balance and
// the balance rebuilt from the journal.
type Mismatch struct {
	Account Account
	Asset   string
	Stored  string // "" if absent
	Rebuilt string // "" if absent
}

// VerifyError lists every invariant violation Verify found. It wraps ErrCorrupt.
type VerifyError struct {
	Mismatches []Mismatch // balances that differ from the rebuild
	Problems   []string   // other violations (unbalanced entry, broken index, bbolt page errors)
}

func (e *VerifyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ledger: verify: %d balance mismatch(es), %d other problem(s)", len(e.Mismatches), len(e.Problems))
	for i, m := range e.Mismatches {
		if i == 5 {
			b.WriteString("; ...")
			break
		}
		fmt.Fprintf(&b, "; %s %s stored %q rebuilt %q", m.Account, m.Asset, m.Stored, m.Rebuilt)
	}
	for i, p := range e.Problems {
		if i == 5 {
			b.WriteString("; ...")
			break
		}
		b.WriteString("; ")
		b.WriteString(p)
	}
	return b.String()
}

// Unwrap returns ErrCorrupt.
func (e *VerifyError) Unwrap() error { return ErrCorrupt }

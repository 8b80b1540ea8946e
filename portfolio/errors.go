package portfolio

import (
	"errors"
	"fmt"
	"time"

	"github.com/otcdesk/engine/market"
)

// Sentinel errors. Callers branch on them with errors.Is; the returned
// errors wrap them with the entry key or configuration key involved.
var (
	// ErrInvalidConfig: a Config value is missing or out of range.
	ErrInvalidConfig = errors.New("portfolio: invalid configuration")
	// ErrInvalidPair: a pair spec has no symbol, repeats one, or joins an
	// asset to itself.
	ErrInvalidPair = errors.New("portfolio: invalid pair")
	// ErrInvalidEntry: an entry does not validate the way the ledger
	// validates it (no key, unbalanced, bad amount). The book is unchanged.
	ErrInvalidEntry = errors.New("portfolio: invalid entry")
	// ErrUnpriced: an entry moves an asset the prices at its time cannot
	// value in the reference. The book is unchanged; see UnpricedError.
	ErrUnpriced = errors.New("portfolio: no price path at the entry's time")
	// ErrUnknownReversal: a reversal names an entry the book never applied
	// (it was fed the journal from the middle). The book is unchanged.
	ErrUnknownReversal = errors.New("portfolio: reversal of an entry the book has not applied")
	// ErrInvalidReversal: a reversal is not keyed "reversal:<key>" or its
	// postings do not negate the entry it names. The book is unchanged.
	ErrInvalidReversal = errors.New("portfolio: reversal does not negate its entry")
	// ErrMismatch: two reports of different references or methods were
	// compared.
	ErrMismatch = errors.New("portfolio: reports are not comparable")
)

// UnpricedError reports the entry and asset that could not be valued. It
// wraps ErrUnpriced.
type UnpricedError struct {
	Entry     string       // entry key
	Asset     market.Asset // asset without a price path
	Reference market.Asset
	At        time.Time // the entry's time, the prices asked for
}

func (e *UnpricedError) Error() string {
	return fmt.Sprintf("portfolio: entry %s: no price path from %s to %s at %s",
		e.Entry, e.Asset, e.Reference, e.At.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrUnpriced.
func (e *UnpricedError) Unwrap() error { return ErrUnpriced }

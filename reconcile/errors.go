package reconcile

import "errors"

// Sentinel errors. The returned errors wrap them with what was being done.
var (
	// ErrConfig: New was given an unusable Config or Deps.
	ErrConfig = errors.New("reconcile: invalid configuration")
	// ErrVenue: the venue could not be read completely; the run was
	// abandoned and nothing was stored.
	ErrVenue = errors.New("reconcile: venue history unavailable")
	// ErrLedger: the ledger could not be read or written; the run was
	// abandoned.
	ErrLedger = errors.New("reconcile: ledger unavailable")
	// ErrBadReport: a stored or given report does not decode.
	ErrBadReport = errors.New("reconcile: malformed report")
)

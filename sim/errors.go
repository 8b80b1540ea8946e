package sim

import (
	"errors"
	"fmt"
)

// ErrorKind classifies a refusal by the venue. The REST adapter maps each
// kind to an HTTP status and to the error codes of both documented formats.
type ErrorKind int

const (
	// KindInvalid is a request that fails validation (400).
	KindInvalid ErrorKind = iota
	// KindMissing is a request without a required parameter (400).
	KindMissing
	// KindNotFound is an unknown id (404).
	KindNotFound
	// KindConflict is a request that conflicts with the current state, such
	// as accepting an RFQ twice (409; the guide's CONFLICT travels as 400).
	KindConflict
	// KindInsufficientFunds is a trade or withdrawal larger than the
	// available balance (400).
	KindInsufficientFunds
	// KindExpired is a price quote or RFQ used after its expiry (400).
	KindExpired
)

// Error is a refusal by the venue: nothing was applied. Param names the
// offending request field when there is one.
type Error struct {
	Kind    ErrorKind
	Param   string
	Message string
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("sim: %s (%s)", e.Message, e.Param)
	}
	return "sim: " + e.Message
}

// Is makes errors.Is(err, ErrNotFound) and friends work on *Error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is; each matches every *Error of its kind.
var (
	ErrInvalid           = &Error{Kind: KindInvalid}
	ErrMissing           = &Error{Kind: KindMissing}
	ErrNotFound          = &Error{Kind: KindNotFound}
	ErrConflict          = &Error{Kind: KindConflict}
	ErrInsufficientFunds = &Error{Kind: KindInsufficientFunds}
	ErrExpired           = &Error{Kind: KindExpired}
)

// ErrClosed is returned by Subscription.Next after Close.
var ErrClosed = errors.New("sim: subscription closed")

func invalid(param, format string, args ...any) error {
	return &Error{Kind: KindInvalid, Param: param, Message: fmt.Sprintf(format, args...)}
}

func missing(param string) error {
	return &Error{Kind: KindMissing, Param: param, Message: "Missing required parameter: " + param}
}

func notFound(what, id string) error {
	return &Error{Kind: KindNotFound, Message: fmt.Sprintf("%s %q not found", what, id)}
}

func conflict(format string, args ...any) error {
	return &Error{Kind: KindConflict, Message: fmt.Sprintf(format, args...)}
}

func expired(param, format string, args ...any) error {
	return &Error{Kind: KindExpired, Param: param, Message: fmt.Sprintf(format, args...)}
}

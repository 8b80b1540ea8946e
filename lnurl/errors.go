package lnurl

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. EndpointError, RefusedError and AmountError wrap the
// relevant one, so callers branch with errors.Is.
var (
	// ErrConfig: New was given an invalid Config.
	ErrConfig = errors.New("lnurl: invalid configuration")
	// ErrDestination: the destination is not a Lightning Address, an
	// LNURL or an allowed payRequest URL. Nothing was requested.
	ErrDestination = errors.New("lnurl: unusable Lightning destination")
	// ErrAmount: the amount cannot be invoiced (not positive, not a whole
	// millisatoshi, or outside what the payee accepts). No invoice was
	// asked for.
	ErrAmount = errors.New("lnurl: amount cannot be invoiced")
	// ErrEndpoint: the payee's LNURL service could not be reached, answered
	// its ERROR form or something that is not a valid LUD-06 answer.
	ErrEndpoint = errors.New("lnurl: LNURL-pay service failed")
	// ErrTooLarge: an answer was longer than Config.MaxBody. It comes
	// wrapped in an *EndpointError.
	ErrTooLarge = errors.New("lnurl: answer too large")
	// ErrRefused: the invoice failed a check and must not be paid.
	ErrRefused = errors.New("lnurl: invoice refused")
)

// Step names the request of the LNURL-pay flow that failed.
type Step string

// The two requests of LUD-06.
const (
	StepPayRequest Step = "payRequest" // GET of the Lightning Address or LNURL
	StepCallback   Step = "callback"   // GET of the callback with the amount
)

// EndpointError is a failed step of the LNURL-pay flow: a transport
// failure or timeout, an oversized or malformed answer, or the service's
// own {"status":"ERROR"} answer. Nothing was paid. errors.Is(err,
// ErrEndpoint) holds, and so does errors.Is(err, context.DeadlineExceeded)
// after a timeout.
type EndpointError struct {
	Step   Step
	Host   string // host (and port) asked; never the path or query, which may carry tokens
	Status int    // HTTP status when an answer came; 0 otherwise
	Reason string // the service's ERROR reason, clipped to maxReason; empty otherwise
	Err    error  // what went wrong; nil for an ERROR answer
}

func (e *EndpointError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lnurl: %s at %s", e.Step, e.Host)
	if e.Status != 0 && (e.Status < 200 || e.Status > 299) {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	switch {
	case e.Reason != "":
		fmt.Fprintf(&b, ": the service answered ERROR %q", e.Reason)
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "lnurl: "))
	}
	b.WriteString("; nothing was paid: check the destination with the payee, or try again later")
	return b.String()
}

func (e *EndpointError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrEndpoint) true.
func (e *EndpointError) Is(target error) bool { return target == ErrEndpoint }

// Check names the check an invoice failed.
type Check string

// The checks an invoice must pass before it may be paid.
const (
	// CheckMalformed: not a BOLT11 invoice, or its signature does not
	// verify (lnd's zpay32 decoder said why).
	CheckMalformed Check = "malformed"
	// CheckNetwork: the invoice is for another network than Config.Network.
	CheckNetwork Check = "network"
	// CheckAmount: the invoice has no amount or another amount than asked.
	CheckAmount Check = "amount"
	// CheckDescriptionHash: the invoice does not commit to sha256 of the
	// payRequest's metadata (LUD-06).
	CheckDescriptionHash Check = "description hash"
	// CheckExpired: the invoice expired.
	CheckExpired Check = "expired"
)

// RefusedError is an invoice that failed Check: it must not be paid.
// errors.Is(err, ErrRefused) holds.
type RefusedError struct {
	Check  Check
	Detail string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("lnurl: invoice refused (%s): %s; do not pay it: ask the payee's service for a new invoice, "+
		"and check the destination if this repeats", e.Check, e.Detail)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

func refused(c Check, format string, args ...any) error {
	return &RefusedError{Check: c, Detail: fmt.Sprintf(format, args...)}
}

// AmountError is an amount outside the bounds a payee's payRequest
// announced. errors.Is(err, ErrAmount) holds.
type AmountError struct {
	Msat, MinSendable, MaxSendable int64
}

func (e *AmountError) Error() string {
	return fmt.Sprintf("lnurl: %d msat is outside the %d to %d msat the payee accepts; send an amount in that range, "+
		"or split the payment", e.Msat, e.MinSendable, e.MaxSendable)
}

// Is makes errors.Is(err, ErrAmount) true.
func (e *AmountError) Is(target error) bool { return target == ErrAmount }

// maxReason bounds a service's ERROR reason kept in an error.
const maxReason = 200

// clip keeps the start of text from outside for an error message: at most
// n runes, control characters and invalid UTF-8 replaced by spaces, so a
// hostile service cannot write lines into a log.
func clip(s string, n int) string {
	var b strings.Builder
	kept := 0
	for _, r := range s {
		if kept == n {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			r = ' '
		}
		b.WriteRune(r)
		kept++
	}
	return b.String()
}

package heropayments

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"
)

// Sentinel errors. The typed errors below wrap the relevant ones, so callers
// branch with errors.Is.
var (
	// ErrOutcomeUnknown: a create request may or may not have been
	// processed. Look the payment up by its externalOrderId
	// (Client.PaymentStatus with Ref{ExternalOrderID: …}) before resending.
	ErrOutcomeUnknown = errors.New("heropayments: outcome unknown")
	// ErrNotSent: the request provably never reached Heropayments; nothing
	// happened and it may be sent again.
	ErrNotSent = errors.New("heropayments: request not sent")

	ErrBadRequest   = errors.New("heropayments: request rejected as invalid")  // 400, 422
	ErrUnauthorized = errors.New("heropayments: API key or signature refused") // 401
	ErrForbidden    = errors.New("heropayments: forbidden")                    // 403
	ErrNotFound     = errors.New("heropayments: not found")                    // 404
	ErrConflict     = errors.New("heropayments: conflict with current state")  // 409
	ErrRateLimited  = errors.New("heropayments: rate limited")                 // 429
	ErrServer       = errors.New("heropayments: server error")                 // 5xx
	ErrStatus       = errors.New("heropayments: unexpected HTTP status")       // anything else

	ErrInvalidInput      = errors.New("heropayments: invalid argument") // refused before sending
	ErrConfig            = errors.New("heropayments: invalid configuration")
	ErrInvalidJSON       = errors.New("heropayments: invalid JSON")
	ErrInexactAmount     = errors.New("heropayments: amount would not survive JSON.stringify unchanged")
	ErrSignature         = errors.New("heropayments: signature missing or invalid")
	ErrMalformedResponse = errors.New("heropayments: malformed response body")
	ErrResponseTooLarge  = errors.New("heropayments: response body too large")
	ErrLimitExceeded     = errors.New("heropayments: daily withdrawal limit exceeded")
)

// APIError is a non-2xx answer from Heropayments. The document links its
// error list without giving a body format, so the body is read leniently:
// {"error": {"code", "message"}}, {"error": "text"} and {"code", "message"}
// are understood, anything else leaves Code empty and Message a short
// sanitised snippet. Err is the sentinel of the status class. Message never
// contains the API key or secret.
type APIError struct {
	Op         string // route, for example "POST /v2/withdrawals"
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
	Err        error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "heropayments: %s: HTTP %d", e.Op, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.Err }

// UnknownOutcomeError is returned by a create request (deposit or
// withdrawal) that failed in a way that leaves open whether Heropayments
// processed it: a timeout or broken connection after the request was
// written, a 5xx, or a 2xx whose body could not be read. The caller must
// look the payment up by ExternalOrderID before sending anything again.
type UnknownOutcomeError struct {
	Op              string
	ExternalOrderID string
	Err             error
}

func (e *UnknownOutcomeError) Error() string {
	return fmt.Sprintf("heropayments: %s (externalOrderId %s): outcome unknown, look it up by externalOrderId before resending: %v",
		e.Op, e.ExternalOrderID, e.Err)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrOutcomeUnknown) true.
func (e *UnknownOutcomeError) Is(target error) bool { return target == ErrOutcomeUnknown }

// ResponseError is a 2xx response that cannot be used. Err wraps
// ErrMalformedResponse or ErrResponseTooLarge.
type ResponseError struct {
	Op     string
	Status int
	Err    error
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("heropayments: %s: HTTP %d: %v", e.Op, e.Status, e.Err)
}

func (e *ResponseError) Unwrap() error { return e.Err }

// LimitError is a withdrawal refused locally, before any request, because
// it would take a daily limit past its ceiling. It wraps ErrLimitExceeded.
type LimitError struct {
	Scope      string // "merchant" or "customer"
	CustomerID string
	Day        string // YYYY-MM-DD in the limits' time zone
	Limit      decimal.Decimal
	Used       decimal.Decimal // already counted today
	Amount     decimal.Decimal // requested
}

func (e *LimitError) Error() string {
	who := "merchant account"
	if e.Scope == ScopeCustomer {
		who = "customer " + e.CustomerID
	}
	return fmt.Sprintf("heropayments: withdrawal of %s refused: %s daily limit %s for %s, %s already used; wait for the next day or ask Heropayments to raise the limit",
		e.Amount, who, e.Limit, e.Day, e.Used)
}

func (e *LimitError) Unwrap() error { return ErrLimitExceeded }

// maxMessage bounds the Heropayments-supplied text kept in an APIError.
const maxMessage = 200

// redactor removes the credentials from text Heropayments sends back.
type redactor struct{ secrets []string }

func (r redactor) clean(s string) string {
	for _, k := range r.secrets {
		if k != "" {
			s = strings.ReplaceAll(s, k, "[redacted]")
		}
	}
	s = strings.Map(func(c rune) rune {
		if c == '\n' || c == '\r' || c == '\t' {
			return ' '
		}
		if !unicode.IsPrint(c) {
			return -1
		}
		return c
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}

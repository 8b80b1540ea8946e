package hercle

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Sentinel errors. APIError, ResponseError and UnknownOutcomeError wrap the
// relevant ones, so callers can branch with errors.Is.
var (
	// ErrOutcomeUnknown: the request may or may not have been processed.
	// Look the operation up by its Client-Id before resending.
	ErrOutcomeUnknown = errors.New("hercle: outcome unknown")
	// ErrNotSent: the request provably never reached the venue (the
	// connection failed before it was written, or the deadline passed
	// first); nothing happened and it may be sent again.
	ErrNotSent = errors.New("hercle: request not sent")

	ErrBadRequest   = errors.New("hercle: request rejected as invalid")      // 400, 422, validation codes
	ErrUnauthorized = errors.New("hercle: API key missing or invalid")       // 401
	ErrForbidden    = errors.New("hercle: forbidden")                        // 403
	ErrNotFound     = errors.New("hercle: not found")                        // 404
	ErrConflict     = errors.New("hercle: conflict with current state")      // 409 or code CONFLICT
	ErrRateLimited  = errors.New("hercle: rate limited")                     // 429
	ErrServer       = errors.New("hercle: venue server error")               // 5xx
	ErrStatus       = errors.New("hercle: unexpected HTTP status")           // anything else
	ErrInvalidInput = errors.New("hercle: invalid argument")                 // rejected before sending
	ErrConfig       = errors.New("hercle: invalid configuration")            // NewClient
	ErrPagination   = errors.New("hercle: pagination did not make progress") // server ignored page/token

	ErrMalformedResponse = errors.New("hercle: malformed response body")
	ErrContentType       = errors.New("hercle: response is not JSON")
	ErrResponseTooLarge  = errors.New("hercle: response body too large")
	ErrUnexpectedShape   = errors.New("hercle: response has an unexpected shape")
)

// APIError is a non-2xx answer from the venue. It decodes both documented
// error bodies: the documentation site's {"error": {code, message, param,
// type}} with lower-case codes and the guide's flat {code, message} with
// upper-case codes. A body that is neither (an HTML page from a proxy, an
// empty body) leaves Code empty and Message a short sanitized snippet.
//
// Err is the sentinel for the status class (ErrRateLimited, ErrServer, …),
// so errors.Is works on an *APIError. Message never contains the API key.
type APIError struct {
	Op         string        // route, for example "POST /api/v1/orders"
	Status     int           // HTTP status code
	Code       string        // venue error code as sent ("invalid_api_key", "VALIDATION_ERROR"); may be empty
	Type       string        // error.type of the site's format; may be empty
	Param      string        // error.param of the site's format; may be empty
	Message    string        // sanitized, at most maxMessage characters
	RetryAfter time.Duration // from a Retry-After header; 0 if none
	Err        error         // status-class sentinel
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hercle: %s: HTTP %d", e.Op, e.Status)
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Param != "" {
		fmt.Fprintf(&b, " (param %s)", e.Param)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.Err }

// Temporary reports whether the same request may succeed later (429, 5xx).
func (e *APIError) Temporary() bool { return e.Status == 429 || e.Status >= 500 }

// UnknownOutcomeError is returned by a request that creates or moves
// something when it failed in a way that leaves open whether the venue
// processed it: a timeout or a connection reset after the request was
// written, a 5xx, or a success status whose body could not be read. The
// caller must look the operation up by ClientID before sending it again.
// ClientID is empty for creations that carry none (RFQ, whitelist, invoice,
// banking registrations).
type UnknownOutcomeError struct {
	Op       string
	ClientID string
	Err      error
}

func (e *UnknownOutcomeError) Error() string {
	if e.ClientID == "" {
		return fmt.Sprintf("hercle: %s: outcome unknown: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("hercle: %s (Client-Id %s): outcome unknown, look it up by Client-Id before resending: %v", e.Op, e.ClientID, e.Err)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrOutcomeUnknown) true.
func (e *UnknownOutcomeError) Is(target error) bool { return target == ErrOutcomeUnknown }

// ResponseError is a 2xx response that cannot be used: not JSON, malformed
// or truncated JSON, too large, or a shape no documented form allows. Err
// wraps ErrContentType, ErrMalformedResponse, ErrResponseTooLarge or
// ErrUnexpectedShape.
type ResponseError struct {
	Op          string
	Status      int
	ContentType string
	Err         error
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("hercle: %s: HTTP %d (%s): %v", e.Op, e.Status, e.ContentType, e.Err)
}

func (e *ResponseError) Unwrap() error { return e.Err }

// maxMessage bounds the venue-supplied text kept in an APIError.
const maxMessage = 200

// redactor removes the API key, and any token that is a piece of it, from
// text the venue sends back ("Invalid API key provided: eyJhb...").
type redactor struct{ key string }

func (r redactor) clean(s string) string {
	if r.key != "" {
		s = strings.ReplaceAll(s, r.key, "[redacted]")
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
	if r.key != "" {
		fields := strings.FieldsFunc(s, func(c rune) bool {
			return unicode.IsSpace(c) || strings.ContainsRune(`"',;:()[]{}<>=`, c)
		})
		for _, f := range fields {
			t := strings.TrimRight(f, ".…")
			if len(t) >= 4 && strings.Contains(r.key, t) {
				s = strings.ReplaceAll(s, t, "[redacted]")
			}
		}
	}
	s = strings.TrimSpace(s)
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

package hercle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// decodeBody decodes a 2xx response into out. An empty body is a success
// only when emptyOK (or out is nil); a present Content-Type must be JSON.
func decodeBody(op string, res result, out any, emptyOK bool) error {
	ct := res.header.Get("Content-Type")
	fail := func(err error) error {
		return &ResponseError{Op: op, Status: res.status, ContentType: ct, Err: err}
	}
	if res.tooLarge {
		return fail(fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, maxBody))
	}
	if len(bytes.TrimSpace(res.body)) == 0 {
		if emptyOK || out == nil {
			return nil
		}
		return fail(fmt.Errorf("%w: empty body", ErrMalformedResponse))
	}
	if !isJSONType(ct) {
		return fail(ErrContentType)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		if errors.Is(err, ErrUnexpectedShape) {
			return fail(err)
		}
		return fail(fmt.Errorf("%w: %w", ErrMalformedResponse, err))
	}
	return nil
}

// isJSONType accepts application/json, text/json and any +json type, or
// no Content-Type at all (the body is then judged on its own).
func isJSONType(ct string) bool {
	if strings.TrimSpace(ct) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// oneOrArray decodes a JSON object, or an array holding exactly one
// object, into V. Hercle documents some responses (balances, withdrawal
// creation) as an object and shows them as a one-element array; both are
// accepted. Any other array length is ErrUnexpectedShape: merging or
// picking would be a guess.
type oneOrArray[T any] struct {
	V     T
	Array bool // the venue sent the array form
}

func (o *oneOrArray[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '[' {
		return json.Unmarshal(b, &o.V)
	}
	var vs []T
	if err := json.Unmarshal(b, &vs); err != nil {
		return err
	}
	if len(vs) != 1 {
		return fmt.Errorf("%w: an array of %d items where one object was expected", ErrUnexpectedShape, len(vs))
	}
	o.V, o.Array = vs[0], true
	return nil
}

// parseAPIError builds the error for a non-2xx response. It never fails:
// whatever the body, the status is kept and at most a short, redacted
// snippet of the text. It reads both documented error bodies: the site's
// {"error": {code, message, param, type}} and the guide's {code, message}.
func parseAPIError(op string, res result, red redactor, now time.Time) *APIError {
	e := &APIError{Op: op, Status: res.status, Err: statusSentinel(res.status)}
	if d, ok := venuehttp.RetryAfter(res.header, now); ok {
		e.RetryAfter = d
	}
	if !res.tooLarge {
		if eb, ok := venuehttp.ParseErrorBody(res.body); ok {
			e.Code, e.Message, e.Param, e.Type = red.clean(eb.Code), red.clean(eb.Message), red.clean(eb.Param), red.clean(eb.Type)
		}
	}
	if e.Code == "" && e.Message == "" {
		e.Message = venuehttp.Snippet(res.body, red.clean)
	}
	if s := codeSentinel(e.Code); s != nil && res.status < 500 {
		e.Err = s
	}
	return e
}

func statusSentinel(status int) error {
	return venuehttp.StatusErrors{
		BadRequest: ErrBadRequest, Unauthorized: ErrUnauthorized, Forbidden: ErrForbidden, NotFound: ErrNotFound,
		Conflict: ErrConflict, RateLimited: ErrRateLimited, Server: ErrServer, Other: ErrStatus,
	}.Of(status)
}

// codeSentinel refines the status class from the venue's code; the guide
// sends CONFLICT with HTTP 400, for example. Unknown codes give nil.
func codeSentinel(code string) error {
	switch strings.ToUpper(code) {
	case "VALIDATION_ERROR", "INVALID_REQUEST", "MISSING_PARAMETER", "GENERIC_ERROR":
		return ErrBadRequest
	case "UNAUTHORIZED", "AUTHENTICATION_REQUIRED", "INVALID_API_KEY":
		return ErrUnauthorized
	case "FORBIDDEN":
		return ErrForbidden
	case "NOT_FOUND":
		return ErrNotFound
	case "CONFLICT":
		return ErrConflict
	case "RATE_LIMIT_EXCEEDED":
		return ErrRateLimited
	}
	return nil
}

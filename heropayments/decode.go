package heropayments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// decodeBody decodes a 2xx response into out.
func decodeBody(op string, res result, out any) error {
	fail := func(err error) error { return &ResponseError{Op: op, Status: res.status, Err: err} }
	if res.tooLarge {
		return fail(fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, maxBody))
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(res.body)) == 0 {
		return fail(fmt.Errorf("%w: empty body", ErrMalformedResponse))
	}
	if err := decodeJSON(res.body, out); err != nil {
		return fail(err)
	}
	return nil
}

// decodeJSON decodes one JSON value into out, leniently (unknown fields
// are ignored, so an addition on Heropayments' side never stops us).
// Errors wrap ErrMalformedResponse and never quote the body.
func decodeJSON(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: %s", ErrMalformedResponse, jsonErrorKind(err))
	}
	// Token, not More: More answers false before a stray '}' or ']'.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the JSON value", ErrMalformedResponse)
	}
	return checkKeyCase(b, out)
}

// checkKeyCase refuses an object with a key that matches one of out's
// fields only case-insensitively ("ExternalOrderId" for externalOrderId).
// encoding/json would take such a key for the field, and the last one of
// several would win; JavaScript, which produced and signed the body, sees
// a different property. The field would then hold a value Heropayments
// never meant for it.
func checkKeyCase(b []byte, out any) error {
	t := reflect.TypeOf(out)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return nil
	}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		for k := range obj {
			if k != name && strings.EqualFold(k, name) {
				return fmt.Errorf("%w: key %q differs from field %q only in case", ErrMalformedResponse, truncate(k, 40), name)
			}
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// jsonErrorKind describes a decoding error without the offending text.
func jsonErrorKind(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("syntax error at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %q: %s where %s was expected", e.Field, e.Value, e.Type)
	}
	if err.Error() == "unexpected EOF" {
		return "truncated JSON"
	}
	return "invalid value"
}

// parseAPIError builds the error of a non-2xx response. It never fails. It
// reads {"error": {"code", "message"}}, {"error": "text"} and {"code",
// "message"}.
func parseAPIError(op string, res result, red redactor, now time.Time) *APIError {
	e := &APIError{Op: op, Status: res.status, Err: statusSentinel(res.status)}
	if d, ok := venuehttp.RetryAfter(res.header, now); ok {
		e.RetryAfter = d
	}
	if !res.tooLarge {
		if eb, ok := venuehttp.ParseErrorBody(res.body); ok {
			e.Code, e.Message = red.clean(eb.Code), red.clean(eb.Message)
		}
	}
	if e.Code == "" && e.Message == "" {
		e.Message = venuehttp.Snippet(res.body, red.clean)
	}
	return e
}

func statusSentinel(status int) error {
	return venuehttp.StatusErrors{
		BadRequest: ErrBadRequest, Unauthorized: ErrUnauthorized, Forbidden: ErrForbidden, NotFound: ErrNotFound,
		Conflict: ErrConflict, RateLimited: ErrRateLimited, Server: ErrServer, Other: ErrStatus,
	}.Of(status)
}

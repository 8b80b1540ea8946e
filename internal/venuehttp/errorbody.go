package venuehttp

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// ErrorBody is what a venue's error body says. Fields it does not carry
// are empty.
type ErrorBody struct {
	Code, Message, Param, Type string
}

// ParseErrorBody reads an error body leniently, in the forms venues send:
// {"error": {"code", "message", "param", "type"}}, {"error": "text"} and
// {"code", "message"}. Strings are taken as they are, numbers and
// booleans as their literals, anything else as "". ok is false when body
// is not a JSON object (or null).
func ParseErrorBody(body []byte) (eb ErrorBody, ok bool) {
	var outer struct {
		Error   json.RawMessage `json:"error"`
		Code    json.RawMessage `json:"code"`
		Message json.RawMessage `json:"message"`
	}
	if json.Unmarshal(body, &outer) != nil {
		return ErrorBody{}, false
	}
	var inner struct {
		Code    json.RawMessage `json:"code"`
		Message json.RawMessage `json:"message"`
		Param   json.RawMessage `json:"param"`
		Type    json.RawMessage `json:"type"`
	}
	switch {
	case len(outer.Error) > 0 && json.Unmarshal(outer.Error, &inner) == nil:
		return ErrorBody{Code: Scalar(inner.Code), Message: Scalar(inner.Message), Param: Scalar(inner.Param), Type: Scalar(inner.Type)}, true
	case len(outer.Error) > 0:
		return ErrorBody{Message: Scalar(outer.Error)}, true
	}
	return ErrorBody{Code: Scalar(outer.Code), Message: Scalar(outer.Message)}, true
}

// Scalar returns a JSON string's text, or a number's or boolean's literal;
// anything else (objects, arrays, null) gives "".
func Scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	switch raw[0] {
	case '{', '[', 'n':
		return ""
	}
	return string(raw)
}

// maxSnippet bounds the text kept from an error body that is not one of
// the understood forms.
const maxSnippet = 80

// Snippet returns the start of body, cleaned by clean (which removes
// credentials and control characters) and cut to 80 characters: all that
// an error keeps of a body it cannot read.
func Snippet(body []byte, clean func(string) string) string {
	if len(body) > 4*maxSnippet {
		body = body[:4*maxSnippet]
	}
	s := clean(string(body))
	if r := []rune(s); len(r) > maxSnippet {
		s = string(r[:maxSnippet]) + "…"
	}
	return s
}

// StatusErrors are a client's sentinel errors for the classes of HTTP
// status.
type StatusErrors struct {
	BadRequest   error // 400, 422
	Unauthorized error // 401
	Forbidden    error // 403
	NotFound     error // 404
	Conflict     error // 409
	RateLimited  error // 429
	Server       error // 5xx
	Other        error // any other status
}

// Of returns the sentinel of status's class.
func (s StatusErrors) Of(status int) error {
	switch {
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return s.BadRequest
	case status == http.StatusUnauthorized:
		return s.Unauthorized
	case status == http.StatusForbidden:
		return s.Forbidden
	case status == http.StatusNotFound:
		return s.NotFound
	case status == http.StatusConflict:
		return s.Conflict
	case status == http.StatusTooManyRequests:
		return s.RateLimited
	case status >= 500 && status <= 599:
		return s.Server
	}
	return s.Other
}

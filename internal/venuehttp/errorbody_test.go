package venuehttp

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrorBody(t *testing.T) {
	for _, tc := range []struct {
		body string
		want ErrorBody
		ok   bool
	}{
		{`{"error":{"code":"invalid_api_key","message":"no","param":"key","type":"auth"}}`, ErrorBody{"invalid_api_key", "no", "key", "auth"}, true},
		{`{"error":"plain text"}`, ErrorBody{Message: "plain text"}, true},
		{`{"error":[1]}`, ErrorBody{}, true},
		{`{"code":"CONFLICT","message":"taken"}`, ErrorBody{Code: "CONFLICT", Message: "taken"}, true},
		{`{"code":42,"message":true}`, ErrorBody{Code: "42", Message: "true"}, true},
		{`{"code":{"a":1},"message":null}`, ErrorBody{}, true},
		{`null`, ErrorBody{}, true},
		{`["not", "an", "object"]`, ErrorBody{}, false},
		{`<html>Bad gateway</html>`, ErrorBody{}, false},
	} {
		if got, ok := ParseErrorBody([]byte(tc.body)); got != tc.want || ok != tc.ok {
			t.Errorf("ParseErrorBody(%s) = %+v, %v; want %+v, %v", tc.body, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSnippet(t *testing.T) {
	upper := func(s string) string { return strings.ToUpper(s) }
	if got := Snippet([]byte("<html>bad</html>"), upper); got != "<HTML>BAD</HTML>" {
		t.Errorf("Snippet(short) = %q, want it cleaned and whole", got)
	}
	got := Snippet([]byte(strings.Repeat("é", 500)), upper)
	if want := strings.Repeat("É", 80) + "…"; got != want {
		t.Errorf("Snippet(500 runes) = %q, want 80 runes and an ellipsis", got)
	}
	if got := Snippet(nil, upper); got != "" {
		t.Errorf("Snippet(nil) = %q, want empty", got)
	}
}

func TestStatusErrors(t *testing.T) {
	bad, auth, forbidden, missing, conflict, limited, server, other := errors.New("400"), errors.New("401"), errors.New("403"),
		errors.New("404"), errors.New("409"), errors.New("429"), errors.New("5xx"), errors.New("other")
	s := StatusErrors{bad, auth, forbidden, missing, conflict, limited, server, other}
	for status, want := range map[int]error{400: bad, 422: bad, 401: auth, 403: forbidden, 404: missing, 409: conflict,
		429: limited, 500: server, 599: server, 302: other, 418: other, 600: other} {
		if got := s.Of(status); got != want {
			t.Errorf("Of(%d) = %v, want %v", status, got, want)
		}
	}
}

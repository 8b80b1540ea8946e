package hercle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestErrorBodies(t *testing.T) {
	cases := []struct {
		name, ctype, body string
		status            int
		code, msg         string
		sentinel          error
	}{
		{"site format", "application/json", `{"error":{"code":"missing_parameter","message":"Missing required parameter: amount","param":"amount","type":"invalid_request_error"}}`, 400, "missing_parameter", "Missing required parameter: amount", ErrBadRequest},
		{"site key echo", "application/json", `{"error":{"code":"invalid_api_key","message":"Invalid API key provided: ` + testKey[:12] + `...","type":"authentication_error"}}`, 401, "invalid_api_key", "Invalid API key provided: [redacted]...", ErrUnauthorized},
		{"guide format", "application/json", `{"code":"CONFLICT","message":"Resource already exists"}`, 400, "CONFLICT", "Resource already exists", ErrConflict},
		{"guide 404", "application/json", `{"code":"NOT_FOUND","message":"no such order"}`, 404, "NOT_FOUND", "no such order", ErrNotFound},
		{"html from proxy", "text/html", "<html><body><h1>403 Forbidden</h1>" + testKey + strings.Repeat("x", 500) + "</body></html>", 403, "", "", ErrForbidden},
		{"empty", "", "", 401, "", "", ErrUnauthorized},
		{"error as text", "application/json", `{"error":"nope"}`, 422, "", "nope", ErrBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			_, err := h.c.Pairs(context.Background())
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.Status != tc.status || apiErr.Code != tc.code || apiErr.Op != "GET /api/v1/pairs" {
				t.Errorf("APIError = %+v, want status %d code %q", apiErr, tc.status, tc.code)
			}
			if tc.msg != "" && apiErr.Message != tc.msg {
				t.Errorf("Message = %q, want %q", apiErr.Message, tc.msg)
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			if strings.Contains(err.Error(), testKey[:8]) {
				t.Errorf("error leaks the API key: %v", err)
			}
			if len(apiErr.Message) > maxMessage+4 {
				t.Errorf("message is %d bytes, want a short snippet", len(apiErr.Message))
			}
		})
	}
}

func TestDecodeFailuresOnReads(t *testing.T) {
	cases := []struct {
		name     string
		reply    func(http.ResponseWriter, *http.Request)
		sentinel error
	}{
		{"html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<html>login</html>")
		}, ErrContentType},
		{"malformed", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `[{"name":`) }, ErrMalformedResponse},
		{"wrong type", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"name":"x"}`) }, ErrMalformedResponse},
		{"empty", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, ``) }, ErrMalformedResponse},
		{"bad number", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `[{"minSize":"lots"}]`) }, ErrMalformedResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{replies: []func(http.ResponseWriter, *http.Request){tc.reply}}
			h := newHarness(t, s)
			_, err := h.c.Pairs(context.Background())
			var re *ResponseError
			if !errors.As(err, &re) || !errors.Is(err, tc.sentinel) {
				t.Errorf("err = %v, want *ResponseError wrapping %v", err, tc.sentinel)
			}
			if s.n.Load() != 1 {
				t.Errorf("a deterministic decode failure was retried (%d requests)", s.n.Load())
			}
		})
	}
}

func TestTruncatedBodyRetriedOnRead(t *testing.T) {
	s := &script{replies: []func(http.ResponseWriter, *http.Request){
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, `[{"name":"BTC`)
		},
		ok(`[{"name":"BTCUSDT","minSize":0.0001}]`),
	}}
	h := newHarness(t, s)
	pairs, err := h.c.Pairs(context.Background())
	if err != nil || len(pairs) != 1 || s.n.Load() != 2 {
		t.Errorf("pairs %v err %v after %d requests, want a retry after truncation", pairs, err, s.n.Load())
	}
}

func TestResponseTooLarge(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(bytes.Repeat([]byte(" "), maxBody+10))
	}))
	if _, err := h.c.Pairs(context.Background()); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("err = %v, want ErrResponseTooLarge", err)
	}
}

func TestEitherShapes(t *testing.T) {
	bodies := []string{
		`{"userId":"u","sequence":1,"assets":[{"name":"BTC","available":0.014335,"allocated":0}],"deleted":false}`,
		`[{"userId":"u","sequence":1,"assets":[{"name":"BTC","available":0.014335,"allocated":0}]}]`,
	}
	for _, body := range bodies {
		h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, body) }))
		b, err := h.c.Balances(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := b.Asset("BTC"); !ok || !a.Available.Equal(decimal.RequireFromString("0.014335")) {
			t.Errorf("%s: BTC = %+v", body, a)
		}
	}
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `[]`) }))
	if _, err := h.c.Balances(context.Background()); !errors.Is(err, ErrUnexpectedShape) {
		t.Errorf("empty balances array: err = %v, want ErrUnexpectedShape", err)
	}
	h = newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }))
	if d, err := h.c.CreateDepositAddress(context.Background(), DepositAddressRequest{Asset: "EUR", Network: "Sepa"}); err != nil || d != nil {
		t.Errorf("bodiless 201: %v, %v; want nil, nil", d, err)
	}
}

package heropayments

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"
)

// addVectorSeeds seeds a fuzz target with every Node vector body.
func addVectorSeeds(f *testing.F) {
	v := loadVectors(f)
	for _, c := range v.Bodies {
		f.Add([]byte(c.Raw))
	}
	for _, c := range v.Invalid {
		f.Add([]byte(c.Raw))
	}
}

// FuzzNormalize: never panics; its output is valid JSON, normalises to
// itself, and a signature over it verifies against the input.
func FuzzNormalize(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, err := Normalize(raw)
		if err != nil {
			return
		}
		if !json.Valid(n) {
			t.Fatalf("Normalize(%q) = %q, not valid JSON", raw, n)
		}
		nn, err := Normalize(n)
		if err != nil || !bytes.Equal(nn, n) {
			t.Fatalf("Normalize not idempotent: %q → %q → %q (%v)", raw, n, nn, err)
		}
		if err := VerifyBody("k", raw, Sign("k", n)); err != nil {
			t.Fatalf("VerifyBody(raw, Sign(Normalize(raw))) = %v", err)
		}
	})
}

// FuzzCallbackHandler: any body and signature header gives a status the
// handler documents, and nothing unsigned is stored.
func FuzzCallbackHandler(f *testing.F) {
	addVectorSeeds(f)
	f.Add([]byte(`{"externalOrderId":"a","status":"finished","type":"deposit","amount":"1e5"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		inbox := &MemoryInbox{}
		h, err := NewCallbackHandler(HandlerConfig{Secret: testSecret, Flow: FlowCustody, Inbox: inbox, Clock: clock.NewManual(time.Time{}).Clock()})
		if err != nil {
			t.Fatal(err)
		}
		for _, sig := range []string{"", "00", Sign(testSecret, body)} {
			req, _ := http.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
			req.Header.Set(SignHeader, sig)
			w := &statusRecorder{header: http.Header{}}
			h.ServeHTTP(w, req)
			switch w.status {
			case 200, 400, 401, 413:
			default:
				t.Fatalf("status %d for body %q", w.status, body)
			}
		}
		for _, cb := range inbox.Callbacks() {
			if VerifyBody(testSecret, cb.Body, cb.Header.Get(SignHeader)) != nil {
				t.Fatalf("stored an unverified callback %q", cb.Body)
			}
		}
	})
}

// FuzzDecodeResponses: response and error decoders never panic and never
// put a credential in an error.
func FuzzDecodeResponses(f *testing.F) {
	addVectorSeeds(f)
	f.Add([]byte(`{"error":{"code":"E","message":"hp-test-key-0123456789 bad"}}`))
	f.Add([]byte(`<html>502</html>`))
	red := redactor{secrets: []string{testKey, testSecret}}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, out := range []any{&Payment{}, &Balance{}, &Estimate{}, &MinAmount{}} {
			err := decodeBody("GET /x", result{status: 200, body: body}, out)
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Fatalf("error leaks the key: %v", err)
			}
		}
		e := parseAPIError("GET /x", result{status: 503, header: http.Header{"Retry-After": {string(body)}}, body: body}, red, time.Unix(0, 0))
		if e.Status != 503 || e.Err == nil || strings.Contains(e.Error(), testKey) {
			t.Fatalf("APIError %v lost its status or leaks the key", e)
		}
		var a Amount
		if a.UnmarshalJSON(body) == nil {
			if _, err := JSNumber(a.Decimal); err == nil {
				if _, err := a.MarshalJSON(); err != nil {
					t.Fatalf("Amount %s: JSNumber accepts, MarshalJSON refuses", a)
				}
			}
		}
	})
}

type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(s int)           { r.status = s }

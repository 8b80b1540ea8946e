package hercle

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// addWebhookSamples seeds a fuzz target with the document samples and the
// Node vectors' bodies.
func addWebhookSamples(f *testing.F, add func(body []byte)) {
	files, _ := filepath.Glob("testdata/webhook/samples/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			add(b)
			add(envelopeA(f, "e", EventPayeeCreated, b))
			for _, typ := range WebhookEventTypes() {
				add(envelopeB(f, "e", typ, b))
			}
		}
	}
	for _, v := range loadVectors(f) {
		add(v.body(f))
	}
}

func FuzzDecodeWebhookEvent(f *testing.F) {
	addWebhookSamples(f, func(b []byte) { f.Add(b) })
	f.Add([]byte(`{"EventId":"e","eventid":"f","Data":{}}`))
	f.Add([]byte(`{"EventId":"e","EventType":"Payee.StatusUpdated","Data":"{\"StatusChange\":{},\"Resource\":{\"Status\":\"9\"}}"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, strict := range []bool{false, true} {
			ev, err := decodeWebhookEvent(body, strict)
			if err != nil {
				if ev != nil {
					t.Fatal("event returned with an error")
				}
				continue
			}
			if ev.EventID == "" || len(ev.EventID) > maxEventIDLen || ev.EventType == "" || len(ev.EventType) > maxEventTypeLen {
				t.Fatalf("envelope ids out of bounds: %q %q", ev.EventID, ev.EventType)
			}
			if !json.Valid(ev.Data) || ev.Data[0] != '{' && ev.Data[0] != '[' {
				t.Fatalf("Data %q is not an object or array", ev.Data)
			}
			if (ev.Payload != nil) != ev.EventType.Known() {
				t.Fatalf("payload %T for type %q", ev.Payload, ev.EventType)
			}
			if ev.Payload != nil {
				if _, err := json.Marshal(ev.Payload); err != nil {
					t.Fatalf("decoded payload does not marshal: %v", err)
				}
			}
		}
	})
}

// fuzzNow is a clock inside a 10-minute tolerance of every Node vector's
// timestamp.
func fuzzNow() time.Time { return time.Unix(1705329300, 0) }

func FuzzWebhookVerify(f *testing.F) {
	a, b := nodeKeys(f)
	vectors := loadVectors(f)
	for _, v := range vectors {
		f.Add(v.Timestamp, v.Signature, v.body(f))
	}
	ver := WebhookVerifier{Keys: []WebhookKey{a, b}, Tolerance: 10 * time.Minute, Now: fuzzNow}
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		if _, err := ver.Verify(ts, sig, body); err != nil {
			return
		}
		for _, v := range vectors {
			if v.Valid && ts == v.Timestamp && bytes.Equal(body, v.body(t)) {
				return
			}
		}
		t.Fatalf("accepted a request no vector signed: ts %q body %q", ts, body)
	})
}

// FuzzWebhookHandler drives the whole handler with arbitrary method,
// Content-Type, headers and body. Only the exact signed (timestamp, body)
// pairs of the Node vectors may be stored and answered 200; anything else
// gets a refusal status and stores nothing.
func FuzzWebhookHandler(f *testing.F) {
	a, b := nodeKeys(f)
	vectors := loadVectors(f)
	for _, v := range vectors {
		f.Add("POST", "application/json", v.Timestamp, v.Signature, v.body(f))
		f.Add("POST", "application/json; charset=utf-8", v.Timestamp, v.Signature, v.body(f)[:len(v.body(f))/2])
		f.Add("GET", "text/plain", "", "", v.body(f))
	}
	f.Fuzz(func(t *testing.T, method, ct, ts, sig string, body []byte) {
		if method == "" || !validMethod(method) {
			return // net/http would refuse to build such a request
		}
		inbox := newMemInbox()
		h, err := NewWebhookHandler(WebhookConfig{
			Keys: []WebhookKey{a, b}, Inbox: inbox, MaxBody: 2048, Tolerance: 10 * time.Minute,
			Now: fuzzNow,
		})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(method, "/webhooks/hercle", bytes.NewReader(body))
		req.Header = http.Header{}
		for k, val := range map[string]string{"Content-Type": ct, HeaderWebhookTimestamp: ts, HeaderWebhookSignature: sig} {
			if val != "" {
				req.Header[k] = []string{val}
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		events, calls := inbox.snapshot()
		switch rec.Code {
		case 200:
			if method != http.MethodPost || calls != 1 || len(events) != 1 {
				t.Fatalf("200 for %s with %d store calls", method, calls)
			}
			for _, v := range vectors {
				if v.Valid && ts == v.Timestamp && bytes.Equal(body, v.body(t)) {
					return
				}
			}
			t.Fatalf("stored a request no vector signed: ts %q body %q", ts, body)
		case 400, 405, 413, 415:
			if calls != 0 {
				t.Fatalf("refused with %d but the inbox was called", rec.Code)
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
		var ans map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || ans["error"] == nil {
			t.Fatalf("answer %q is not a JSON error", rec.Body.Bytes())
		}
	})
}

func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte(`()<>@,;:\"/[]?={}`), c) >= 0 {
			return false
		}
	}
	return true
}

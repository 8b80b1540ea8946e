package heropayments

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/metrictest"
)

const testSecret = "hp-test-secret-not-a-real-key"

// failingInbox fails every Store.
type failingInbox struct{}

func (failingInbox) Store(context.Context, Callback) (bool, error) {
	return false, errors.New("disk full")
}

func newTestHandler(t *testing.T, inbox CallbackInbox, reg prometheus.Registerer) *CallbackHandler {
	t.Helper()
	h, err := NewCallbackHandler(HandlerConfig{Secret: testSecret, Flow: FlowV2, Inbox: inbox, MaxBody: 1024,
		Clock: clock.NewManual(time.Unix(1_780_000_000, 0)).Clock(), Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func post(h http.Handler, method, body, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/callbacks/heropayments/v2", strings.NewReader(body))
	if sig != "" {
		req.Header.Set(SignHeader, sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestCallbackHandler(t *testing.T) {
	const body = "{\n \"externalOrderId\": \"dep-1\", \"sequence\": \"original\", \"type\": \"deposit\",\n \"status\": \"finished\", \"amount\": 0.00150000, \"currency\": \"BTC\"\n}"
	_, sig, err := SignBody(testSecret, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	signed := func(b string) string { _, s, _ := SignBody(testSecret, []byte(b)); return s }
	noID := `{"status":"finished"}`

	inbox := &MemoryInbox{}
	reg := prometheus.NewRegistry()
	h := newTestHandler(t, inbox, reg)
	for _, c := range []struct {
		name, method, body, sig string
		want                    int
	}{
		{"GET", http.MethodGet, "", "", http.StatusMethodNotAllowed},
		{"too large", http.MethodPost, `{"a":"` + strings.Repeat("x", 2000) + `"}`, sig, http.StatusRequestEntityTooLarge},
		{"not JSON", http.MethodPost, `{"a":`, sig, http.StatusBadRequest},
		{"no signature", http.MethodPost, body, "", http.StatusUnauthorized},
		{"wrong signature", http.MethodPost, body, signed(`{"a":1}`), http.StatusUnauthorized},
		{"value changed", http.MethodPost, strings.Replace(body, "0.0015", "0.0016", 1), sig, http.StatusUnauthorized},
		{"signed, no externalOrderId", http.MethodPost, noID, signed(noID), http.StatusBadRequest},
	} {
		if w := post(h, c.method, c.body, c.sig); w.Code != c.want {
			t.Errorf("%s: status %d, want %d", c.name, w.Code, c.want)
		}
	}
	if w := post(h, http.MethodPut, body, sig); w.Header().Get("Allow") != http.MethodPost {
		t.Errorf("405 Allow = %q, want POST", w.Header().Get("Allow"))
	}
	if n := len(inbox.Callbacks()); n != 0 {
		t.Fatalf("%d callbacks stored after refusals, want 0", n)
	}

	for i := range 2 {
		if w := post(h, http.MethodPost, body, sig); w.Code != http.StatusOK {
			t.Fatalf("delivery %d: status %d, want 200", i, w.Code)
		}
	}
	cbs := inbox.Callbacks()
	if len(cbs) != 1 {
		t.Fatalf("stored %d callbacks after a duplicate delivery, want 1", len(cbs))
	}
	cb := cbs[0]
	if cb.ID != "dep-1/original/finished" || cb.Key != (PaymentKey{"dep-1", SequenceOriginal}) ||
		cb.Outcome != OutcomeSuccess || string(cb.Body) != body || cb.Header.Get(SignHeader) != sig ||
		cb.Payment.Amount.String() != "0.0015" || cb.ReceivedAt.Unix() != 1_780_000_000 {
		t.Errorf("stored %+v; want id dep-1/original/finished, success, the raw body and headers", cb)
	}
	for result, want := range map[string]float64{"stored": 1, "duplicate": 1, "bad_signature": 3, "bad_method": 2, "bad_payload": 1} {
		if got := metrictest.Counter(t, reg, "engine_heropayments_callbacks_total", "result", result); got != want {
			t.Errorf("callbacks_total{result=%q} = %v, want %v", result, got, want)
		}
	}

	if w := post(newTestHandler(t, failingInbox{}, nil), http.MethodPost, body, sig); w.Code != http.StatusInternalServerError {
		t.Errorf("inbox failure: status %d, want 500 so Heropayments retries", w.Code)
	}
}

func TestParseCallbackSequence(t *testing.T) {
	first, err := ParseCallback(FlowV2, []byte(`{"externalOrderId":"1254435345456456","status":"waiting","type":"deposit"}`))
	if err != nil {
		t.Fatal(err)
	}
	second, err := ParseCallback(FlowV2, []byte(`{"externalOrderId":"1254435345456456","sequence":"4fb7defa35a056ecc64fc74ea97ef90f","status":"waiting","type":"deposit"}`))
	if err != nil {
		t.Fatal(err)
	}
	if first.Key.Sequence != SequenceOriginal || first.ID == second.ID || first.Key == second.Key {
		t.Errorf("keys %v and %v, ids %q and %q: want the original and a distinct further payment", first.Key, second.Key, first.ID, second.ID)
	}
	odd, err := ParseCallback(FlowV2, []byte(`{"externalOrderId":"a/b","sequence":"c","status":"x"}`))
	if err != nil || odd.ID != "a%2Fb/c/x" {
		t.Errorf("ID with a slash = %q, %v; want a%%2Fb/c/x", odd.ID, err)
	}
}

func TestParseCallbackRefusesCaseVariantKeys(t *testing.T) {
	// JavaScript reads externalOrderId "a"; encoding/json alone would read "b".
	_, err := ParseCallback(FlowV2, []byte(`{"externalOrderId":"a","status":"finished","ExternalOrderId":"b"}`))
	if !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("ParseCallback(case-variant key) = %v, want ErrMalformedResponse", err)
	}
}

// The signature covers the body's normal form, JSON.stringify(JSON.parse
// (body)), in which a number too large for a double is null. A body that
// differs from a signed one only where the normal form hides it must not
// be read as holding a value nobody signed.
func TestCallbackReadsOnlyWhatWasSigned(t *testing.T) {
	const signedBody = `{"externalOrderId":"dep-9","sequence":"original","type":"deposit","status":"finished","currency":"USDT","amount":10,"merchantAmount":null}`
	sig := Sign(testSecret, []byte(signedBody))
	forged := strings.Replace(signedBody, "null", "1e400", 1)
	if err := VerifyBody(testSecret, []byte(forged), sig); err != nil {
		t.Fatalf("precondition: the forged body verifies against the signed one's signature: %v", err)
	}
	inbox := &MemoryInbox{}
	h := newTestHandler(t, inbox, nil)
	w := post(h, http.MethodPost, forged, sig)
	for _, cb := range inbox.Callbacks() {
		if !cb.Payment.MerchantAmount.IsZero() {
			t.Fatalf("stored callback (HTTP %d) reads merchantAmount %s; the signed body says null", w.Code, cb.Payment.MerchantAmount)
		}
		again, err := ParseCallback(FlowV2, cb.Body)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Payment.MerchantAmount.IsZero() {
			t.Fatalf("stored body parses to merchantAmount %s; the signed body says null", again.Payment.MerchantAmount)
		}
	}
}

// reasons is a CallbackRefusals that keeps the reasons it receives.
type reasons struct {
	mu  sync.Mutex // guards got
	got []string
}

func (r *reasons) Refused(_ *http.Request, reason string, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, reason)
}

// TestCallbackHandlerReportsRefusals: each refusal goes to Refusals with
// its result, and none is logged at Info or above.
func TestCallbackHandlerReportsRefusals(t *testing.T) {
	const body = `{"externalOrderId":"dep-1","status":"finished","type":"deposit","amount":1,"currency":"USDT"}`
	_, sig, err := SignBody(testSecret, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	rec := &reasons{}
	h, err := NewCallbackHandler(HandlerConfig{Secret: testSecret, Flow: FlowV2, Inbox: &MemoryInbox{}, Refusals: rec,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	post(h, http.MethodGet, "", "")
	post(h, http.MethodPost, body, strings.Repeat("00", 64))
	post(h, http.MethodPost, `{"a":`, sig)
	if w := post(h, http.MethodPost, body, sig); w.Code != http.StatusOK {
		t.Fatalf("signed callback: status %d, want 200", w.Code)
	}
	if got := strings.Join(rec.got, " "); got != "bad_method bad_signature bad_json" {
		t.Errorf("Refusals received %q, want bad_method bad_signature bad_json", got)
	}
	if logs.Len() != 0 {
		t.Errorf("refusals were logged one by one:\n%s", logs.String())
	}
}

// A response with anything after its JSON value is refused, a stray
// closing brace or bracket included (json.Decoder.More misses those).
func TestDecodeJSONRefusesTrailingData(t *testing.T) {
	for _, b := range []string{`{"status":"x"} {}`, `{"status":"x"}}`, `{"status":"x"}]`, `{"status":"x"},`} {
		var out map[string]any
		if err := decodeJSON([]byte(b), &out); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("decodeJSON(%s) = %v, want ErrMalformedResponse", b, err)
		}
	}
	var out map[string]any
	if err := decodeJSON([]byte("{\"status\":\"x\"}\n"), &out); err != nil {
		t.Errorf("decodeJSON with a final newline = %v", err)
	}
}

package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/clock"
)

// memInbox is an in-memory Inbox: the first copy of each event id
// is kept. fail, when set, makes Store fail.
type memInbox struct {
	mu     sync.Mutex // guards the fields below
	events map[string]Received
	calls  int
	fail   error
}

func newMemInbox() *memInbox { return &memInbox{events: map[string]Received{}} }

func (m *memInbox) Store(ctx context.Context, w Received) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil {
		return false, m.fail
	}
	if _, ok := m.events[w.EventID]; ok {
		return true, nil
	}
	m.events[w.EventID] = w
	return false, nil
}

func (m *memInbox) snapshot() (map[string]Received, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Received, len(m.events))
	for k, v := range m.events {
		out[k] = v
	}
	return out, m.calls
}

// handlerFixture is a Handler on a loopback server with a manual clock.
type handlerFixture struct {
	h     *Handler
	srv   *httptest.Server
	inbox *memInbox
	reg   *prometheus.Registry
	clock *clock.Manual
	key   Key
}

func newHandlerFixture(t *testing.T, cfg Config) *handlerFixture {
	t.Helper()
	return newHandlerFixtureAt(t, cfg, time.Unix(1760000000, 0))
}

// newHandlerFixtureAt is newHandlerFixture with the clock reading start.
func newHandlerFixtureAt(t *testing.T, cfg Config, start time.Time) *handlerFixture {
	t.Helper()
	f := &handlerFixture{inbox: newMemInbox(), reg: prometheus.NewRegistry(), clock: clock.NewManual(start), key: testWebhookKey(t)}
	if cfg.Keys == nil {
		cfg.Keys = []Key{f.key}
	}
	cfg.Inbox, cfg.Metrics = f.inbox, f.reg
	cfg.Clock = f.clock.Clock()
	var err error
	if f.h, err = NewHandler(cfg); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.h)
	t.Cleanup(f.srv.Close)
	return f
}

// count reads engine_hercle_webhooks_total for one outcome.
func (f *handlerFixture) count(outcome string) float64 {
	return testutil.ToFloat64(f.h.metrics.requests.WithLabelValues(outcome))
}

func (f *handlerFixture) ts() string { return strconv.FormatInt(f.clock.Now().Unix(), 10) }

// signedRequest builds a POST carrying body, signed now by the test key.
func (f *handlerFixture) signedRequest(t *testing.T, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/webhooks/hercle", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, f.ts())
	req.Header.Set(HeaderSignature, signWebhook(t, testSigner(), f.ts(), body))
	req.Header.Set(HeaderID, "dlv-1")
	return req
}

func do(t *testing.T, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("answer %d is not JSON: %q", res.StatusCode, b)
	}
	return res.StatusCode, res.Header, out
}

func TestWebhookHandlerStores(t *testing.T) {
	f := newHandlerFixture(t, Config{})
	body := envelopeA(t, "evt_1", EventWithdrawalStatusUpdated, readSample(t, "withdrawal.doc002.json"))
	req := f.signedRequest(t, body)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	status, _, ans := do(t, req)
	if status != 200 || ans["success"] != true {
		t.Fatalf("first delivery = %d %v, want 200 success", status, ans)
	}
	events, calls := f.inbox.snapshot()
	got, ok := events["evt_1"]
	if !ok || calls != 1 {
		t.Fatalf("inbox = %v (%d calls), want evt_1", events, calls)
	}
	if !bytes.Equal(got.Body, body) || got.EventType != EventWithdrawalStatusUpdated || got.DeliveryID != "dlv-1" ||
		got.KeyID != f.key.ID || !got.ReceivedAt.Equal(f.clock.Now()) || got.Header.Get(HeaderTimestamp) != f.ts() ||
		got.Header.Get(HeaderSignature) == "" || got.Header.Get("Content-Type") != "application/json; charset=utf-8" || len(got.Header) != 4 {
		t.Errorf("stored = %+v", got)
	}
	// The stored record re-verifies later, with the clock long past.
	v := Verifier{Keys: []Key{f.key}}
	if _, err := v.VerifySignature(got.Header.Get(HeaderTimestamp), got.Header.Get(HeaderSignature), got.Body); err != nil {
		t.Errorf("stored webhook does not re-verify: %v", err)
	}

	// A redelivery (new signature time, same event) is a duplicate: 200, first copy kept.
	f.clock.Advance(time.Minute)
	req = f.signedRequest(t, body)
	req.Header.Set(HeaderID, "dlv-2")
	if status, _, _ := do(t, req); status != 200 {
		t.Fatalf("redelivery = %d, want 200", status)
	}
	events, calls = f.inbox.snapshot()
	if len(events) != 1 || calls != 2 || events["evt_1"].DeliveryID != "dlv-1" {
		t.Errorf("after redelivery: %d events, %d calls, delivery %q", len(events), calls, events["evt_1"].DeliveryID)
	}
	if n := f.count("stored"); n != 1 {
		t.Errorf("stored = %v, want 1", n)
	}
	if n := f.count("duplicate"); n != 1 {
		t.Errorf("duplicate = %v, want 1", n)
	}

	// An unknown event type is stored, not refused.
	req = f.signedRequest(t, envelopeB(t, "evt_2", "Something.New", []byte(`{"x":1}`)))
	if status, _, _ := do(t, req); status != 200 {
		t.Errorf("unknown type = %d, want 200", status)
	}
}

// A store cut short because the request's context ended (the sender hung
// up, or the engine stops) is answered 503 and logged at INFO, not ERROR;
// a store that fails on its own is an ERROR.
func TestWebhookHandlerStoreCancelledIsNoError(t *testing.T) {
	var logs bytes.Buffer
	f := newHandlerFixture(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	body := envelopeA(t, "evt_1", EventBalanceUpdated, readSample(t, "account_balance.doc002.json"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, f.signedRequest(t, body).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("store with the request gone = %d, want 503", rec.Code)
	}
	f.inbox.fail = errors.New("disk full")
	rec = httptest.NewRecorder()
	f.h.ServeHTTP(rec, f.signedRequest(t, body))
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "level=INFO") || !strings.Contains(lines[1], "level=ERROR") {
		t.Errorf("log, want the cancelled store at INFO and the failed one at ERROR:\n%s", logs.String())
	}
}

func TestWebhookHandlerStoreFailureIs503(t *testing.T) {
	f := newHandlerFixture(t, Config{})
	f.inbox.fail = errors.New("disk full")
	body := envelopeA(t, "evt_1", EventBalanceUpdated, readSample(t, "account_balance.doc002.json"))
	if status, _, ans := do(t, f.signedRequest(t, body)); status != 503 || ans["error"] == nil {
		t.Fatalf("store failure = %d %v, want 503 with an error", status, ans)
	}
	f.inbox.mu.Lock()
	f.inbox.fail = nil
	f.inbox.mu.Unlock()
	if status, _, _ := do(t, f.signedRequest(t, body)); status != 200 {
		t.Fatalf("retry after the store recovered = %d, want 200", status)
	}
	if n := f.count("store_failed"); n != 1 {
		t.Errorf("store_failed = %v, want 1", n)
	}
}

// TestWebhookHandlerRefuses sends forged, stale, truncated, oversized,
// wrongly typed and header-less requests over loopback: each gets its
// status and a JSON error, and nothing reaches the inbox.
func TestWebhookHandlerRefuses(t *testing.T) {
	rec := &refusalRecorder{}
	var logs syncBuffer
	f := newHandlerFixture(t, Config{MaxBody: 4096, Refusals: rec, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	body := envelopeA(t, "evt_1", EventPayeeCreated, readSample(t, "payee.doc002.json"))
	big := envelopeB(t, "evt_big", "Big", []byte(`{"pad":"`+strings.Repeat("x", 5000)+`"}`))
	notEnvelope := []byte(`{"hello":"world"}`)
	otherKey := otherSigner()

	cases := []struct {
		name    string
		edit    func(r *http.Request)
		status  int
		outcome string
	}{
		{"GET", func(r *http.Request) { r.Method = http.MethodGet }, 405, "method_not_allowed"},
		{"PUT", func(r *http.Request) { r.Method = http.MethodPut }, 405, "method_not_allowed"},
		{"no content type", func(r *http.Request) { r.Header.Del("Content-Type") }, 415, "unsupported_media_type"},
		{"text/plain", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415, "unsupported_media_type"},
		{"form", func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }, 415, "unsupported_media_type"},
		{"latin-1", func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=iso-8859-1") }, 415, "unsupported_media_type"},
		{"no timestamp", func(r *http.Request) { r.Header.Del(HeaderTimestamp) }, 400, "missing_header"},
		{"no signature", func(r *http.Request) { r.Header.Del(HeaderSignature) }, 400, "missing_header"},
		{"malformed timestamp", func(r *http.Request) { r.Header.Set(HeaderTimestamp, "soon") }, 400, "bad_timestamp"},
		{"stale", func(r *http.Request) { f.signAt(t, r, body, f.clock.Now().Add(-6*time.Minute)) }, 400, "stale_timestamp"},
		{"future", func(r *http.Request) { f.signAt(t, r, body, f.clock.Now().Add(6*time.Minute)) }, 400, "stale_timestamp"},
		{"other timestamp than signed", func(r *http.Request) {
			r.Header.Set(HeaderTimestamp, strconv.FormatInt(f.clock.Now().Unix()-1, 10))
		}, 400, "bad_signature"},
		{"forged by another key", func(r *http.Request) {
			r.Header.Set(HeaderSignature, signWebhook(t, otherKey, f.ts(), body))
		}, 400, "bad_signature"},
		{"garbage signature", func(r *http.Request) { r.Header.Set(HeaderSignature, "bm90IGEgc2lnbmF0dXJl") }, 400, "bad_signature"},
		{"body changed", func(r *http.Request) { setBody(r, flipByte(body, 10)) }, 400, "bad_signature"},
		{"body truncated", func(r *http.Request) { setBody(r, body[:len(body)-1]) }, 400, "bad_signature"},
		{"oversized, declared", func(r *http.Request) { setBody(r, big); f.signAt(t, r, big, f.clock.Now()) }, 413, "too_large"},
		{"oversized, chunked", func(r *http.Request) {
			setBody(r, big)
			r.ContentLength = -1
			r.Body = io.NopCloser(bytes.NewReader(big)) // no length: sent chunked
			f.signAt(t, r, big, f.clock.Now())
		}, 413, "too_large"},
		{"signed but not an envelope", func(r *http.Request) { setBody(r, notEnvelope); f.signAt(t, r, notEnvelope, f.clock.Now()) }, 400, "bad_envelope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.count(c.outcome)
			req := f.signedRequest(t, body)
			c.edit(req)
			status, hdr, ans := do(t, req)
			if status != c.status {
				t.Errorf("status = %d, want %d (%v)", status, c.status, ans)
			}
			if msg, _ := ans["error"].(string); msg == "" {
				t.Errorf("answer %v has no error text", ans)
			}
			if status == 405 && hdr.Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", hdr.Get("Allow"))
			}
			if after := f.count(c.outcome); after != before+1 {
				t.Errorf("%s counter went %v -> %v, want +1", c.outcome, before, after)
			}
			if got := rec.take(); len(got) != 1 || got[0] != c.outcome {
				t.Errorf("Refusals received %q, want [%s]", got, c.outcome)
			}
		})
	}
	if logs.String() != "" {
		t.Errorf("refusals were logged one by one, not left to Refusals:\n%s", logs.String())
	}
	if events, calls := f.inbox.snapshot(); len(events) != 0 || calls != 0 {
		t.Fatalf("refused requests reached the inbox: %d events, %d calls", len(events), calls)
	}
	// The same handler still accepts a good request.
	if status, _, _ := do(t, f.signedRequest(t, body)); status != 200 {
		t.Errorf("good request after the refusals = %d", status)
	}
}

func (f *handlerFixture) signAt(t *testing.T, r *http.Request, body []byte, at time.Time) {
	ts := strconv.FormatInt(at.Unix(), 10)
	r.Header.Set(HeaderTimestamp, ts)
	r.Header.Set(HeaderSignature, signWebhook(t, testSigner(), ts, body))
}

func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
}

func TestWebhookHandlerKeyRotation(t *testing.T) {
	a, b := nodeKeys(t)
	vectors := loadVectors(t)
	f := newHandlerFixtureAt(t, Config{Keys: []Key{a, b}}, time.Unix(mustAtoi(t, vectors[0].Timestamp), 0))
	for _, v := range vectors {
		if !v.Valid {
			continue
		}
		f.clock.Set(time.Unix(mustAtoi(t, v.Timestamp), 0)) // the vectors are in time order
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL, bytes.NewReader(v.body(t)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderTimestamp, v.Timestamp)
		req.Header.Set(HeaderSignature, v.Signature)
		status, _, ans := do(t, req)
		wantStatus := 200
		if v.Name == "empty_object" {
			wantStatus = 400 // verifies, but {} is no envelope
		}
		if status != wantStatus {
			t.Errorf("Node vector %s = %d %v, want %d", v.Name, status, ans, wantStatus)
		}
	}
	events, _ := f.inbox.snapshot()
	if events["evt_abc123def456"].KeyID != a.ID {
		t.Errorf("first copy of evt_abc123def456 verified by %q, want key A", events["evt_abc123def456"].KeyID)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNewWebhookHandlerConfig(t *testing.T) {
	k := testWebhookKey(t)
	for name, cfg := range map[string]Config{
		"no keys":        {Inbox: newMemInbox()},
		"no inbox":       {Keys: []Key{k}},
		"raw key":        {Keys: []Key{{Key: k.Key}}, Inbox: newMemInbox()},
		"negative limit": {Keys: []Key{k}, Inbox: newMemInbox(), MaxBody: -1},
	} {
		if _, err := NewHandler(cfg); !errors.Is(err, hercle.ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
	// Two handlers may share a registry.
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := NewHandler(Config{Keys: []Key{k}, Inbox: newMemInbox(), Metrics: reg}); err != nil {
			t.Fatal(err)
		}
	}
}

// refusalRecorder is a Refusals that keeps the reasons it receives.
type refusalRecorder struct {
	mu      sync.Mutex // guards reasons
	reasons []string
}

func (r *refusalRecorder) Refused(_ *http.Request, reason string, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
}

// take returns the reasons received since the last call.
func (r *refusalRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reasons
	r.reasons = nil
	return out
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWebhookHandlerRefusalsWithoutAggregator: with no Refusals, a refused
// request is a Debug line, so that a flood of them writes nothing at the
// usual Info level.
func TestWebhookHandlerRefusalsWithoutAggregator(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var logs syncBuffer
		f := newHandlerFixture(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))})
		req := f.signedRequest(t, []byte(`{}`))
		req.Header.Set(HeaderSignature, "bm90IGEgc2lnbmF0dXJl")
		if status, _, _ := do(t, req); status != 400 {
			t.Fatalf("forged request = %d, want 400", status)
		}
		got := strings.Count(logs.String(), "webhook refused")
		want := 0
		if level == slog.LevelDebug {
			want = 1
		}
		if got != want || strings.Contains(logs.String(), "bm90IGEgc2lnbmF0dXJl") {
			t.Errorf("at level %s the refusal wrote %d lines, want %d, and never the signature:\n%s", level, got, want, logs.String())
		}
	}
}

package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/otcdesk/engine/internal/clock"
)

// t0 is where every test's manual clock starts.
var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// seed seeds every test's jitter; printed by newRig.
const seed = 20240501

// request is one request a receiver got.
type request struct {
	Path   string
	Header http.Header
	Body   []byte
	At     time.Time // on the rig's clock
}

// receiver is an httptest server standing in for Slack, Telegram's Bot API
// or a webhook receiver. It records every request; answer, if set, decides
// the response to request number n (0-based), else 200 "ok".
type receiver struct {
	srv   *httptest.Server
	clock clock.Clock

	mu     sync.Mutex
	reqs   []request
	answer func(n int, r request, w http.ResponseWriter)
}

func newReceiver(t *testing.T, clk clock.Clock) *receiver {
	rc := &receiver{clock: clk}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: read body: %v", err)
		}
		req := request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, At: clk.Now()}
		rc.mu.Lock()
		n := len(rc.reqs)
		rc.reqs = append(rc.reqs, req)
		answer := rc.answer
		rc.mu.Unlock()
		if answer != nil {
			answer(n, req, w)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setAnswer(f func(n int, r request, w http.ResponseWriter)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = f
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

// texts decodes the "text" of every Slack or Telegram request.
func (rc *receiver) texts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range rc.requests() {
		var b struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(r.Body, &b); err != nil {
			t.Fatalf("body %q: %v", r.Body, err)
		}
		out = append(out, b.Text)
	}
	return out
}

// logBuffer collects log output; safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the JSON log records whose message is msg.
func (l *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// rig is a Notifier on a manual clock with captured logs and metrics.
type rig struct {
	clock  *clock.Manual
	n      *Notifier
	logs   *logBuffer
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

func newRig(t *testing.T, clk *clock.Manual, cfg Config, env map[string]string) *rig {
	t.Helper()
	t.Logf("seed %d", seed)
	r := &rig{clock: clk, logs: &logBuffer{}, reg: prometheus.NewRegistry()}
	n, err := New(cfg, Options{
		Getenv:     func(k string) string { return env[k] },
		Clock:      clk.Clock(),
		Rand:       rand.New(rand.NewPCG(seed, seed)),
		Logger:     slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: r.reg,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r.n = n
	return r
}

// start runs the notifier until the test ends.
func (r *rig) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done = make(chan error, 1)
	go func() { r.done <- r.n.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
}

// stop cancels Run and waits for it to return. It does not move the clock:
// a test whose drain needs clock time moves it itself.
func (r *rig) stop(t *testing.T) {
	t.Helper()
	if r.done == nil {
		return
	}
	r.cancel()
	r.wait(t)
}

// wait waits for Run to return, nil.
func (r *rig) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		r.done = nil
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// waitFor polls cond (every millisecond, on a ticker) until it holds,
// failing the test after 10 s of wall time. The notifier's own time is the
// manual clock; only this bound is wall time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatal("timed out waiting for " + what)
		}
	}
}

// advanceUntil moves the clock by step each time a timer waits on it,
// until cond holds.
func (r *rig) advanceUntil(t *testing.T, what string, step time.Duration, cond func() bool) {
	t.Helper()
	for !cond() {
		waitFor(t, what, func() bool { return cond() || r.clock.Pending() > 0 })
		if !cond() {
			r.clock.Advance(step)
		}
	}
}

// dropped reads engine_notify_dropped_total for sink and reason.
func (r *rig) dropped(sink, reason string) int {
	return int(testutil.ToFloat64(r.n.m.dropped.WithLabelValues(sink, reason)))
}

func (r *rig) counter(v *prometheus.CounterVec, labels ...string) int {
	return int(testutil.ToFloat64(v.WithLabelValues(labels...)))
}

// slackSink is a Slack sink's configuration for tests, fast enough that
// nothing is rate-limited unless a test says so.
func slackSink(name, env string, classes ...Class) SinkConfig {
	return SinkConfig{Name: name, Type: TypeSlack, Classes: classNames(classes), URLEnv: env, RatePerMinute: 600000, Burst: 10000}
}

func classNames(cs []Class) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c))
	}
	return out
}

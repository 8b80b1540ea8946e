package refusals

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// lines is a slog.Handler target that keeps every line and announces it.
type lines struct {
	mu   sync.Mutex // guards buf
	buf  bytes.Buffer
	each chan struct{}
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	n, err := l.buf.Write(p)
	l.mu.Unlock()
	if l.each != nil {
		l.each <- struct{}{}
	}
	return n, err
}

// records returns the lines written, decoded.
func (l *lines) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func newTestLog(out *lines, counter *prometheus.CounterVec) *Log {
	return New(Options{Subject: "webhook request", Logger: slog.New(slog.NewJSONHandler(out, nil)), Counter: counter})
}

func TestFloodLogsSamplesAndOneSummary(t *testing.T) {
	out := &lines{}
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "engine_test_refused_total", Help: "test"}, []string{"reason"})
	l := newTestLog(out, c)

	const n = 10000
	for i := range n {
		path := "/webhooks/hercle"
		reason := "bad_signature"
		if i%10 == 0 {
			path, reason = fmt.Sprintf("/probe/%d", i), "not_found"
		}
		r := httptest.NewRequest("POST", path, strings.NewReader("secret body"))
		r.RemoteAddr = fmt.Sprintf("198.51.100.%d:%d", i%3, 40000+i)
		l.Refused(r, reason, errors.New("hercle: webhook: signature does not verify"))
	}
	l.Flush()
	l.Flush() // nothing new: no line

	recs := out.records(t)
	if len(recs) != DefaultSamples+1 {
		t.Fatalf("%d refusals logged %d lines, want %d samples and one summary", n, len(recs), DefaultSamples)
	}
	for i, rec := range recs[:DefaultSamples] {
		if rec["msg"] != "webhook request refused" || rec["remote"] == nil || rec["reason"] == nil || rec["sample"] != fmt.Sprintf("%d/%d", i+1, DefaultSamples) {
			t.Errorf("sample line %d = %v", i, rec)
		}
	}
	sum := recs[DefaultSamples]
	if sum["msg"] != "webhook request refusals" || sum["total"] != float64(n) || sum["hosts"] != float64(3) ||
		sum["logged_in_detail"] != float64(DefaultSamples) {
		t.Errorf("summary = %v", sum)
	}
	if got := sum["by_reason"]; fmt.Sprint(got) != "map[bad_signature:9000 not_found:1000]" {
		t.Errorf("summary by_reason = %v", got)
	}
	byPath := sum["by_path"].(map[string]any)
	if len(byPath) != maxPaths+1 {
		t.Errorf("summary has %d paths, want %d and %q", len(byPath), maxPaths, Other)
	}
	if fmt.Sprint(byPath["/webhooks/hercle"]) != "map[bad_signature:9000]" {
		t.Errorf("summary by_path[/webhooks/hercle] = %v", byPath["/webhooks/hercle"])
	}
	other := byPath[Other].(map[string]any)
	if other["not_found"] != float64(1000-maxPaths+1) {
		t.Errorf("summary by_path[%q] = %v, want the %d probes past the first %d paths", Other, other, 1000-maxPaths+1, maxPaths-1)
	}
	if !strings.HasPrefix(sum["top_hosts"].(string), "198.51.100.0=3334 ") {
		t.Errorf("summary top_hosts = %q", sum["top_hosts"])
	}
	if strings.Contains(out.buf.String(), "secret body") {
		t.Error("a body reached the log")
	}
	if got := testutil.ToFloat64(c.WithLabelValues("bad_signature")); got != 9000 {
		t.Errorf("counter{bad_signature} = %v, want 9000", got)
	}
	if got := testutil.ToFloat64(c.WithLabelValues("not_found")); got != 1000 {
		t.Errorf("counter{not_found} = %v, want 1000", got)
	}

	// A new interval samples again.
	l.RefusedConn("203.0.113.9:443", "tls_handshake", errors.New("EOF"))
	l.Flush()
	recs = out.records(t)
	if len(recs) != DefaultSamples+3 || recs[len(recs)-2]["reason"] != "tls_handshake" || recs[len(recs)-1]["total"] != float64(1) {
		t.Errorf("after a new refusal and Flush, the last lines are %v", recs[DefaultSamples+1:])
	}
}

func TestStateStaysBounded(t *testing.T) {
	l := New(Options{Samples: -1})
	for i := range 5000 {
		l.RefusedConn(fmt.Sprintf("[2001:db8::%x]:1", i), fmt.Sprintf("reason_%d", i), nil)
		r := httptest.NewRequest("GET", fmt.Sprintf("/p/%d", i), nil)
		l.Refused(r, "not_found", nil)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Each bound, plus Other.
	if len(l.paths) != maxPaths+1 || len(l.reasons) != maxReasons+1 || len(l.hosts) != maxHosts+1 || l.sampled != 0 {
		t.Errorf("after 10000 distinct refusals: %d paths, %d reasons, %d hosts, %d sampled; want %d, %d, %d, 0",
			len(l.paths), len(l.reasons), len(l.hosts), l.sampled, maxPaths+1, maxReasons+1, maxHosts+1)
	}
	for p, rs := range l.paths {
		if len(rs) > maxReasons+1 {
			t.Errorf("path %q has %d reasons, want at most %d", p, len(rs), maxReasons+1)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/webhooks/hercle", "/webhooks/hercle"},
		{"/a\nb\x7f\x00", "/a?b??"},
		{"/\xff\xfe", "/?"},
		{strings.Repeat("é", 100), strings.Repeat("é", 64) + "…"},
		{strings.Repeat("a", 127) + "é", strings.Repeat("a", 127) + "?…"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRunFlushesAtEachTickAndAtTheEnd(t *testing.T) {
	out := &lines{each: make(chan struct{}, 16)}
	l := New(Options{Logger: slog.New(slog.NewJSONHandler(out, nil)), Samples: -1, Every: 42 * time.Second})
	ticks := make(chan time.Time)
	asked := make(chan time.Duration, 1)
	newTimer := func(d time.Duration) (<-chan time.Time, func() bool) {
		asked <- d
		return ticks, func() bool { return true }
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx, newTimer)
	}()

	if d := <-asked; d != 42*time.Second {
		t.Fatalf("Run asked for a timer of %s, want Every", d)
	}
	l.RefusedConn("192.0.2.1:1", "bad_signature", nil)
	ticks <- time.Time{}
	<-out.each // the summary
	<-asked
	l.RefusedConn("192.0.2.1:1", "bad_signature", nil)
	l.RefusedConn("192.0.2.1:1", "bad_signature", nil)
	cancel()
	<-done
	recs := out.records(t)
	if len(recs) != 2 || recs[0]["total"] != float64(1) || recs[1]["total"] != float64(2) {
		t.Errorf("Run wrote %v, want a summary of 1 at the tick and of 2 at the end", recs)
	}
}

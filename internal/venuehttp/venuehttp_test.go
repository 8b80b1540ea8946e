package venuehttp

import (
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestParseBaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://publicapi.hercle.financial/": "https://publicapi.hercle.financial",
		"http://127.0.0.1:8700":               "http://127.0.0.1:8700",
		"http://localhost:1/api/":             "http://localhost:1/api",
	} {
		if got, err := ParseBaseURL(raw); err != nil || got != want {
			t.Errorf("ParseBaseURL(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"", "publicapi.hercle.financial", "http://example.com", "ftp://x", "https://u:p@x", "https://x/?a=1", "https://x/#f"} {
		if _, err := ParseBaseURL(raw); err == nil {
			t.Errorf("ParseBaseURL(%q) accepted", raw)
		}
	}
}

func TestUnsentNeedsEvidence(t *testing.T) {
	var none Trace
	if none.Unsent(errors.New("reset")) {
		t.Error("no trace evidence counted as unsent")
	}
	var dialed Trace
	if !dialed.Unsent(&net.OpError{Op: "dial", Err: errors.New("refused")}) {
		t.Error("dial failure not counted as unsent")
	}
	var looking Trace
	looking.Hooks().GetConn("x:1")
	if !looking.Unsent(errors.New("reset")) {
		t.Error("connection sought, headers never written: not counted as unsent")
	}
	var wrote Trace
	wrote.Hooks().GetConn("x:1")
	wrote.Hooks().WroteHeaders()
	if wrote.Unsent(&net.OpError{Op: "dial"}) {
		t.Error("headers written, yet counted as unsent")
	}
}

func TestBackoffAndRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	top := func(n int64) int64 { return n - 1 }
	if got := Backoff(0, http.Header{}, now, top); got != BackoffBase {
		t.Errorf("first backoff, top of the jitter = %v, want %v", got, BackoffBase)
	}
	if got := Backoff(40, http.Header{}, now, func(int64) int64 { return 0 }); got != BackoffCap/2 {
		t.Errorf("capped backoff, bottom of the jitter = %v, want %v", got, BackoffCap/2)
	}
	h := http.Header{"Retry-After": {"7"}}
	if got := Backoff(3, h, now, top); got != 7*time.Second {
		t.Errorf("Retry-After 7 → %v", got)
	}
	h.Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
	if got, ok := RetryAfter(h, now); !ok || got != 90*time.Second {
		t.Errorf("Retry-After date → %v %v", got, ok)
	}
	h.Set("Retry-After", "999999")
	if got, _ := RetryAfter(h, now); got != MaxRetryAfter {
		t.Errorf("huge Retry-After → %v, want the cap", got)
	}
	h.Set("Retry-After", "soon")
	if _, ok := RetryAfter(h, now); ok {
		t.Error("Retry-After \"soon\" accepted")
	}
}

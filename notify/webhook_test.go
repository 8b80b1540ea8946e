package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"
)

// verifyWebhook is a receiver's verifier, written from the package
// documentation alone: the header's t and v1 values, a 5-minute
// tolerance, HMAC-SHA256 over "<t>.<raw body>", constant-time comparison,
// any of several v1 accepted (secret rotation).
func verifyWebhook(secret []byte, header string, body []byte, now time.Time) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return fmt.Errorf("malformed signature header %q", header)
		case k == "t":
			ts = v
		case k == "v1":
			sigs = append(sigs, v)
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("signature header lacks t or v1")
	}
	if d := now.Sub(time.Unix(t, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %d is %v from now: a replay", t, d)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range sigs {
		if got, err := hex.DecodeString(s); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no v1 signature matches")
}

// TestSignKnownVector checks sign against a vector made by openssl
// (printf '%s' '1714557600.{"id":"x","title":"hello"}' |
// openssl dgst -sha256 -hmac 'whsec-test-secret') and Python's hmac.
func TestSignKnownVector(t *testing.T) {
	got := sign([]byte("whsec-test-secret"), time.Unix(1714557600, 0), []byte(`{"id":"x","title":"hello"}`))
	want := "t=1714557600,v1=927a8becfd65ec6d97cb4e35af265e604be23217a0673cbff5fdb1fd9440a039"
	if got != want {
		t.Errorf("sign = %q, want %q", got, want)
	}
}

func TestWebhookSignatureVerifies(t *testing.T) {
	clk := clock.NewManual(t0)
	rx := newReceiver(t, clk.Clock())
	secret := []byte("whsec-verify-0123456789")
	rx.setAnswer(func(_ int, r request, w http.ResponseWriter) {
		if err := verifyWebhook(secret, r.Header.Get(SignatureHeader), r.Body, clk.Now()); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	cfg := Config{Sinks: []SinkConfig{{Name: "hook", Type: TypeWebhook, Classes: []string{"kills"},
		URL: rx.srv.URL + "/in", SecretEnv: "S"}}}
	r := newRig(t, clk, cfg, map[string]string{"S": string(secret)})
	r.start(t)
	r.n.Notify(KillEvent(Kill{Kind: Breaker, On: true, Reason: "6 rejects in 10m", Until: t0.Add(30 * time.Minute), Time: t0}))
	waitFor(t, "the webhook", func() bool { return r.counter(r.n.m.sent, "hook") == 1 })
	r.stop(t)

	req := rx.requests()[0]
	want := `{"id":"` + req.Header.Get(EventIDHeader) + `","class":"kills","key":"kill:breaker:on:1714557600000000000",` +
		`"severity":"critical","time":"2024-05-01T10:00:00Z","title":"Circuit breaker tripped: 6 rejects in 10m",` +
		`"fields":[{"name":"until","value":"2024-05-01T10:30:00Z"}]}`
	if string(req.Body) != want {
		t.Errorf("body = %s\nwant   %s", req.Body, want)
	}
	sig := req.Header.Get(SignatureHeader)
	for _, tc := range []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
	}{
		{"tampered body", secret, sig, append([]byte(nil), strings.Replace(string(req.Body), "critical", "info", 1)...), t0},
		{"wrong secret", []byte("whsec-other"), sig, req.Body, t0},
		{"replayed later", secret, sig, req.Body, t0.Add(6 * time.Minute)},
		{"no signature", secret, "t=1714557600", req.Body, t0},
	} {
		if err := verifyWebhook(tc.secret, tc.header, tc.body, tc.now); err == nil {
			t.Errorf("%s: verified, want an error", tc.name)
		}
	}
	rotated := "t=" + strconv.FormatInt(t0.Unix(), 10) + ",v1=00," + strings.Split(sig, ",")[1]
	if err := verifyWebhook(secret, rotated, req.Body, t0); err != nil {
		t.Errorf("a header with an old and the current v1: %v", err)
	}
}

// A retry is signed again, with the time of the attempt, and keeps its id.
func TestWebhookRetryIsResigned(t *testing.T) {
	clk := clock.NewManual(t0)
	rx := newReceiver(t, clk.Clock())
	rx.setAnswer(func(n int, _ request, w http.ResponseWriter) {
		if n == 0 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	cfg := Config{Sinks: []SinkConfig{{Name: "hook", Type: TypeWebhook, Classes: []string{"alerts"}, URLEnv: "U", SecretEnv: "S"}}}
	r := newRig(t, clk, cfg, map[string]string{"U": rx.srv.URL, "S": "whsec-retry-secret"})
	r.start(t)
	r.n.Notify(Event{Class: ClassAlerts, Title: "x"})
	r.advanceUntil(t, "the retry", time.Minute, func() bool { return rx.count() == 2 })
	r.stop(t)
	reqs := rx.requests()
	if a, b := reqs[0].Header.Get(EventIDHeader), reqs[1].Header.Get(EventIDHeader); a != b || a == "" {
		t.Errorf("ids %q and %q, want the same", a, b)
	}
	for _, req := range reqs {
		if err := verifyWebhook([]byte("whsec-retry-secret"), req.Header.Get(SignatureHeader), req.Body, req.At); err != nil {
			t.Errorf("attempt at %v: %v", req.At.Sub(t0), err)
		}
	}
	if reqs[0].Header.Get(SignatureHeader) == reqs[1].Header.Get(SignatureHeader) {
		t.Error("the retry reused the first attempt's timestamp")
	}
}

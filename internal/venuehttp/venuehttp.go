// Package venuehttp holds the HTTP mechanics the venue clients (hercle,
// heropayments) share and must get exactly right in one place: which base
// URLs are acceptable, when a failed request provably never reached the
// server (the only case in which a money-moving request may be retried),
// how long to back off, how to wait on a rate limiter, and the call itself
// (Caller: send, retry, sort the answer into done, refused or unknown),
// with the lenient reading of error bodies. Each client keeps its
// protocol: routes, headers and signatures, bodies, models and errors.
//
// It imports nothing of the engine (its Clock is an interface that
// internal/clock's Clock satisfies), so the clients keep importing nothing
// but market and internal.
package venuehttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// ParseBaseURL checks a venue base URL: absolute, https (plain http only
// to a loopback host, for the simulator), without credentials, query or
// fragment. It returns it without a trailing slash.
func ParseBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", errors.New("BaseURL must be an absolute http(s) URL")
	}
	switch {
	case u.User != nil:
		return "", errors.New("BaseURL must not carry credentials; the key goes in APIKey")
	case u.RawQuery != "" || u.Fragment != "":
		return "", errors.New("BaseURL must not have a query or fragment")
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
	case u.Scheme == "http":
		return "", fmt.Errorf("BaseURL: plain http is allowed only to a loopback host, got %q", u.Hostname())
	default:
		return "", fmt.Errorf("BaseURL scheme must be https, got %q", u.Scheme)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// IsLoopback reports whether host is "localhost" or a loopback IP.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Trace records how far a request got, from net/http's trace hooks, which
// the transport may call from its own goroutines. Use one per attempt.
type Trace struct {
	getConn      atomic.Bool
	wroteHeaders atomic.Bool
}

// Hooks returns the trace hooks to attach with httptrace.WithClientTrace.
func (t *Trace) Hooks() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn:      func(string) { t.getConn.Store(true) },
		WroteHeaders: func() { t.wroteHeaders.Store(true) },
	}
}

// Unsent reports whether a failed request provably never reached the
// server. It needs positive evidence: a dial or DNS failure, or a transport
// that reported looking for a connection (so it reports progress) and never
// reported writing the headers. A RoundTripper that reports nothing gives
// no evidence, and the request counts as possibly sent.
func (t *Trace) Unsent(err error) bool {
	if t.wroteHeaders.Load() {
		return false
	}
	if t.getConn.Load() {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// Backoff between retries: exponential from BackoffBase, capped at
// BackoffCap, with "equal jitter" (half fixed, half random) so clients that
// failed together do not retry together.
const (
	BackoffBase = 250 * time.Millisecond
	BackoffCap  = 10 * time.Second
	// MaxRetryAfter bounds a Retry-After a server asks for; the call's
	// deadline usually ends the wait sooner.
	MaxRetryAfter = 5 * time.Minute
)

// Backoff returns the wait before retry number attempt+1: the server's
// Retry-After when it sent one, otherwise jittered exponential backoff.
// int64n returns a uniform number in [0, n).
func Backoff(attempt int, h http.Header, now time.Time, int64n func(n int64) int64) time.Duration {
	if d, ok := RetryAfter(h, now); ok {
		return d
	}
	d := BackoffCap
	if attempt < 16 {
		d = min(BackoffCap, BackoffBase<<attempt)
	}
	half := d / 2
	return half + time.Duration(int64n(int64(half)+1))
}

// RetryAfter reads a Retry-After header: delay-seconds or an HTTP date,
// bounded by MaxRetryAfter.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return min(time.Duration(secs)*time.Second, MaxRetryAfter), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), MaxRetryAfter), true
}

// Wait takes a token from l, sleeping with sleep on the caller's clock
// until one is available; a cancelled wait gives the token back.
func Wait(ctx context.Context, l *rate.Limiter, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := now()
	r := l.ReserveN(t, 1)
	if d := r.DelayFrom(t); d > 0 {
		if err := sleep(ctx, d); err != nil {
			r.CancelAt(now())
			return err
		}
	}
	return nil
}

// CheckBaseURL returns what is wrong with a venue's configured base URL,
// or "": it must be absolute http(s), plain http only to a loopback host
// (a simulator), and carry no credentials (they come from envKey, when
// given).
func CheckBaseURL(raw, envKey string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Sprintf("must be an absolute http(s) URL, got %q", raw)
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		return "plain http is only allowed to a loopback host (the simulator); use https"
	case u.User != nil && envKey != "":
		return "must not carry credentials; the API key comes from " + envKey
	case u.User != nil:
		return "must not carry credentials"
	}
	return ""
}

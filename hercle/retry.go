package hercle

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff between retries: exponential from backoffBase, capped at
// backoffCap, with "equal jitter" (half fixed, half random) so clients that
// failed together do not retry together.
const (
	backoffBase = 250 * time.Millisecond
	backoffCap  = 10 * time.Second
	// maxRetryAfter bounds a Retry-After the venue asks for; the call's
	// deadline usually ends the wait sooner.
	maxRetryAfter = 5 * time.Minute
)

// backoff returns the wait before retry number attempt+1: the venue's
// Retry-After when it sent one, otherwise jittered exponential backoff.
func (c *Client) backoff(attempt int, h http.Header) time.Duration {
	if d, ok := retryAfter(h, c.now()); ok {
		return d
	}
	d := backoffCap
	if attempt < 16 {
		d = min(backoffCap, backoffBase<<attempt)
	}
	half := d / 2
	return half + time.Duration(c.int64n(int64(half)+1))
}

func (c *Client) int64n(n int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rnd == nil {
		return rand.Int64N(n)
	}
	return c.rnd.Int64N(n)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return min(time.Duration(secs)*time.Second, maxRetryAfter), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// wait takes a token from the rate limiter, sleeping on the client's clock
// until one is available.
func (c *Client) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.now()
	r := c.limiter.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if err := c.sleep(ctx, d); err != nil {
		r.CancelAt(c.now())
		return err
	}
	return nil
}

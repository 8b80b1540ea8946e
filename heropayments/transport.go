package heropayments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"time"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// maxBody bounds a response body; a larger one is refused.
const maxBody = 4 << 20

// Backoff between retries: exponential from backoffBase to backoffCap,
// half fixed and half random, or the server's Retry-After (at most
// maxRetryAfter).
const ()

// request describes one call.
type request struct {
	route           route
	query           url.Values
	body            any    // marshalled, then normalised; nil sends none
	externalOrderID string // create routes: carried by UnknownOutcomeError
}

// result is what one attempt produced.
type result struct {
	status   int
	header   http.Header
	body     []byte
	err      error
	sent     bool // false only when the request provably never left
	tooLarge bool
}

// encodeBody marshals v and normalises it, so that the bytes sent are the
// bytes signed: JSON.stringify(JSON.parse(sent)) == sent. Amounts refuse to
// marshal when JSON.stringify would change their value (ErrInexactAmount).
func encodeBody(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Normalize(raw)
}

// do performs the call, retrying as the route's kind allows, and decodes a
// 2xx body into out.
func (c *Client) do(ctx context.Context, rq request, out any) error {
	op := rq.route.op()
	target := c.base + rq.route.path
	var body []byte
	var sig string
	if rq.body != nil {
		b, err := encodeBody(rq.body)
		if err != nil {
			return fmt.Errorf("heropayments: %s: encode request: %w", op, err)
		}
		body, sig = b, Sign(c.secret, b)
	} else {
		// The signature covers the query string exactly as sent.
		qs := rq.query.Encode()
		if qs != "" {
			target += "?" + qs
		}
		sig = SignQuery(c.secret, qs)
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		if err := c.wait(ctx); err != nil {
			c.metrics.call(rq.route, outcomeNotSent)
			return fmt.Errorf("heropayments: %s: %w: waiting for the rate limiter: %w", op, ErrNotSent, err)
		}
		res := c.attempt(ctx, rq, target, body, sig)
		err, outcome, retry := c.judge(ctx, rq, res, out)
		if retry == "" || attempt >= c.maxRetries || ctx.Err() != nil {
			c.metrics.call(rq.route, outcome)
			return err
		}
		delay := c.backoff(attempt, res.header)
		if dl, ok := ctx.Deadline(); ok && c.clock.Now().Add(delay).After(dl) {
			c.metrics.call(rq.route, outcome)
			return err
		}
		c.metrics.retry(rq.route, retry)
		c.log.InfoContext(ctx, "heropayments: retrying", "route", op, "attempt", attempt+1, "reason", retry, "status", res.status, "delay", delay)
		if serr := c.sleep(ctx, delay); serr != nil {
			c.metrics.call(rq.route, outcome)
			return err
		}
	}
}

// judge turns an attempt into the call's error (nil on success), the
// metric outcome and the retry reason ("" when it must not be repeated).
func (c *Client) judge(ctx context.Context, rq request, res result, out any) (err error, outcome, retry string) {
	op := rq.route.op()
	write := rq.route.kind == create
	unknown := func(err error) (error, string, string) {
		return &UnknownOutcomeError{Op: op, ExternalOrderID: rq.externalOrderID, Err: err}, outcomeUnknown, ""
	}
	switch {
	case res.err != nil && !res.sent:
		return fmt.Errorf("heropayments: %s: %w: %w", op, ErrNotSent, res.err), outcomeNotSent, "not_sent"
	case res.err != nil && write:
		return unknown(res.err)
	case res.err != nil:
		if ctx.Err() != nil {
			return fmt.Errorf("heropayments: %s: %w", op, res.err), outcomeError, ""
		}
		return fmt.Errorf("heropayments: %s: %w", op, res.err), outcomeError, "network"
	case res.status >= 200 && res.status < 300:
		err := decodeBody(op, res, out)
		switch {
		case err == nil:
			return nil, outcomeOK, ""
		case write:
			return unknown(err) // processed, but the answer is unreadable
		default:
			return err, outcomeError, ""
		}
	}
	apiErr := parseAPIError(op, res, c.redact, c.clock.Now())
	switch {
	case res.status == http.StatusTooManyRequests:
		return apiErr, outcomeRejected, "rate_limited" // refused before processing
	case write && (res.status >= 500 || res.status == http.StatusRequestTimeout || res.status < 400):
		return unknown(apiErr)
	case res.status >= 500 || res.status == http.StatusRequestTimeout:
		return apiErr, outcomeError, "server_error"
	case res.status < 400:
		return apiErr, outcomeError, ""
	default:
		return apiErr, outcomeRejected, ""
	}
}

// attempt sends the request once and reads the whole response.
func (c *Client) attempt(ctx context.Context, rq request, target string, body []byte, sig string) result {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var tr venuehttp.Trace
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, tr.Hooks()), rq.route.method, target, rd)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set(APIKeyHeader, c.key)
	req.Header.Set(SignHeader, sig)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := c.clock.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.metrics.attempt(rq.route, c.clock.Since(start))
		return result{err: scrubURLError(err), sent: !tr.Unsent(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	c.metrics.attempt(rq.route, c.clock.Since(start))
	res := result{status: resp.StatusCode, header: resp.Header, sent: true}
	switch {
	case err != nil:
		res.err = fmt.Errorf("HTTP %d: reading the response: %w", resp.StatusCode, err)
	case len(data) > maxBody:
		res.tooLarge = true
	default:
		res.body = data
	}
	return res
}

// scrubURLError drops the URL (which carries query values) from a
// *url.Error, keeping its cause.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// backoff returns the wait before retry attempt+1.
func (c *Client) backoff(attempt int, h http.Header) time.Duration {
	return venuehttp.Backoff(attempt, h, c.clock.Now(), func(n int64) int64 {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.rnd == nil {
			return rand.Int64N(n)
		}
		return c.rnd.Int64N(n)
	})
}

// wait takes a token from the rate limiter on the client's clock.
func (c *Client) wait(ctx context.Context) error {
	return venuehttp.Wait(ctx, c.limiter, c.clock.Now, c.sleep)
}

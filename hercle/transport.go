package hercle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// maxBody bounds a response body; a larger one is refused unread.
const maxBody = 16 << 20

// request describes one call.
type request struct {
	route    route
	args     []string   // path values, in template order
	query    url.Values // optional
	body     any        // JSON body; nil sends none
	clientID string     // Client-Id header; set on money routes
	// emptyOK accepts a 2xx with no body as success, leaving out untouched
	// (the collection documents POST /addresses/deposit as bodiless).
	emptyOK bool
}

// result is what one attempt produced.
type result struct {
	status int
	header http.Header
	body   []byte
	err    error // transport failure, or failure reading the body
	// sent is false only when the request provably never reached the
	// venue; any doubt counts as sent.
	sent     bool
	tooLarge bool
}

// do performs the call described by rq, retrying as its route's kind
// allows, and decodes a 2xx body into out (nil: ignore the body).
func (c *Client) do(ctx context.Context, rq request, out any) error {
	op := rq.route.op()
	path, err := rq.route.expand(rq.args...)
	if err != nil {
		return err
	}
	target := c.base + path
	if len(rq.query) > 0 {
		target += "?" + rq.query.Encode()
	}
	var body []byte
	if rq.body != nil {
		if body, err = json.Marshal(rq.body); err != nil {
			return fmt.Errorf("hercle: %s: encode request: %w", op, err)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var last error // error of the previous attempt, if any
	var lastOutcome string
	for attempt := 0; ; attempt++ {
		if err := c.wait(ctx); err != nil {
			if last == nil {
				last = fmt.Errorf("hercle: %s: %w: waiting for the rate limiter: %w", op, ErrNotSent, err)
				lastOutcome = outcomeNotSent
			}
			c.metrics.call(rq.route, lastOutcome)
			return last
		}
		res := c.attempt(ctx, rq, target, body)
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
		c.log.InfoContext(ctx, "hercle: retrying", "route", op, "attempt", attempt+1, "reason", retry, "status", res.status, "delay", delay)
		if serr := c.sleep(ctx, delay); serr != nil {
			c.metrics.call(rq.route, outcome)
			return err
		}
		last, lastOutcome = err, outcome
	}
}

// judge turns an attempt's result into the call's error (nil on success,
// after decoding into out), the metric outcome, and the retry reason ("" if
// the attempt must not be repeated).
func (c *Client) judge(ctx context.Context, rq request, res result, out any) (err error, outcome, retry string) {
	op := rq.route.op()
	write := rq.route.kind != read
	unknown := func(err error) (error, string, string) {
		return &UnknownOutcomeError{Op: op, ClientID: rq.clientID, Err: err}, outcomeUnknown, ""
	}
	switch {
	case res.err != nil && !res.sent:
		return fmt.Errorf("hercle: %s: %w: %w", op, ErrNotSent, res.err), outcomeNotSent, "not_sent"
	case res.err != nil && write:
		return unknown(res.err)
	case res.err != nil:
		if ctx.Err() != nil {
			return fmt.Errorf("hercle: %s: %w", op, res.err), outcomeError, ""
		}
		return fmt.Errorf("hercle: %s: %w", op, res.err), outcomeError, "network"
	case res.status >= 200 && res.status < 300:
		err := decodeBody(op, res, out, rq.emptyOK)
		switch {
		case err == nil:
			return nil, outcomeOK, ""
		case write:
			// Processed, but the result is unreadable: only a lookup tells.
			return unknown(err)
		default:
			return err, outcomeError, ""
		}
	}
	apiErr := parseAPIError(op, res, c.redact, c.clock.Now())
	switch {
	case res.status == http.StatusTooManyRequests:
		// Refused before processing: safe to repeat for every kind.
		return apiErr, outcomeRejected, "rate_limited"
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
func (c *Client) attempt(ctx context.Context, rq request, target string, body []byte) result {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var tr venuehttp.Trace
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, tr.Hooks()), rq.route.method, target, rd)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	// The guide sends Content-Type on every request and three GET pages
	// list it as required, so it goes on all of them.
	req.Header.Set("Content-Type", "application/json")
	if rq.clientID != "" {
		req.Header.Set("Client-Id", rq.clientID)
	}
	start := c.clock.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.metrics.attempt(rq.route, c.clock.Since(start))
		return result{err: err, sent: !tr.Unsent(err)}
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
		res.body = data[:512]
	default:
		res.body = data
	}
	return res
}

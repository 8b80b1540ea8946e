package venuehttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Outcomes of a call: the values of a client's outcome metric label.
const (
	OutcomeOK       = "ok"       // 2xx, decoded
	OutcomeRejected = "rejected" // 4xx: the venue refused; nothing happened
	OutcomeNotSent  = "not_sent" // never reached the venue
	OutcomeError    = "error"    // a read that failed (5xx, network, bad body)
	OutcomeUnknown  = "unknown"  // a write whose outcome is unknown
)

// Reasons for an automatic retry: the values of a client's reason label.
const (
	RetryRateLimited = "rate_limited"
	RetryServerError = "server_error"
	RetryNetwork     = "network"
	RetryNotSent     = "not_sent"
)

// headOfTooLarge is how much of a body over Caller.MaxBody is kept, for
// an error message's snippet.
const headOfTooLarge = 512

// Clock is the time a Caller reads and waits on. clock.Clock (the
// engine's internal/clock) is one.
type Clock interface {
	Now() time.Time
	Since(t time.Time) time.Duration
	// Sleep waits d, or until ctx ends, when it returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// Metrics counts the calls of one route. The methods are called on the
// calling goroutine and must not block.
type Metrics interface {
	Attempt(d time.Duration) // the latency of each attempt
	Call(outcome string)     // the final outcome of each call
	Retry(reason string)     // each automatic retry
}

// Caller sends the calls of one venue client: each under the client's
// rate limit and deadline, repeated only when the venue provably did
// nothing (or, for a read, when repeating is harmless), and its answer
// sorted into done, refused, or of unknown outcome. A write that may have
// reached the venue is never sent again: the client looks it up instead.
// The client keeps its protocol: URLs, headers and signatures, the reading
// of bodies and error bodies, and its errors.
//
// Set the fields before the first call and do not change them after. Do
// is safe for concurrent use; a Caller must not be copied after first use.
type Caller struct {
	// Name starts every error and log message ("hercle").
	Name string
	// NotSent is the client's sentinel for a request that provably never
	// reached the venue; errors of such calls wrap it.
	NotSent error
	// HTTP carries the requests (see HTTPClient).
	HTTP *http.Client
	// Limiter paces the client: every attempt takes a token.
	Limiter *rate.Limiter
	// Timeout bounds each call, retries and waits included, on top of the
	// caller's context.
	Timeout time.Duration
	// MaxRetries bounds the automatic retries of one call.
	MaxRetries int
	// MaxBody bounds a response body; a larger one is refused
	// (Response.TooLarge).
	MaxBody int64
	// Clock reads the time for the limiter, backoff, deadlines and
	// latencies, and waits.
	Clock Clock
	// Sleep, when set, waits in Clock's place (tests skip waits with it).
	// It must return ctx.Err() early when ctx ends.
	Sleep func(ctx context.Context, d time.Duration) error
	// Log receives retries at Info level; nil discards.
	Log *slog.Logger
	// Rand draws backoff jitter; nil uses math/rand/v2's global source. It
	// is guarded by the Caller, so it need not be safe for concurrent use.
	Rand *rand.Rand
	// KeepLastError: when waiting for the rate limiter fails after an
	// attempt (the deadline came first), the call returns that attempt's
	// error and outcome. Otherwise it returns an error wrapping NotSent.
	KeepLastError bool
	// HideURL drops the URL, which may carry query values, from the
	// transport's errors.
	HideURL bool

	mu sync.Mutex // guards Rand
}

// Call is one call as its client describes it.
type Call struct {
	// Op names the call in errors and logs: the method and the route's
	// template, never an identifier or a query value.
	Op     string
	Method string
	URL    string
	// Header is sent with every attempt.
	Header http.Header
	// Body is sent with every attempt; nil sends none.
	Body []byte
	// Write is a call that creates or moves something. Once it may have
	// reached the venue it is not repeated, and a failure that leaves its
	// outcome open is Unknown's error.
	Write bool
	// Decode reads a 2xx answer. A write whose answer does not decode was
	// processed all the same: its error goes through Unknown.
	Decode func(Response) error
	// APIError builds the error of a non-2xx answer.
	APIError func(Response) error
	// Unknown wraps the error of a write whose outcome is unknown, with
	// what the client needs to look it up.
	Unknown func(error) error
	// Metrics counts the call; nil counts nothing.
	Metrics Metrics
}

// Response is an answer of the venue.
type Response struct {
	Status int
	Header http.Header
	// Body is the whole body or, when TooLarge, its first 512 bytes.
	Body     []byte
	TooLarge bool // the body was larger than Caller.MaxBody
}

// attempt is what one attempt produced.
type attempt struct {
	Response
	err error // the transport's, or reading the body failed
	// sent is false only when the request provably never reached the
	// venue; any doubt counts as sent.
	sent bool
}

// Do performs call, repeating it as its kind allows. It returns nil once
// Decode has read a 2xx answer. Otherwise its error is Unknown's for a
// write that may have been processed; wraps NotSent when the request
// never reached the venue; or is APIError's, Decode's or the transport's.
func (c *Caller) Do(ctx context.Context, call Call) error {
	if call.Metrics == nil {
		call.Metrics = noMetrics{}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()

	var last error // error of the previous attempt, if any
	var lastOutcome string
	for n := 0; ; n++ {
		if err := Wait(ctx, c.Limiter, c.Clock.Now, c.sleep); err != nil {
			if last == nil || !c.KeepLastError {
				last = fmt.Errorf("%s: %s: %w: waiting for the rate limiter: %w", c.Name, call.Op, c.NotSent, err)
				lastOutcome = OutcomeNotSent
			}
			call.Metrics.Call(lastOutcome)
			return last
		}
		res := c.send(ctx, call)
		err, outcome, retry := c.judge(ctx, call, res)
		if retry == "" || n >= c.MaxRetries || ctx.Err() != nil {
			call.Metrics.Call(outcome)
			return err
		}
		delay := Backoff(n, res.Header, c.Clock.Now(), c.int64n)
		if dl, ok := ctx.Deadline(); ok && c.Clock.Now().Add(delay).After(dl) {
			call.Metrics.Call(outcome)
			return err
		}
		call.Metrics.Retry(retry)
		c.log().InfoContext(ctx, c.Name+": retrying", "route", call.Op, "attempt", n+1, "reason", retry, "status", res.Status, "delay", delay)
		if serr := c.sleep(ctx, delay); serr != nil {
			call.Metrics.Call(outcome)
			return err
		}
		last, lastOutcome = err, outcome
	}
}

// judge turns an attempt into the call's error (nil on success, after
// Decode), the metric outcome, and the retry reason ("" if the attempt
// must not be repeated).
func (c *Caller) judge(ctx context.Context, call Call, res attempt) (err error, outcome, retry string) {
	unknown := func(err error) (error, string, string) {
		return call.Unknown(err), OutcomeUnknown, ""
	}
	switch {
	case res.err != nil && !res.sent:
		return fmt.Errorf("%s: %s: %w: %w", c.Name, call.Op, c.NotSent, res.err), OutcomeNotSent, RetryNotSent
	case res.err != nil && call.Write:
		return unknown(res.err)
	case res.err != nil:
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %s: %w", c.Name, call.Op, res.err), OutcomeError, ""
		}
		return fmt.Errorf("%s: %s: %w", c.Name, call.Op, res.err), OutcomeError, RetryNetwork
	case res.Status >= 200 && res.Status < 300:
		err := call.Decode(res.Response)
		switch {
		case err == nil:
			return nil, OutcomeOK, ""
		case call.Write:
			// Processed, but the result is unreadable: only a lookup tells.
			return unknown(err)
		default:
			return err, OutcomeError, ""
		}
	}
	apiErr := call.APIError(res.Response)
	switch {
	case res.Status == http.StatusTooManyRequests:
		// Refused before processing: safe to repeat for every kind.
		return apiErr, OutcomeRejected, RetryRateLimited
	case call.Write && (res.Status >= 500 || res.Status == http.StatusRequestTimeout || res.Status < 400):
		return unknown(apiErr)
	case res.Status >= 500 || res.Status == http.StatusRequestTimeout:
		return apiErr, OutcomeError, RetryServerError
	case res.Status < 400:
		return apiErr, OutcomeError, ""
	default:
		return apiErr, OutcomeRejected, ""
	}
}

// send sends the call once and reads the whole answer.
func (c *Caller) send(ctx context.Context, call Call) attempt {
	var rd io.Reader
	if call.Body != nil {
		rd = bytes.NewReader(call.Body)
	}
	var tr Trace
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, tr.Hooks()), call.Method, call.URL, rd)
	if err != nil {
		return attempt{err: err}
	}
	req.Header = call.Header.Clone()
	start := c.Clock.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		call.Metrics.Attempt(c.Clock.Since(start))
		sent := !tr.Unsent(err)
		if c.HideURL {
			err = withoutURL(err)
		}
		return attempt{err: err, sent: sent}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.MaxBody+1))
	call.Metrics.Attempt(c.Clock.Since(start))
	res := attempt{Response: Response{Status: resp.StatusCode, Header: resp.Header}, sent: true}
	switch {
	case err != nil:
		res.err = fmt.Errorf("HTTP %d: reading the response: %w", resp.StatusCode, err)
	case int64(len(data)) > c.MaxBody:
		res.TooLarge = true
		res.Body = data[:min(len(data), headOfTooLarge)]
	default:
		res.Body = data
	}
	return res
}

// withoutURL drops the URL from a *url.Error, keeping its cause.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func (c *Caller) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return c.Clock.Sleep(ctx, d)
}

func (c *Caller) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

func (c *Caller) int64n(n int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Rand == nil {
		return rand.Int64N(n)
	}
	return c.Rand.Int64N(n)
}

// HTTPClient returns a copy of hc (nil: a client with a transport of its
// own) that refuses redirects: a venue's answer is its first response,
// and a redirect would carry the credentials elsewhere.
func HTTPClient(hc *http.Client) *http.Client {
	c := http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if hc != nil {
		c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

type noMetrics struct{}

func (noMetrics) Attempt(time.Duration) {}
func (noMetrics) Call(string)           {}
func (noMetrics) Retry(string)          {}

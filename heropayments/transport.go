package heropayments

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// maxBody bounds a response body; a larger one is refused.
const maxBody = 4 << 20

// request describes one call.
type request struct {
	route           route
	query           url.Values
	body            any    // marshalled, then normalised; nil sends none
	externalOrderID string // create routes: carried by UnknownOutcomeError
}

// result is what decodeBody and parseAPIError read of an answer.
type result struct {
	status   int
	header   http.Header
	body     []byte
	tooLarge bool
}

// resultOf keeps nothing of a body that was too large, not even its start.
func resultOf(r venuehttp.Response) result {
	res := result{status: r.Status, header: r.Header, tooLarge: r.TooLarge}
	if !r.TooLarge {
		res.body = r.Body
	}
	return res
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
	h := http.Header{}
	h.Set(APIKeyHeader, c.key)
	h.Set(SignHeader, sig)
	h.Set("Accept", "application/json")
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	return c.caller.Do(ctx, venuehttp.Call{
		Op: op, Method: rq.route.method, URL: target, Header: h, Body: body,
		Write:    rq.route.kind == create,
		Decode:   func(r venuehttp.Response) error { return decodeBody(op, resultOf(r), out) },
		APIError: func(r venuehttp.Response) error { return parseAPIError(op, resultOf(r), c.redact, c.clock.Now()) },
		Unknown: func(err error) error {
			return &UnknownOutcomeError{Op: op, ExternalOrderID: rq.externalOrderID, Err: err}
		},
		Metrics: c.metrics.Route(rq.route.name),
	})
}

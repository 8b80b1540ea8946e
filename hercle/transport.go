package hercle

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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

// result is what decodeBody and parseAPIError read of an answer.
type result struct {
	status   int
	header   http.Header
	body     []byte // when tooLarge, the start of the body
	tooLarge bool
}

func resultOf(r venuehttp.Response) result {
	return result{status: r.Status, header: r.Header, body: r.Body, tooLarge: r.TooLarge}
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
	h := http.Header{}
	h.Set("Authorization", c.auth)
	h.Set("Accept", "application/json")
	// The guide sends Content-Type on every request and three GET pages
	// list it as required, so it goes on all of them.
	h.Set("Content-Type", "application/json")
	if rq.clientID != "" {
		h.Set("Client-Id", rq.clientID)
	}
	return c.caller.Do(ctx, venuehttp.Call{
		Op: op, Method: rq.route.method, URL: target, Header: h, Body: body,
		Write:    rq.route.kind != read,
		Decode:   func(r venuehttp.Response) error { return decodeBody(op, resultOf(r), out, rq.emptyOK) },
		APIError: func(r venuehttp.Response) error { return parseAPIError(op, resultOf(r), c.redact, c.clock.Now()) },
		Unknown: func(err error) error {
			return &UnknownOutcomeError{Op: op, ClientID: rq.clientID, Err: err}
		},
		Metrics: c.metrics.Route(rq.route.name),
	})
}

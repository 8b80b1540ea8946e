package hercle

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// backoff returns the wait before retry number attempt+1: the venue's
// Retry-After when it sent one, otherwise jittered exponential backoff.
func (c *Client) backoff(attempt int, h http.Header) time.Duration {
	return venuehttp.Backoff(attempt, h, c.clock.Now(), c.int64n)
}

func (c *Client) int64n(n int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rnd == nil {
		return rand.Int64N(n)
	}
	return c.rnd.Int64N(n)
}

// wait takes a token from the rate limiter, sleeping on the client's clock
// until one is available.
func (c *Client) wait(ctx context.Context) error {
	return venuehttp.Wait(ctx, c.limiter, c.clock.Now, c.sleep)
}

package sim_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/sim"
	"github.com/shopspring/decimal"
)

const seed = 42

// clock is a manual venue clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// startServer starts a simulator on loopback on a manual clock (unless
// opts has one).
func startServer(t *testing.T, opts sim.Options) (*sim.Server, *clock) {
	t.Helper()
	t.Logf("sim seed %d", opts.Seed)
	clk := newClock()
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	srv, err := sim.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv, clk
}

// getJSON sends an authenticated GET for path to srv and returns the
// status and the body.
func getJSON(t *testing.T, srv *sim.Server, path string) (int, []byte) {
	t.Helper()
	return call(t, srv, http.MethodGet, path, srv.APIKey(), nil)
}

package sim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/sim"
)

const seed = 42

// newClock returns a manual venue clock.
func newClock() *clock.Manual { return clock.NewManual(time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC)) }

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// startServer starts a simulator on loopback on a manual clock (unless
// opts has one).
func startServer(t *testing.T, opts sim.Options) (*sim.Server, *clock.Manual) {
	t.Helper()
	t.Logf("sim seed %d", opts.Seed)
	clk := newClock()
	if opts.Clock == (clock.Clock{}) {
		opts.Clock = clk.Clock()
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

package sim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/philippseith/signalr"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
)

// negotiate posts the hub's negotiate request and returns its status.
func negotiate(t *testing.T, srv *sim.Server) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+sim.HubPath+"/negotiate?negotiateVersion=1", nil)
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestMaintenanceClosesRESTAndHub: with [maintenance] simulated, the
// venue answers REST with 503 while the window is open, drops the hub's
// connections and refuses new ones; before and after it, both serve.
func TestMaintenanceClosesRESTAndHub(t *testing.T) {
	c := sim.DefaultConfig()
	c.Maintenance = true
	window, err := c.MaintenanceWindow(scheduler.DefaultMaintenance()) // Wednesday 10:00-11:00 UTC+01:00
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(time.Date(2025, 12, 3, 7, 30, 0, 0, time.UTC)) // a Wednesday, 08:30 UTC+01:00
	srv, _ := startServer(t, sim.Options{Seed: seed, APIKey: testKey, Clock: clk.Clock(), Maintenance: window,
		Hub: sim.HubOptions{PriceInterval: 20 * time.Millisecond}})

	if st, body := getJSON(t, srv, "/api/v1/pairs"); st != http.StatusOK {
		t.Fatalf("pairs before the window = %d %s, want 200", st, body)
	}
	inv := dialHub(t, srv.URL(), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := inv.invoke(ctx, "SubscribePairPriceChannel", "sub-1", "BTCUSDT", json.Number("0.01")); err != nil {
		t.Fatal(err)
	}

	clk.Advance(time.Hour) // 09:30 UTC+01:00 ... still before
	if st, _ := getJSON(t, srv, "/api/v1/pairs"); st != http.StatusOK {
		t.Fatalf("pairs at 09:30 = %d, want 200", st)
	}
	clk.Advance(45 * time.Minute) // 10:15 UTC+01:00: in the window
	if st, body := getJSON(t, srv, "/api/v1/pairs"); st != http.StatusServiceUnavailable {
		t.Fatalf("pairs in the window = %d %s, want 503", st, body)
	}
	// The hub notices the window on its own ticker (wall clock): wait for
	// the connection to be closed, not for a time.
	if err := <-inv.client.WaitForState(ctx, signalr.ClientClosed); err != nil {
		t.Fatalf("hub connection during the window: %v, want it closed", err)
	}
	if st := negotiate(t, srv); st != http.StatusServiceUnavailable {
		t.Fatalf("negotiate in the window = %d, want 503", st)
	}
	if n := srv.Hub().Drops(); n != 1 {
		t.Fatalf("the hub dropped %d connections for the window, want 1", n)
	}

	clk.Advance(time.Hour) // 11:15 UTC+01:00: over
	if st, body := getJSON(t, srv, "/api/v1/pairs"); st != http.StatusOK {
		t.Fatalf("pairs after the window = %d %s, want 200", st, body)
	}
	if st := negotiate(t, srv); st != http.StatusOK {
		t.Fatalf("negotiate after the window = %d, want 200", st)
	}
	dialHub(t, srv.URL(), nil)
}

package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/otcdesk/engine/sim"
)

// nodeClient finds node and conformance/hub.js with its @microsoft/signalr.
// It skips the test when either is missing, unless ENGINE_CONFORMANCE=1
// (set by .ci/run after npm ci), when it fails.
func nodeClient(t *testing.T) (node, dir string) {
	t.Helper()
	required := os.Getenv("ENGINE_CONFORMANCE") == "1"
	dir, err := filepath.Abs(filepath.Join("..", "conformance"))
	if err != nil {
		t.Fatal(err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		if required {
			t.Fatal("ENGINE_CONFORMANCE=1 but node is not on PATH")
		}
		t.Skip("node not on PATH; install Node and run (cd conformance && npm ci) to run the conformance test")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@microsoft", "signalr")); err != nil {
		if required {
			t.Fatal("ENGINE_CONFORMANCE=1 but conformance/node_modules is missing: run (cd conformance && npm ci)")
		}
		t.Skip("conformance/node_modules missing; run (cd conformance && npm ci) to run the conformance test")
	}
	return node, dir
}

// hubJSResult is hub.js's summary line.
type hubJSResult struct {
	OK                   bool             `json:"ok"`
	Error                string           `json:"error"`
	Reconnects           int              `json:"reconnects"`
	Prices               map[string]int   `json:"prices"`
	PricesAfterReconnect []map[string]int `json:"pricesAfterReconnect"`
	ParseErrors          []string         `json:"parseErrors"`
}

// runHubJS runs conformance/hub.js against the simulator at url and
// returns its summary and whether it exited 0.
func runHubJS(t *testing.T, url string, args ...string) (hubJSResult, bool) {
	t.Helper()
	node, dir := nodeClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(dir, "hub.js"), url, testKey}, args...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	t.Logf("hub.js %v: %s", args, out)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("hub.js: %v", err)
	}
	if ee != nil && len(ee.Stderr) > 0 {
		t.Logf("hub.js stderr: %s", ee.Stderr)
	}
	var res hubJSResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("hub.js summary %q: %v", out, err)
	}
	return res, err == nil
}

// startForNode serves a simulator with opts on loopback for hub.js.
func startForNode(t *testing.T, opts sim.Options) *sim.Server {
	t.Helper()
	opts.APIKey, opts.Seed = testKey, seed
	t.Logf("sim seed %d", seed)
	srv, err := sim.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// TestConformanceNodeClient runs conformance/hub.js, which drives the hub
// with the official @microsoft/signalr client as the Hercle documents do:
//
//   - against the simulator `engine sim` serves with its default [sim]
//     section, a client that parses as the guide's JavaScript does
//     (JSON.parse(message), then JSON.parse(response.data)) receives
//     prices subscribed in both argument forms, orders on one, and
//     receives prices again after each of two drops (made through the
//     control endpoint) and its re-subscriptions;
//   - the same with the hub's own scheduled drops (drop_every);
//   - a client that also accepts objects does so with the object and
//     embedded envelopes; the guide's parsing fails on the object
//     envelope, which is why the string one is the default.
func TestConformanceNodeClient(t *testing.T) {
	defaults := sim.DefaultConfig().Options()
	if defaults.Hub.Envelope != sim.EnvelopeString || defaults.Hub.DropEvery != 0 {
		t.Fatalf("default hub options %+v: this test expects the string envelope and no scheduled drops", defaults.Hub)
	}
	check := func(t *testing.T, srv *sim.Server, res hubJSResult, ok bool, drops int) {
		t.Helper()
		if !ok || !res.OK || res.Reconnects < drops || len(res.ParseErrors) > 0 {
			t.Fatalf("hub.js = %+v, want success after %d reconnects", res, drops)
		}
		for i := range drops {
			if p := res.PricesAfterReconnect[i]; p["BTCUSDT"] == 0 || p["ETHEUR"] == 0 {
				t.Fatalf("prices after reconnect %d = %v, want both pairs", i+1, p)
			}
		}
		// Separate once; the array form at start and per re-subscription.
		if f := srv.Hub().ArgumentForms()["SubscribePairPriceChannel"]; f[0] < 1 || f[1] < 1+2*drops {
			t.Fatalf("SubscribePairPriceChannel forms [separate array] = %v", f)
		}
		if n := srv.Venue().Executions("order-js-1"); n != 1 {
			t.Fatalf("venue executions of order-js-1 = %d, want 1", n)
		}
	}
	t.Run("defaults/guide", func(t *testing.T) {
		srv := startForNode(t, defaults)
		res, ok := runHubJS(t, srv.URL(), "--parse", "guide", "--control", "--drops", "2")
		check(t, srv, res, ok, 2)
	})
	t.Run("drop_every/guide", func(t *testing.T) {
		o := defaults
		o.Hub.DropEvery, o.Hub.PriceInterval = 2*time.Second, 50*time.Millisecond
		srv := startForNode(t, o)
		res, ok := runHubJS(t, srv.URL(), "--parse", "guide", "--drops", "2")
		check(t, srv, res, ok, 2)
	})
	for _, form := range []sim.HubEnvelope{sim.EnvelopeObject, sim.EnvelopeEmbedded} {
		t.Run("envelope="+form.String()+"/tolerant", func(t *testing.T) {
			o := defaults
			o.Hub.Envelope, o.Hub.PriceInterval = form, 50*time.Millisecond
			srv := startForNode(t, o)
			res, ok := runHubJS(t, srv.URL(), "--parse", "tolerant", "--control", "--drops", "1")
			check(t, srv, res, ok, 1)
		})
	}
	t.Run("envelope=object/guide", func(t *testing.T) {
		o := defaults
		o.Hub.Envelope = sim.EnvelopeObject
		srv := startForNode(t, o)
		if res, ok := runHubJS(t, srv.URL(), "--parse", "guide", "--drops", "0"); ok || res.OK || len(res.ParseErrors) == 0 {
			t.Fatalf("the guide's parsing of the object envelope = %+v, want a parse failure", res)
		}
	})
}

package sim_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/otcdesk/engine/sim"
)

// TestConformanceNodeClient runs conformance/hub.js, which drives the hub
// with the official @microsoft/signalr client as the Hercle docs do. It
// skips when node or conformance/node_modules is missing, unless
// ENGINE_CONFORMANCE=1 (set by .ci/run after npm ci), when it fails.
func TestConformanceNodeClient(t *testing.T) {
	required := os.Getenv("ENGINE_CONFORMANCE") == "1"
	dir, err := filepath.Abs(filepath.Join("..", "conformance"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
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
	for _, form := range hubEnvelopes {
		t.Run("envelope="+form.String(), func(t *testing.T) {
			v, h, url := startHub(t, sim.HubOptions{Envelope: form, PriceInterval: 50 * time.Millisecond, DropEvery: 3 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "hub.js"), url, testKey)
			cmd.Dir = dir
			out, err := cmd.Output()
			t.Logf("hub.js: %s", out)
			if err != nil {
				if ee, ok := err.(*exec.ExitError); ok {
					t.Logf("stderr: %s", ee.Stderr)
				}
				t.Fatalf("hub.js failed: %v", err)
			}
			var res struct {
				OK          bool `json:"ok"`
				Reconnected bool `json:"reconnected"`
			}
			if err := json.Unmarshal(out, &res); err != nil || !res.OK || !res.Reconnected {
				t.Fatalf("hub.js summary = %s (%v)", out, err)
			}
			forms := h.ArgumentForms()["SubscribePairPriceChannel"]
			if forms[0] < 1 || forms[1] < 2 { // array form: once at start, once per re-subscription
				t.Fatalf("SubscribePairPriceChannel forms [separate array] = %v", forms)
			}
			if n := v.Executions("order-js-1"); n != 1 {
				t.Fatalf("venue executions of order-js-1 = %d, want 1", n)
			}
		})
	}
}

package daemon_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/internal/tomlval"
)

// TestSummaryLine: a paper engine logs its one-line summary on
// portfolio.summary_every: trading, its equity valued in the reference
// (the simulator's opening balances), PnL, open intents and where
// reconciliation stands.
func TestSummaryLine(t *testing.T) {
	cfg := paperConfig(t.TempDir())
	cfg.Portfolio.SummaryEvery = tomlval.Dur(time.Second)
	h := start(t, cfg, daemon.Options{})
	line := regexp.MustCompile(`(?m)^.*msg=summary state=trading open_intents=\d+ equity="[1-9][0-9]*\.\d\d EUR" in_transit="[-0-9.]+ EUR" ` +
		`realised="[-0-9.]+ EUR" unrealised="[-0-9.]+ EUR" fees="[-0-9.]+ EUR" reconcile="(not run yet|clean at [0-9:]+|\d+ breaks at [0-9:]+)"$`)
	deadline := time.Now().Add(20 * time.Second)
	for !line.MatchString(h.logs.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no summary line within 20s:\n%s", tail(h.logs.String(), 40))
		}
		select {
		case err := <-h.done:
			t.Fatalf("daemon stopped: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	h.stop()
}

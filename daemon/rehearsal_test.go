package daemon_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/internal/tomlval"
)

// TestShippedConfigRehearsesTheMission runs the shipped config.toml in
// paper mode, its clocks sped up (sweeps every second, movements settling
// in a second, customers acting every second), until the journal holds
// every kind of movement a paper run must show: trades with the venue
// (by RFQ and by OTC order), a settled crypto withdrawal, Lightning
// payment and bank transfer, a Heropayments customer deposit, a
// settlement landed at Hercle, a customer payout, a confirmed deposit
// converted; with no ERROR line and reconciliation clean.
func TestShippedConfigRehearsesTheMission(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole paper mission: about 15 s")
	}
	t.Parallel() // the longest tests, mostly waiting on timers and child processes: overlapped
	cfg, err := config.Load("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.Ledger.Path = filepath.Join(dir, "ledger.db")
	cfg.Metrics.Addr, cfg.Admin.Addr, cfg.Webhook.Addr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	for name, p := range cfg.Treasury.Policies {
		p.Schedule = "* * * * * *"
		cfg.Treasury.Policies[name] = p
	}
	for _, sp := range cfg.Strategies {
		if sp.Kind == "twap" {
			// The DCA's hourly slices, a second apart from now.
			sp.Params["start"], sp.Params["every"], sp.Params["period"] = time.Now().UTC().Truncate(time.Second), "1s", "24h"
		}
	}
	cfg.Sim.SettleAfter = tomlval.Dur(time.Second)
	c := &cfg.Sim.Customers
	c.Every, c.Step, c.PayoutEvery = tomlval.Dur(time.Second), tomlval.Dur(200*time.Millisecond), tomlval.Dur(2*time.Second)
	h := start(t, cfg, daemon.Options{})

	wants := map[string]string{
		"counterparty:hercle":          "a trade with the venue",
		"external:address:":            "a settled crypto withdrawal or customer payout",
		"external:lightning:":          "a settled Lightning payment",
		"external:bank:":               "a settled bank transfer",
		"venue:heropayments:available": "a customer deposit credited",
		"transit:settlement:":          "a settlement",
		"venue:hercle:pending":         "a deposit credited by its webhook",
		"payout:":                      "a customer payout",
		"usdt-to-eur":                  "the landed USDT converted",
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		missing := missingFrom(t, h, wants)
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 40 s the journal lacks %v\n%s", missing, tail(h.logs.String(), 40))
		}
		time.Sleep(200 * time.Millisecond) // polling the journal for a condition
	}
	h.waitMetric("engine_intents_total", map[string]string{"strategy": "core", "outcome": "filled"}, 1)    // RFQ
	h.waitMetric("engine_intents_total", map[string]string{"strategy": "btc-dip", "outcome": "filled"}, 1) // OTC
	h.waitMetric("engine_intents_total", map[string]string{"strategy": "btc-dca", "outcome": "filled"}, 2) // TWAP, RFQ
	if v := metric(t, h.d.Registry(), "engine_reconcile_breaks", nil); v != 0 {
		t.Errorf("reconciliation breaks: %v", v)
	}
	h.stop()
	if n := strings.Count(h.logs.String(), "level=ERROR"); n != 0 {
		t.Errorf("%d ERROR lines:\n%s", n, grepLines(h.logs.String(), "level=ERROR"))
	}
}

// missingFrom reports which wanted account prefixes (or refs) no journal
// entry names yet.
func missingFrom(t *testing.T, h *harness, wants map[string]string) []string {
	t.Helper()
	code, body := h.admin("GET", "/admin/journal?limit=1000", adminToken)
	if code != 200 {
		t.Fatalf("journal: %d %s", code, body)
	}
	var missing []string
	for k, what := range wants {
		if !strings.Contains(body, k) {
			missing = append(missing, what)
		}
	}
	return missing
}

package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/pnl"
)

const testToken = "cli-admin-token-0123456789abcdef0123"

// runInProcess runs engine run on cfg in this process with the admin token until the test
// ends, and returns the admin URL and a function that stops it.
func runInProcess(t *testing.T, cfg string, environ map[string]string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	running := make(chan struct{})
	logs := &watchWriter{want: `msg="engine running"`, fire: func() { close(running) }}
	e := &env{stdout: &watchWriter{want: "\x00", fire: func() {}}, stderr: logs, getenv: func(k string) string { return environ[k] }}
	done := make(chan int, 1)
	go func() { done <- dispatch(ctx, e, []string{"run", "-config", cfg}) }()
	select {
	case <-running:
	case code := <-done:
		cancel()
		t.Fatalf("engine run = %d before running:\n%s", code, logs)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("engine not running after 30s:\n%s", logs)
	}
	m := regexp.MustCompile(`admin=(https?://\S+)`).FindStringSubmatch(logs.String())
	if m == nil {
		cancel()
		t.Fatalf("no admin URL in the logs:\n%s", logs)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("engine run = %d after stop:\n%s", code, logs)
		}
	}
	t.Cleanup(stop)
	return m[1], stop
}

// TestAdminVerbs runs every engine admin verb against a running paper
// engine: each answers, bad input is refused with exit 2 and changes
// nothing, and every verb that changes something leaves an audit record
// under the token's name, which engine ledger audit lists once the engine
// stopped; engine pnl and engine status then read the same books.
func TestAdminVerbs(t *testing.T) {
	cfg := paperConfig(t)
	environ := map[string]string{"ADMIN_TOKEN": testToken, "ADMIN_TOKEN_NAME": "desk-test"}
	addr, stop := runInProcess(t, cfg, environ)
	waitPrices(t, environ, addr, "BTCEUR", "ETHEUR")
	admin := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := runEngine(t, environ, append(append([]string{"admin"}, args...), "-addr", addr)...)
		if code != want {
			t.Errorf("engine admin %v = %d, want %d\n%s%s", args, code, want, out, errOut)
		}
		return out + errOut
	}
	if out := admin(exitOK, "pause", "-reason", "lunch"); !strings.Contains(out, `"paused"`) {
		t.Errorf("pause answered %s", out)
	}
	if out := admin(exitOK, "status"); !strings.Contains(out, "engine: paused") || !strings.Contains(out, "paused: paused: lunch (by desk-test)") || strings.Contains(out, "kill switch on") {
		t.Errorf("status while paused:\n%s", out)
	}
	admin(exitOK, "resume")
	admin(exitOK, "kill", "-reason", "drill")
	if out := admin(exitOK, "status"); !strings.Contains(out, "engine: killed") || !strings.Contains(out, "kill switch on: drill") {
		t.Errorf("status while killed:\n%s", out)
	}
	admin(exitOK, "resume")
	strategyVerbs(t, admin)
	admin(exitOK, "treasury", "run", "usdt-cold") // the shipped sweep, now (or nothing, if its schedule just ran)
	admin(exitUsage, "treasury", "run", "no-such-policy")
	admin(exitOK, "order", "-pair", "BTCEUR", "-side", "buy", "-size", "0.001")
	admin(exitUsage, "order", "-pair", "BTCEUR", "-side", "buy", "-size", "100") // over risk's limits
	admin(exitUsage, "order", "-pair", "NOPE", "-side", "up")
	admin(exitOK, "convert", "-from", "EUR", "-to", "ETH", "-amount", "100")
	admin(exitOK, "intents")
	admin(exitUsage, "resolve", "no-such-intent", "-outcome", "failed", "-evidence", "support ticket 42")
	out := admin(exitOK, "whitelist", "add", "-name", "cold", "-asset", "BTC", "-address", "bc1qcoldcoldcoldcoldcoldcoldcoldcoldcold0", "-network", "Bitcoin")
	var wl struct {
		AddressID string `json:"addressId"`
	}
	if err := json.Unmarshal([]byte(out), &wl); err != nil || wl.AddressID == "" {
		t.Fatalf("whitelist add answered %s", out)
	}
	admin(exitOK, "whitelist")
	admin(exitOK, "whitelist", "remove", wl.AddressID)
	admin(exitOK, "payee", "add", "-type", "company", "-name", "Maria", "-surname", "Rossi", "-company", "Example Srl", "-country", "IT",
		"-city", "Milano", "-address", "Via Roma 1", "-postal-code", "20121")
	admin(exitUsage, "payee", "add", "-type", "robot")
	customerVerbs(t, admin)
	if out := admin(exitOK, "portfolio"); !strings.Contains(out, "Portfolio at") || !strings.Contains(out, "BTC→EUR (BTCEUR)") {
		t.Errorf("portfolio:\n%s", out)
	}
	if out := admin(exitOK, "pnl", "-by", "strategy"); !strings.Contains(out, "manual") || !strings.Contains(out, "residual 0") {
		t.Errorf("pnl:\n%s", out)
	}
	admin(exitUsage, "pnl", "-by", "venue")
	admin(exitOK, "reload")
	admin(exitOK, "audit")
	if code, _, _ := runEngine(t, map[string]string{"ADMIN_TOKEN": "wrong-token-0123456789abcdef0123456"}, "admin", "status", "-addr", addr); code != exitFailure {
		t.Errorf("a wrong token: exit %d, want %d", code, exitFailure)
	}
	stop()
	checkStoppedEngine(t, cfg)
}

// strategyVerbs lists, disables, enables and re-parametrises a strategy;
// a bad parameter and an unknown name are refused.
func strategyVerbs(t *testing.T, admin func(int, ...string) string) {
	t.Helper()
	admin(exitOK, "strategies")
	admin(exitOK, "strategy", "disable", "core")
	admin(exitOK, "strategy", "enable", "core")
	admin(exitOK, "strategy", "params", "core", "band=0.02", "every=10s")
	admin(exitUsage, "strategy", "params", "core", "band=lots") // the factory refuses it
	admin(exitUsage, "strategy", "disable", "nope")
	if out := admin(exitOK, "strategies", "-json"); !strings.Contains(out, `"band": "0.02"`) {
		t.Errorf("strategies after the params change:\n%s", out)
	}
}

// customerVerbs asks for a customer's deposit address and pays a customer
// out on the shipped config's Heropayments; a deposit without a customer
// and a payout over the merchant balance are refused, nothing sent.
func customerVerbs(t *testing.T, admin func(int, ...string) string) {
	t.Helper()
	if out := admin(exitOK, "customer", "deposit", "-order-id", "cli-order-1", "-customer-id", "alice", "-currency", "USDT", "-static"); !strings.Contains(out, `"address"`) {
		t.Errorf("customer deposit answered %s", out)
	}
	admin(exitUsage, "customer", "deposit", "-order-id", "cli-order-2", "-currency", "USDT")
	pay := []string{"customer", "payout", "-id", "cli-payout-1", "-customer-id", "alice", "-currency", "USDT", "-network", "Tron",
		"-address", "TAliceAliceAliceAliceAliceAliceAl", "-amount", "10"}
	if out := admin(exitOK, pay...); !strings.Contains(out, `"state"`) || strings.Contains(out, `"failed"`) {
		t.Errorf("customer payout answered %s", out)
	}
	if out := admin(exitOK, pay...); !strings.Contains(out, "not sent again") {
		t.Errorf("the same payout again answered %s, want it not sent again", out)
	}
	if out := admin(exitUsage, "customer", "payout", "-id", "cli-payout-2", "-customer-id", "alice", "-currency", "USDT", "-network", "Tron",
		"-address", "TAliceAliceAliceAliceAliceAliceAl", "-amount", "1000000"); !strings.Contains(out, "rejected: refused by risk") {
		t.Errorf("a payout over the balance answered %s, want refused by risk", out)
	}
}

// checkStoppedEngine: once the engine stopped, engine ledger audit lists
// every verb that changed something, by the token's name, each attempt;
// engine pnl and engine status read the same books.
func checkStoppedEngine(t *testing.T, cfg string) {
	t.Helper()

	code, out, errOut := runEngine(t, nil, "ledger", "audit", "-config", cfg, "-json")
	if code != exitOK {
		t.Fatalf("ledger audit = %d %s", code, errOut)
	}
	var recs []ledger.AuditRecord
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range recs {
		if r.Who != "desk-test" {
			t.Errorf("audit record by %q, want the token's name: %+v", r.Who, r)
		}
		got[r.Action]++
	}
	for _, a := range []string{"pause", "resume", "kill", "strategy.disable", "strategy.enable", "strategy.params", "treasury.run",
		"order", "convert", "intent.resolve", "whitelist.add", "whitelist.remove", "payee.add", "customer_deposit", "customer_payout", "reload"} {
		if got[a] == 0 {
			t.Errorf("no audit record of %s (have %v)", a, got)
		}
	}
	if got["order"] != 3 || got["strategy.params"] != 2 {
		t.Errorf("audit: %d orders and %d params changes recorded, want every attempt (3 and 2)", got["order"], got["strategy.params"])
	}

	code, out, errOut = runEngine(t, nil, "pnl", "-config", cfg, "-json")
	var v pnl.PnL
	if code != exitOK || json.Unmarshal([]byte(out), &v) != nil || !v.Residual.IsZero() {
		t.Errorf("engine pnl = %d %s %s", code, out, errOut)
	}
	code, out, errOut = runEngine(t, nil, "status", "-config", cfg)
	if code != exitOK || !strings.Contains(out, "engine: stopped") || !strings.Contains(out, "Portfolio at") {
		t.Errorf("engine status, stopped = %d\n%s\n%s", code, out, errOut)
	}
}

// waitPrices polls engine admin status until the engine has a price for
// each pair (risk refuses a trade on a pair without one).
func waitPrices(t *testing.T, environ map[string]string, addr string, pairs ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, out, _ := runEngine(t, environ, "admin", "status", "-json", "-addr", addr)
		var st struct{ Prices map[string]any }
		if code == exitOK && json.Unmarshal([]byte(out), &st) == nil {
			n := 0
			for _, p := range pairs {
				if st.Prices[p] != nil {
					n++
				}
			}
			if n == len(pairs) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no price for %v within 20s: %s", pairs, out)
		}
		<-time.After(20 * time.Millisecond) // polling an HTTP endpoint for a condition
	}
}

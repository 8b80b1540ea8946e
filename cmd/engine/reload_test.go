package main

import (
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otcdesk/engine/ledger"
)

// TestReloadOnSIGHUP: a file that would not pass engine run's checks is
// refused and changes nothing; on SIGHUP the strategies change live (one
// disabled, one re-parametrised), the other sections that changed are
// reported as waiting for a restart, and the reload is audited.
func TestReloadOnSIGHUP(t *testing.T) {
	cfg := paperConfig(t)
	orig, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	environ := map[string]string{"ADMIN_TOKEN": testToken}
	addr, _ := runInProcess(t, cfg, environ)
	strategies := func() map[string]map[string]any {
		t.Helper()
		code, out, errOut := runEngine(t, environ, "admin", "strategies", "-json", "-addr", addr)
		var list []struct {
			Name    string
			Enabled bool
			Params  map[string]any
		}
		if code != exitOK || json.Unmarshal([]byte(out), &list) != nil {
			t.Fatalf("strategies = %d %s %s", code, out, errOut)
		}
		m := map[string]map[string]any{}
		for _, s := range list {
			s.Params["enabled"] = s.Enabled
			m[s.Name] = s.Params
		}
		return m
	}
	edit := func(pairs ...string) {
		t.Helper()
		s := strings.NewReplacer(pairs...).Replace(string(orig))
		if s == string(orig) {
			t.Fatal("config.toml no longer has the text this test edits")
		}
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	edit(`band = "0.01"`, `band = "lots"`)
	if code, _, errOut := runEngine(t, environ, "admin", "reload", "-addr", addr); code != exitUsage || !strings.Contains(errOut, "nothing changed") {
		t.Errorf("reload of a bad file = %d %s, want it refused", code, errOut)
	}
	if got := strategies()["core"]["band"]; got != "0.01" {
		t.Fatalf("core band after a refused reload = %v, want 0.01", got)
	}
	edit(`band = "0.01"`, `band = "0.03"`, "name = \"btc-dip\"\n", "name = \"btc-dip\"\ndisabled = true\n", `max_open_intents = 4`, `max_open_intents = 5`)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var rec ledger.AuditRecord
	for rec.Who != "signal" {
		if time.Now().After(deadline) {
			t.Fatal("no reload audited within 20s of SIGHUP")
		}
		<-time.After(20 * time.Millisecond) // polling an HTTP endpoint for a condition
		_, out, _ := runEngine(t, environ, "admin", "audit", "-action", "reload", "-json", "-addr", addr)
		var recs []ledger.AuditRecord
		if json.Unmarshal([]byte(out), &recs) == nil {
			for _, r := range recs {
				if r.Who == "signal" {
					rec = r
				}
			}
		}
	}
	if !strings.HasPrefix(rec.Result, "ok") || !strings.Contains(rec.Result, "risk") {
		t.Errorf("reload audited as %q, want ok with risk waiting for a restart", rec.Result)
	}
	got := strategies()
	if got["core"]["band"] != "0.03" || got["core"]["enabled"] != true || got["btc-dip"]["enabled"] != false {
		t.Errorf("after SIGHUP: core %v, btc-dip %v; want band 0.03 and btc-dip disabled", got["core"], got["btc-dip"])
	}
}

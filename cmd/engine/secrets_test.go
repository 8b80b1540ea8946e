package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/sim"
)

// TestNoSecretInOutput runs the daemon in live mode with known fake keys
// against a simulator that accepts them (so the Hercle key really goes over
// REST and the hub), with debug logs, injected faults and bad admin
// requests, and searches everything it produced for the keys.
func TestNoSecretInOutput(t *testing.T) {
	secrets := map[string]string{
		"HERCLE_API_KEY":          "hk_fake_4f1c9a7e2b6d4e0f9a3c",
		"HEROPAYMENTS_API_KEY":    "hp_fake_key_8d2e71c04b5a",
		"HEROPAYMENTS_API_SECRET": "hp_fake_secret_55aa0f93e1c7",
		"ADMIN_TOKEN":             "adm_fake_token_c3b2a1908f7e_0123456789abcdef",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Options{Seed: 5, APIKey: secrets["HERCLE_API_KEY"],
		Faults: sim.Faults{ErrorAfterApply: 0.2, RateLimited: 0.1, RetryAfter: time.Millisecond},
		Hub:    sim.HubOptions{PriceInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.toml")
	cfg := fmt.Sprintf(`mode = "live"
[log]
level = "debug"
format = "json"
[hercle]
base_url = %q
[ledger]
path = %q
[metrics]
addr = "127.0.0.1:0"
[admin]
addr = "127.0.0.1:0"
[execution]
follow_every = "20ms"
[feeds]
pairs = [{ pair = "BTCEUR", size = "0.01" }]
[[strategy]]
kind = "threshold"
name = "t"
[strategy.params]
pair = "BTCEUR"
side = "buy"
order = "limit"
price = "100000000"
size = "0.001"
rearm = true
cooldown = "20ms"
retry_after = "20ms"
path = "otc"
`, srv.URL(), filepath.Join(dir, "ledger.db"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	logs := &watchWriter{want: "\x00", fire: func() {}}
	e := &env{stdout: logs, stderr: logs, getenv: func(k string) string { return secrets[k] }}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() { done <- dispatch(runCtx, e, []string{"run", "-config", cfgPath}) }()

	waitLog := func(re *regexp.Regexp) []string {
		deadline := time.Now().Add(20 * time.Second)
		for {
			if m := re.FindStringSubmatch(logs.String()); m != nil {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s in the log:\n%s", re, logs.String())
			}
			time.Sleep(10 * time.Millisecond) // polling the log for a condition
		}
	}
	m := waitLog(regexp.MustCompile(`"metrics":"(http://[^"]+)","admin":"(http://[^"]+)"`))
	metricsURL, adminURL := m[1], m[2]
	waitLog(regexp.MustCompile(`"msg":"trade filled"`))

	var outputs []string
	fetch := func(method, url, token string) {
		req, _ := http.NewRequest(method, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		outputs = append(outputs, string(b))
	}
	fetch(http.MethodGet, metricsURL+"/metrics", "")
	fetch(http.MethodGet, metricsURL+"/readyz", "")
	fetch(http.MethodGet, adminURL+"/admin/status", secrets["ADMIN_TOKEN"])
	fetch(http.MethodGet, adminURL+"/admin/status", secrets["ADMIN_TOKEN"]+"x")
	fetch(http.MethodPost, adminURL+"/admin/pause", secrets["HERCLE_API_KEY"])
	stop()
	if code := <-done; code != exitOK {
		t.Errorf("run = %d", code)
	}
	outputs = append(outputs, logs.String())
	if !strings.Contains(outputs[0], "engine_intents_total") || !strings.Contains(outputs[2], "BTCEUR") {
		t.Fatalf("the run produced too little to search: %q", outputs[:3])
	}

	// A secret put in the file is refused without being echoed.
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("mode = \"paper\"\n[hercle]\napi_key = \""+secrets["HERCLE_API_KEY"]+"\"\n"), 0o600)
	_, out, errOut := runEngine(t, secrets, "config", "check", "-config", bad)
	outputs = append(outputs, out, errOut)

	for name, v := range secrets {
		for i, o := range outputs {
			if strings.Contains(o, v) {
				t.Errorf("%s appears in output %d:\n%s", name, i, o)
			}
		}
	}
}

package notify

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
)

// assertNoSecret fails if s contains any value of env, or, for a value
// that is a URL, its path.
func assertNoSecret(t *testing.T, what, s string, env map[string]string) {
	t.Helper()
	for name, v := range env {
		leaks := []string{v}
		if u, err := url.Parse(v); err == nil && u.Host != "" && len(u.Path) > 1 {
			leaks = append(leaks, u.Path)
		}
		for _, l := range leaks {
			if strings.Contains(s, l) {
				t.Errorf("%s contains the secret from %s: %q", what, name, s)
			}
		}
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"variable", map[string]string{"TOK": "s3cret-value"}, "s3cret-value", ""},
		{"file", map[string]string{"TOK_FILE": file}, "s3cret-from-file", ""},
		{"unset", nil, "", `notify: sink "x": TOK: not set; set TOK or TOK_FILE`},
		{"both", map[string]string{"TOK": "s3cret-value", "TOK_FILE": file}, "", "both TOK and TOK_FILE are set: set one"},
		{"empty file", map[string]string{"TOK_FILE": empty}, "", "TOK_FILE: " + empty + " is empty"},
		{"missing file", map[string]string{"TOK_FILE": filepath.Join(dir, "nope")}, "", "TOK_FILE: open "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readSecret(func(k string) string { return tc.env[k] }, "x", "TOK")
			if got != tc.want {
				t.Errorf("readSecret = %q, want %q", got, tc.want)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("readSecret: %v", err)
				}
				return
			}
			var se *SecretError
			if !errors.As(err, &se) || se.Var != "TOK" || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("readSecret error = %v, want a *SecretError for TOK containing %q", err, tc.wantErr)
			}
			assertNoSecret(t, "error", err.Error(), map[string]string{"value": "s3cret-value", "file": "s3cret-from-file"})
			if tc.name == "unset" && !errors.Is(err, ErrSecretUnset) {
				t.Errorf("unset: errors.Is(err, ErrSecretUnset) = false")
			}
		})
	}
}

// New refuses a configuration whose secrets are missing or malformed,
// naming every variable and showing no value.
func TestNewSecretErrors(t *testing.T) {
	env := map[string]string{
		"SLACK_URL": "ftp://hooks.example.com/services/not-https-SECRET",
		"TG_TOKEN":  "12345:tg/secret?with#junk",
	}
	cfg := Config{Sinks: []SinkConfig{
		{Name: "slack", Type: TypeSlack, Classes: []string{"fills"}, URLEnv: "SLACK_URL"},
		{Name: "tg", Type: TypeTelegram, Classes: []string{"kills"}, ChatID: "1", TokenEnv: "TG_TOKEN"},
		{Name: "hook", Type: TypeWebhook, Classes: []string{"kills"}, URL: "https://example.com/x", SecretEnv: "HOOK_SECRET"},
	}}
	_, err := New(cfg, Options{Getenv: func(k string) string { return env[k] }})
	if err == nil {
		t.Fatal("New accepted missing and malformed secrets")
	}
	for _, want := range []string{
		`sink "slack": SLACK_URL: scheme must be https`,
		`sink "tg": TG_TOKEN: is not a bot token`,
		`sink "hook": HOOK_SECRET: not set; set HOOK_SECRET or HOOK_SECRET_FILE`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New error lacks %q:\n%v", want, err)
		}
	}
	assertNoSecret(t, "New's error", err.Error(), env)
}

// No secret reaches a body, a log line, a metric or an error, even when
// every send fails at the transport, whose errors quote the URL.
func TestSecretsNeverLeak(t *testing.T) {
	clk := clock.NewManual(t0)
	dead := newReceiver(t, clk.Clock())
	deadURL := dead.srv.URL
	dead.srv.Close() // connection refused from now on
	live := newReceiver(t, clk.Clock())

	env := map[string]string{
		"SLACK_URL":   deadURL + "/services/T1/B1/slack-secret-AAAAAAAA",
		"TG_TOKEN":    "987654:tg-secret-BBBBBBBB",
		"HOOK_URL":    deadURL + "/hooks/hook-secret-CCCCCCCC",
		"HOOK_SECRET": "whsec-secret-DDDDDDDD",
		"LIVE_URL":    live.srv.URL + "/services/T2/B2/slack-secret-EEEEEEEE",
	}
	all := []string{"fills", "sweeps", "breaks", "kills", "daily", "alerts"}
	cfg := Config{GiveUpAfter: tomlval.Dur(5 * time.Second), Sinks: []SinkConfig{
		{Name: "slack", Type: TypeSlack, Classes: all, URLEnv: "SLACK_URL"},
		{Name: "tg", Type: TypeTelegram, Classes: all, ChatID: "@desk", TokenEnv: "TG_TOKEN", BaseURL: deadURL},
		{Name: "hook", Type: TypeWebhook, Classes: all, URLEnv: "HOOK_URL", SecretEnv: "HOOK_SECRET"},
		{Name: "live", Type: TypeSlack, Classes: all, URLEnv: "LIVE_URL"},
	}}
	if got := cfg.SecretValues(func(k string) string { return env[k] }); len(got) != 5 {
		t.Errorf("SecretValues found %d secrets, want 5", len(got))
	}
	r := newRig(t, clk, cfg, env)
	r.start(t)
	r.n.Notify(FillEvent(Fill{Side: "sell", Base: "BTC", Quote: "EUR", ClientID: "c-1"}))
	r.advanceUntil(t, "the dead sinks to give up", time.Second, func() bool {
		return r.dropped("slack", "gave_up") == 1 && r.dropped("tg", "gave_up") == 1 && r.dropped("hook", "gave_up") == 1
	})
	waitFor(t, "the live sink", func() bool { return live.count() == 1 })
	r.stop(t)

	lines := r.logs.lines(t, "notify: events dropped")
	if len(lines) != 3 {
		t.Fatalf("%d drop lines, want one per dead sink:\n%s", len(lines), r.logs)
	}
	for _, l := range lines {
		if e, _ := l["last_error"].(string); !strings.Contains(e, "connection refused") {
			t.Errorf("last_error = %q, want the transport's error", e)
		}
	}
	assertNoSecret(t, "log", r.logs.String(), env)
	assertNoSecret(t, "body", string(live.requests()[0].Body), env)
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		assertNoSecret(t, "metric", mf.String(), env)
	}

	pasted := Config{Sinks: []SinkConfig{{Name: "s", Type: TypeSlack, Classes: []string{"fills"}, URLEnv: env["LIVE_URL"]}}}
	err = pasted.Validate()
	if err == nil || !strings.Contains(err.Error(), "notify.sinks[0].url_env") {
		t.Fatalf("Validate with a URL pasted into url_env = %v", err)
	}
	assertNoSecret(t, "Validate's error", err.Error(), env)
}

func TestSecretValuesSkipsMissing(t *testing.T) {
	cfg := Config{Sinks: []SinkConfig{
		{Name: "a", Type: TypeWebhook, URLEnv: "U", SecretEnv: "S"},
		{Name: "b", Type: TypeTelegram, TokenEnv: "T"},
	}}
	got := cfg.SecretValues(func(k string) string { return map[string]string{"S": "whsec-1234567", "T": "1:token"}[k] })
	if !slices.Equal(got, []string{"whsec-1234567", "1:token"}) {
		t.Errorf("SecretValues = %q", got)
	}
}

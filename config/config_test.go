package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleFileLoads(t *testing.T) {
	cfg, err := Load("../config.toml")
	if err != nil {
		t.Fatalf("Load(config.toml) = %v, want nil", err)
	}
	if cfg.Mode != ModePaper {
		t.Errorf("Mode = %q, want %q", cfg.Mode, ModePaper)
	}
	if cfg.Hercle.Timeout.Duration != 10*time.Second {
		t.Errorf("Hercle.Timeout = %v, want 10s", cfg.Hercle.Timeout)
	}
	gate, err := cfg.Maintenance.Gate()
	if err != nil {
		t.Fatal(err)
	}
	// Wednesday 2026-11-25 10:00-11:00 at UTC+01:00, with 5-minute margins.
	inside := time.Date(2026, 11, 25, 8, 56, 0, 0, time.UTC)
	if gate.Open(inside) || !gate.Open(inside.Add(-2*time.Minute)) {
		t.Error("config.toml's maintenance window is not Wednesday 10:00-11:00 UTC+01:00 with margins")
	}
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string // each must appear among the problems
	}{
		{"malformed", "mode = \"paper\"\n[hercle\n", []string{"line 3: not valid TOML at column"}},
		{"unknown key", "mode = \"paper\"\n[hercle]\ntimeot = \"5s\"\n", []string{"hercle.timeot: unknown key"}},
		{"unknown section", "mode = \"paper\"\n[strategyy]\nx = 1\n", []string{"strategyy.x: unknown key"}},
		{"missing mode", "[log]\nlevel = \"info\"\n", []string{"mode: required"}},
		{"live needs environment", "mode = \"live\"\n", []string{"hercle.environment: required in live mode"}},
		{"negative limit", "mode = \"paper\"\n[hercle]\nrate_limit = -1.0\nburst = -2\n", []string{"hercle.rate_limit: must be a positive", "hercle.burst: must be at least 1"}},
		{"bad duration", "mode = \"paper\"\n[hercle]\ntimeout = \"soon\"\n", []string{`hercle.timeout: duration "soon"`}},
		{"duration as number", "mode = \"paper\"\n[ledger]\nlock_timeout = 5\n", []string{"ledger.lock_timeout: duration must be a string"}},
		{"negative duration", "mode = \"paper\"\n[sim.faults]\nlatency = \"-1s\"\n", []string{"sim.faults.latency: must be at least"}},
		{"rate out of range", "mode = \"paper\"\n[sim.faults]\nrate_limited = 1.5\n", []string{"sim.faults.rate_limited: must be from 0 to 1"}},
		{"non-loopback sim", "mode = \"paper\"\n[sim]\naddr = \"0.0.0.0:80\"\n", []string{"sim.addr: must be a loopback"}},
		{"plain http remote", "mode = \"live\"\n[hercle]\nbase_url = \"http://example.com\"\n", []string{"hercle.base_url: plain http"}},
		{"bad mode", "mode = \"yolo\"\n", []string{`mode: must be "paper", "live" or "shadow"`}},
		{"secret hercle", "mode = \"paper\"\n[hercle]\napi_key = \"abc\"\n", []string{"hercle.api_key: secrets are not read from the config file; remove it and set HERCLE_API_KEY"}},
		{"secret heropayments", "mode = \"paper\"\n[heropayments]\nsecret = \"abc\"\n", []string{"heropayments.secret: secrets are not read", "HEROPAYMENTS_API_SECRET"}},
		{"secret admin", "mode = \"paper\"\n[admin]\ntoken = \"abc\"\n", []string{"admin.token: secrets are not read", "ADMIN_TOKEN"}},
		{"maintenance", "mode = \"paper\"\n[maintenance]\nzone = \"Mars/Olympus\"\nweekday = \"Mittwoch\"\nstart = \"25:00\"\nmargin_after = \"-1m\"\nextra = [{ from = 2026-12-25T02:00:00Z, to = 2026-12-24T22:00:00Z }]\n",
			[]string{"maintenance.zone: zone \"Mars/Olympus\"", "maintenance.weekday", "maintenance.start", "maintenance.margin_after: must be at least", "maintenance.extra[0]: to"}},
		{"maintenance margin too long", "mode = \"paper\"\n[maintenance]\nmargin_before = \"7h\"\n", []string{"maintenance.margin_before: must be at most 6h0m0s"}},
		{"many at once", "[hercle]\ntimeout = \"x\"\nburst = 0\nfoo = 1\napi_key = \"k\"\n", []string{"mode: required", "hercle.timeout", "hercle.burst", "hercle.foo: unknown key", "hercle.api_key: secrets"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.toml", []byte(tt.toml))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse() error = %v, want *config.Error", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Parse() error = %q, want it to contain %q", msg, w)
				}
			}
			if strings.Contains(msg, `"abc"`) || strings.Contains(msg, `"k"`) {
				t.Errorf("Parse() error repeats a secret value: %q", msg)
			}
		})
	}
}

func TestManyAtOnceCountsEveryProblem(t *testing.T) {
	_, err := Parse("t.toml", []byte("[hercle]\ntimeout = \"x\"\nburst = 0\nfoo = 1\napi_key = \"k\"\n"))
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Problems) != 5 {
		t.Fatalf("Parse() = %v, want 5 problems", err)
	}
}

func TestLiveModeWithEnvironment(t *testing.T) {
	cfg, err := Parse("t.toml", []byte("mode = \"live\"\n[hercle]\nenvironment = \"sandbox\"\n"))
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if err := cfg.RequireSecrets(Secrets{}); err == nil || !strings.Contains(err.Error(), "HERCLE_API_KEY") {
		t.Errorf("RequireSecrets(none) = %v, want a message naming HERCLE_API_KEY", err)
	}
	if err := cfg.RequireSecrets(Secrets{HercleAPIKey: NewSecret("k")}); err != nil {
		t.Errorf("RequireSecrets(key) = %v", err)
	}
}

func TestSecretsFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "key")
	if err := os.WriteFile(f, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"HERCLE_API_KEY_FILE":  f,
		"HEROPAYMENTS_API_KEY": "hp-key",
	}
	s, err := LoadSecrets(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("LoadSecrets() = %v", err)
	}
	if got := s.HercleAPIKey.Reveal(); got != "from-file" {
		t.Errorf("HercleAPIKey = %q, want from-file (trailing newline trimmed)", got)
	}
	if got := s.HeropaymentsKey.Reveal(); got != "hp-key" {
		t.Errorf("HeropaymentsKey = %q, want hp-key", got)
	}

	env["HERCLE_API_KEY"] = "both"
	if _, err := LoadSecrets(func(k string) string { return env[k] }); err == nil {
		t.Error("LoadSecrets() with NAME and NAME_FILE both set = nil, want error")
	}
	delete(env, "HERCLE_API_KEY")
	env["HERCLE_API_KEY_FILE"] = filepath.Join(dir, "missing")
	if _, err := LoadSecrets(func(k string) string { return env[k] }); err == nil {
		t.Error("LoadSecrets() with a missing file = nil, want error")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("hunter2")
	for _, got := range []string{
		s.String(), s.GoString(), sprintf("%v %+v %#v %s %q", s, s, s, s, s),
		sprintf("%v", Secrets{HercleAPIKey: s}), sprintf("%+v", &Secrets{AdminToken: s}),
	} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("formatted secret = %q, leaks the value", got)
		}
	}
	if b, _ := s.MarshalText(); strings.Contains(string(b), "hunter2") {
		t.Errorf("MarshalText = %q, leaks the value", b)
	}
	if s.LogValue().String() != "[redacted]" {
		t.Errorf("LogValue = %v, want [redacted]", s.LogValue())
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// A policy that does not say dry_run sends in paper mode (to the
// simulator) and only logs in live mode; one that says keeps its word.
func TestDryRunDefaultsByMode(t *testing.T) {
	const treasury = `
[treasury.destinations.cold]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qexampleexampleexampleexampleexample0"
daily_cap = "1"
[treasury.policies.quiet]
kind = "sweep"
asset = "BTC"
schedule = "@every 1h"
min = "0"
target = "1"
max = "2"
destination = "cold"
[treasury.policies.said]
kind = "sweep"
asset = "BTC"
schedule = "@every 1h"
min = "3"
target = "4"
max = "5"
destination = "cold"
dry_run = true
[risk.transfers.destinations]
cold = "100000"
`
	for mode, wantQuiet := range map[string]bool{"paper": false, "live": true} {
		body := "mode = \"" + mode + "\"\n[hercle]\nenvironment = \"sandbox\"\n" + treasury
		cfg, err := Parse("t.toml", []byte(body))
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if got := cfg.Treasury.Policies["quiet"].IsDryRun(); got != wantQuiet {
			t.Errorf("%s mode: policy without dry_run IsDryRun = %v, want %v", mode, got, wantQuiet)
		}
		if !cfg.Treasury.Policies["said"].IsDryRun() {
			t.Errorf("%s mode: dry_run = true was overridden", mode)
		}
	}
}

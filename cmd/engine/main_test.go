package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runEngine runs the CLI in-process with the given environment.
func runEngine(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return environ[k] }}
	code = dispatch(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "engine.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigCheck(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		env      map[string]string
		wantCode int
		want     []string
	}{
		{"malformed", "mode = \"paper\n", nil, exitUsage, []string{"line 1"}},
		{"unknown key", "mode = \"paper\"\n[ledger]\npth = \"x\"\n", nil, exitUsage, []string{"ledger.pth: unknown key"}},
		{"missing required", "[log]\nlevel = \"info\"\n", nil, exitUsage, []string{"mode: required"}},
		{"negative limit", "mode = \"paper\"\n[hercle]\nrate_limit = -5.0\nmax_retries = -1\n", nil, exitUsage,
			[]string{"hercle.rate_limit", "hercle.max_retries"}},
		{"secret in file", "mode = \"paper\"\n[hercle]\napi_key = \"sekret\"\n", nil, exitUsage,
			[]string{"hercle.api_key: secrets are not read from the config file", "HERCLE_API_KEY"}},
		{"every problem listed", "[hercle]\ntimeout = \"x\"\napi_key = \"sekret\"\nburst = -1\n", nil, exitUsage,
			[]string{"4 problem(s)", "mode: required", "hercle.timeout", "hercle.api_key", "hercle.burst"}},
		{"live without key", "mode = \"live\"\n[hercle]\nenvironment = \"sandbox\"\n", nil, exitUsage, []string{"HERCLE_API_KEY"}},
		{"live with key", "mode = \"live\"\n[hercle]\nenvironment = \"sandbox\"\n", map[string]string{"HERCLE_API_KEY": "sekret"}, exitOK, []string{"OK (mode live)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runEngine(t, tt.env, "config", "check", "-config", writeFile(t, tt.body))
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output = %q, want it to contain %q", stdout+stderr, w)
				}
			}
			if strings.Contains(stdout+stderr, "sekret") {
				t.Errorf("output repeats the secret value: %q", stdout+stderr)
			}
		})
	}
}

func TestConfigCheckExampleFile(t *testing.T) {
	code, stdout, stderr := runEngine(t, nil, "config", "check", "-config", "../../config.toml")
	if code != exitOK {
		t.Fatalf("config check config.toml = %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "OK") {
		t.Errorf("stdout = %q, want OK", stdout)
	}
}

func TestUsageAndHelp(t *testing.T) {
	if code, _, _ := runEngine(t, nil); code != exitUsage {
		t.Errorf("engine (no args) = %d, want %d", code, exitUsage)
	}
	if code, _, stderr := runEngine(t, nil, "frobnicate"); code != exitUsage || !strings.Contains(stderr, "unknown command") {
		t.Errorf("engine frobnicate = %d %q, want %d and 'unknown command'", code, stderr, exitUsage)
	}
	for _, c := range commands() {
		args := []string{c.name, "-h"}
		code, _, stderr := runEngine(t, nil, args...)
		if code != exitOK {
			t.Errorf("engine %s -h = %d, want 0", c.name, code)
		}
		if !strings.Contains(stderr, "Example:") {
			t.Errorf("engine %s -h prints no example:\n%s", c.name, stderr)
		}
	}
	if code, _, _ := runEngine(t, nil, "version", "-bogus"); code != exitUsage {
		t.Errorf("engine version -bogus = %d, want %d", code, exitUsage)
	}
}

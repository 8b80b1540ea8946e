package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// watchWriter collects output and calls fire once when it contains want.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	fire func()
	once sync.Once
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(w.fire)
	}
	return n, err
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// runUntil runs the CLI and cancels its context once stream (stdout or
// stderr) contains want.
func runUntil(t *testing.T, want string, onStdout bool, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	watched := &watchWriter{want: want, fire: cancel}
	other := &watchWriter{want: "\x00", fire: func() {}}
	e := &env{stdout: other, stderr: watched, getenv: func(string) string { return "" }}
	if onStdout {
		e.stdout, e.stderr = watched, other
	}
	code := dispatch(ctx, e, args)
	if onStdout {
		return code, watched.String(), other.String()
	}
	return code, other.String(), watched.String()
}

// paperConfig returns the shipped config.toml with the ledger in a
// temporary directory and the listeners on free ports.
func paperConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := strings.NewReplacer(
		`path = "data/ledger.db"`, `path = "`+filepath.ToSlash(filepath.Join(dir, "ledger.db"))+`"`,
		`addr = "127.0.0.1:9464"`, `addr = "127.0.0.1:0"`,
		`addr = "127.0.0.1:9465"`, `addr = "127.0.0.1:0"`,
		`addr = "127.0.0.1:8780"`, `addr = "127.0.0.1:0"`,
	).Replace(string(b))
	if s == string(b) {
		t.Fatal("config.toml no longer has the keys this test rewrites")
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunPaperTrades is the newcomer's first run: the shipped config.toml
// in paper mode connects the feed, decides and trades.
func TestRunPaperTrades(t *testing.T) {
	cfg := paperConfig(t)
	code, _, logs := runUntil(t, `msg="trade filled"`, false, "run", "-config", cfg)
	if code != exitOK {
		t.Fatalf("run = %d, want 0; logs:\n%s", code, logs)
	}
	for _, want := range []string{"paper mode", "msg=\"hub connected\"", "msg=price pair=", "msg=\"intent approved\"", "msg=\"trade filled\"", "engine stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	code, out, errOut := runEngine(t, nil, "ledger", "balances", "-config", cfg)
	if code != exitOK || !strings.Contains(out, "counterparty:hercle") {
		t.Errorf("ledger balances after a paper run = %d %q %q, want the trade's counterparty", code, out, errOut)
	}
}

func TestRunLiveNeedsKey(t *testing.T) {
	cfg := writeFile(t, "mode = \"live\"\n[hercle]\nenvironment = \"sandbox\"\n")
	if code, _, stderr := runEngine(t, nil, "run", "-config", cfg); code != exitUsage || !strings.Contains(stderr, "HERCLE_API_KEY") {
		t.Errorf("run live without a key = %d %q, want %d naming HERCLE_API_KEY", code, stderr, exitUsage)
	}
}

func TestSimServesUntilCancelled(t *testing.T) {
	code, stdout, logs := runUntil(t, "HERCLE_API_KEY=sim_", true, "sim", "-config", "../../config.toml", "-addr", "127.0.0.1:0")
	if code != exitOK {
		t.Fatalf("sim = %d, want 0; logs:\n%s", code, logs)
	}
	if !strings.Contains(stdout, "HERCLE_BASE_URL=http://127.0.0.1:") {
		t.Errorf("stdout = %q, want the base URL", stdout)
	}
	if !strings.Contains(logs, "simulator stopped") {
		t.Errorf("logs lack a graceful stop:\n%s", logs)
	}
}

func TestSimAndRunFlags(t *testing.T) {
	for _, args := range [][]string{{"sim", "-bogus"}, {"run", "-bogus"}, {"sim", "extra"}, {"run", "extra"}} {
		if code, _, _ := runEngine(t, nil, args...); code != exitUsage {
			t.Errorf("engine %v = %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, stderr := runEngine(t, nil, "sim", "-config", "../../config.toml", "-addr", "0.0.0.0:0"); code != exitUsage || !strings.Contains(stderr, "loopback") {
		t.Errorf("sim on 0.0.0.0 = %d %q, want %d and a loopback error", code, stderr, exitUsage)
	}
	code, _, stderr := runEngine(t, nil, "sim", "-h")
	if code != exitOK || !strings.Contains(stderr, "Example:") || !strings.Contains(stderr, "-addr") {
		t.Errorf("sim -h = %d %q", code, stderr)
	}
}

package main

import (
	"bytes"
	"context"
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

func TestRunPaperLogsPairsAndPrices(t *testing.T) {
	code, _, logs := runUntil(t, "msg=price", false, "run", "-config", "../../config.toml")
	if code != exitOK {
		t.Fatalf("run = %d, want 0; logs:\n%s", code, logs)
	}
	for _, want := range []string{"paper mode", "msg=pair pair=BTCUSDT", "msg=balance asset=BTC", "msg=price pair=BTCUSDT", "shutting down"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
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

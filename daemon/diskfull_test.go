package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/strategy"
)

// mountTmpfs mounts a tmpfs of size at a new directory and returns it,
// skipping the test where mounting is not allowed (not root).
func mountTmpfs(t *testing.T, size string, opts ...string) string {
	t.Helper()
	dir := t.TempDir()
	o := strings.Join(append([]string{"size=" + size}, opts...), ",")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", o, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestFullDiskPausesTrading fills the disk under the ledger while the
// paper engine trades: /readyz turns false within 5 s with the reason,
// trading pauses, one ERROR line says so; once space is freed the pause
// lifts itself, trading resumes, and every fill the venue made is in the
// books: nothing was lost while they could not be written.
func TestFullDiskPausesTrading(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs and fills it")
	}
	dir := mountTmpfs(t, "32m")
	cfg := paperConfig(t.TempDir())
	cfg.Ledger.Path = filepath.Join(dir, "ledger.db")
	cfg.Log.Level = "info"
	cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always("buy", "BTCEUR", "0.001", "otc")}}
	h := start(t, cfg, daemon.Options{})
	h.waitMetric("engine_intents_total", map[string]string{"outcome": "filled"}, 3)

	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	filled := time.Now()
	deadline := filled.Add(5 * time.Second)
	for {
		code, body := get(t, h.info.MetricsURL+"/readyz")
		if code == 503 && strings.Contains(body, "ledger writes failing") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %s 5 s after the disk filled\n%s", code, body, tail(h.logs.String(), 30))
		}
		time.Sleep(20 * time.Millisecond) // polling an HTTP endpoint for a condition
	}
	t.Logf("/readyz false %s after the disk filled", time.Since(filled).Round(time.Millisecond))
	if n := strings.Count(h.logs.String(), `level=ERROR msg="ledger writes failing`); n != 1 {
		t.Errorf("%d ERROR lines for the failing writes, want 1\n%s", n, grepLines(h.logs.String(), "ledger writes"))
	}
	before := metric(t, h.d.Registry(), "engine_intents_total", map[string]string{"outcome": "filled"})

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	h.waitMetric("engine_ledger_write_failing", nil, 0)
	waitLog(h, "ledger writes succeed again")
	h.waitMetric("engine_intents_total", map[string]string{"outcome": "filled"}, before+3)
	if n := strings.Count(h.logs.String(), `level=ERROR msg="ledger writes failing`); n != 1 {
		t.Errorf("%d ERROR lines for the failing writes, want 1 (one per state change)", n)
	}
	v := h.info.Sim.Venue()
	h.stop()
	store, err := ledger.Open(cfg.Ledger.Path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	checkOneToOne(t, v, store)
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := bytes.Repeat([]byte{0xff}, 1<<20)
	for {
		if _, err := f.Write(block); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

// waitLog waits until the daemon's log contains s.
func waitLog(h *harness, s string) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(h.logs.String(), s) {
		if time.Now().After(deadline) {
			h.t.Fatalf("no %q in the log\n%s", s, tail(h.logs.String(), 30))
		}
		time.Sleep(20 * time.Millisecond) // polling the log for a condition
	}
}

// TestReadOnlyLedgerDirectoryRefused: a ledger on a file system mounted
// read-only (where the kill switch could not be recorded either) is
// refused at start-up, naming the directory.
func TestReadOnlyLedgerDirectoryRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs")
	}
	dir := mountTmpfs(t, "8m", "ro")
	cfg := paperConfig(t.TempDir())
	cfg.Ledger.Path = filepath.Join(dir, "ledger.db")
	d, err := daemon.New(cfg, config.Secrets{}, daemon.Options{Logger: newLogger(&syncBuffer{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Run(ctx); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Run on a read-only ledger directory = %v, want an error naming %s", err, dir)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

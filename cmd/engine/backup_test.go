package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/otcdesk/engine/ledger"
)

func TestLedgerBackupAndRestore(t *testing.T) {
	db := fixtureLedger(t)
	out := filepath.Join(t.TempDir(), "backup.db")
	code, stdout, stderr := runEngine(t, nil, "ledger", "backup", "-db", db, "-out", out)
	if code != exitOK || !strings.Contains(stdout, "written and verified: 3 entries, 2 intents open") {
		t.Fatalf("ledger backup = %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runEngine(t, nil, "ledger", "backup", "-db", db, "-out", out); code != exitFailure || !strings.Contains(stderr, "exists") {
		t.Errorf("backup over an existing file = %d %q, want 1 and 'exists'", code, stderr)
	}
	if code, _, _ := runEngine(t, nil, "ledger", "backup", "-db", db); code != exitUsage {
		t.Errorf("backup without -out = %d, want %d", code, exitUsage)
	}

	// A restore over a held ledger, or of a file that does not verify,
	// changes nothing.
	target := filepath.Join(t.TempDir(), "ledger.db")
	held, err := ledger.Open(target, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "mode = \"paper\"\n[ledger]\npath = \""+target+"\"\nlock_timeout = \"50ms\"\n")
	if code, _, stderr := runEngine(t, nil, "ledger", "restore", "-config", cfg, out); code != exitFailure || !strings.Contains(stderr, "stop it first") {
		t.Errorf("restore over a running engine's ledger = %d %q, want 1 and 'stop it first'", code, stderr)
	}
	held.Close()
	bad := filepath.Join(t.TempDir(), "bad.db")
	copyBytes(t, out, bad)
	db2, err := bbolt.Open(bad, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db2.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("balances")).Put([]byte("venue:hercle:available\x00BTC"), []byte("7"))
	})
	db2.Close()
	if code, _, stderr := runEngine(t, nil, "ledger", "restore", "-config", cfg, bad); code != exitBooks || !strings.Contains(stderr, "was not changed") {
		t.Errorf("restore of a tampered backup = %d %q, want %d", code, stderr, exitBooks)
	}
	code, stdout, stderr = runEngine(t, nil, "ledger", "restore", "-config", cfg, out)
	if code != exitOK || !strings.Contains(stdout, "restored from") || !strings.Contains(stdout, "kept as") {
		t.Fatalf("restore = %d %q %q", code, stdout, stderr)
	}
	if code, stdout, _ := runEngine(t, nil, "ledger", "verify", "-db", target); code != exitOK {
		t.Errorf("verify after restore = %d %q", code, stdout)
	}
}

// TestLedgerBackupOfARunningEngine: while `engine run` holds the ledger,
// `engine ledger backup -config` streams a copy over the admin API; it
// verifies and holds the run's opening balances.
func TestLedgerBackupOfARunningEngine(t *testing.T) {
	b, err := os.ReadFile("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	admin := freeAddr(t)
	cfgText := strings.NewReplacer(
		`path = "data/ledger.db"`, `path = "`+filepath.Join(dir, "ledger.db")+`"`,
		`addr = "127.0.0.1:9464"`, `addr = "127.0.0.1:0"`,
		`addr = "127.0.0.1:9465"`, `addr = "`+admin+`"`,
		`addr = "127.0.0.1:8780"`, `addr = "127.0.0.1:0"`,
	).Replace(string(b))
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	environ := map[string]string{"ADMIN_TOKEN": strings.Repeat("t", 40)}
	ctx, cancel := context.WithCancel(t.Context())
	running := make(chan struct{})
	logs := &watchWriter{want: `msg="engine running"`, fire: func() { close(running) }}
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, &env{stdout: logs, stderr: logs, getenv: func(k string) string { return environ[k] }}, []string{"run", "-config", cfg})
	}()
	select {
	case <-running:
	case code := <-done:
		t.Fatalf("run = %d before running:\n%s", code, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("engine not running after 30s:\n%s", logs)
	}
	out := filepath.Join(t.TempDir(), "online.db")
	code, stdout, stderr := runEngine(t, environ, "ledger", "backup", "-config", cfg, "-out", out)
	cancel()
	if c := <-done; c != exitOK {
		t.Errorf("run = %d:\n%s", c, logs)
	}
	if code != exitOK || !strings.Contains(stdout, "written and verified") {
		t.Fatalf("online backup = %d %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runEngine(t, nil, "ledger", "balances", "-db", out, "-account", "equity")
	if code != exitOK || !strings.Contains(stdout, "equity:opening") {
		t.Errorf("the online backup lacks the run's opening balances: %d %q", code, stdout)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func copyBytes(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

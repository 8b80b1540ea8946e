package daemon

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otcdesk/engine/config"
)

// A kill that arrives while the daemon starts, before its risk engine
// exists, is recorded in the kill-switch file, which start-up reads before
// anything trades; it used to be refused with 503 and forgotten.
func TestKillDuringStartUpIsRecorded(t *testing.T) {
	cfg := config.Default()
	cfg.Ledger.Path = filepath.Join(t.TempDir(), "ledger.db")
	d := &Daemon{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	req := httptest.NewRequest(http.MethodPost, "/admin/kill", strings.NewReader(`{"reason":"desk closed"}`))
	if code, body := d.kill(req); code != http.StatusOK {
		t.Fatalf("kill during start-up = %d %v, want 200", code, body)
	}
	reason, killed, err := readKill(d.killFile())
	if err != nil || !killed || reason != "desk closed" {
		t.Fatalf("kill-switch file: %q %v %v, want the kill recorded", reason, killed, err)
	}
}

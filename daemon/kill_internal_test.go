package daemon

import (
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
	d, err := New(cfg, config.Secrets{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/admin/kill", strings.NewReader(`{"reason":"desk closed"}`))
	if code, body := d.killSwitch(req); code != http.StatusOK {
		t.Fatalf("kill during start-up = %d %v, want 200", code, body)
	}
	reason, killed, err := d.kill.Read()
	if err != nil || !killed || reason != "desk closed" {
		t.Fatalf("kill-switch file: %q %v %v, want the kill recorded", reason, killed, err)
	}
}

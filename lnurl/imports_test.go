package lnurl

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules: lnurl is a client like hercle and heropayments, so it
// depends, even indirectly, on no package of the engine but market
// (DESIGN.md, "Import direction"). Its tests may use sim and hercle.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	allowed := []string{"github.com/otcdesk/engine/lnurl", "github.com/otcdesk/engine/market"}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/otcdesk/engine/") && !slices.Contains(allowed, p) {
			t.Errorf("lnurl depends on %s; it may depend only on market of the engine", p)
		}
	}
}

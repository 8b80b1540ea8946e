package portfolio

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports enforces the layering rule: of the project portfolio imports
// only ledger and market, and outside the standard library only decimal.
// Strategies and treasury policies reach it through the attribution
// function its caller builds.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkg.Imports {
		switch p {
		case "github.com/otcdesk/engine/ledger", "github.com/otcdesk/engine/market", "github.com/shopspring/decimal":
		default:
			if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
				t.Errorf("portfolio imports %s; it may import only ledger, market and decimal", p)
			}
		}
	}
	if len(pkg.Imports) == 0 {
		t.Fatal("no imports found: the test reads the wrong directory")
	}
}

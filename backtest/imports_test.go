package backtest

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports: the backtester runs the engine's own packages and never
// the simulator or the daemon (tests and the sample generator may use the
// simulator).
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "github.com/otcdesk/engine/sim" || p == "github.com/otcdesk/engine/daemon" || strings.HasPrefix(p, "github.com/otcdesk/engine/cmd") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

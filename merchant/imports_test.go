package merchant

import (
	goparser "go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules: merchant sits beside package inbound, above the venue
// clients and the ledger. It imports heropayments, ledger, market and
// scheduler of the engine (and the leaves internal/passes and
// internal/refusals) and nothing above them (treasury, execution,
// daemon), so it can be wired anywhere without a cycle.
func TestImportRules(t *testing.T) {
	allowed := map[string]bool{}
	for _, p := range []string{"heropayments", "internal/passes", "internal/refusals", "ledger", "market", "scheduler"} {
		allowed["github.com/otcdesk/engine/"+p] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(token.NewFileSet(), file, nil, goparser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/otcdesk/engine/") && !allowed[path] {
				t.Errorf("%s imports %s; merchant may import only heropayments, internal/passes, internal/refusals, ledger, market and scheduler of the engine", file, path)
			}
		}
	}
}

package heropayments

import (
	goparser "go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules: heropayments imports no package of the engine but
// market (DESIGN.md, "Import direction").
func TestImportRules(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		f, err := goparser.ParseFile(token.NewFileSet(), file, nil, goparser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/otcdesk/engine/") && path != "github.com/otcdesk/engine/market" {
				t.Errorf("%s imports %s; heropayments may import only market of the engine", file, path)
			}
		}
	}
}

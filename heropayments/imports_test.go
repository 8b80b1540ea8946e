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
// market and internal/venuehttp, the HTTP mechanics shared with hercle,
// which imports nothing of the engine itself (DESIGN.md, "Import direction").
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
			if strings.HasPrefix(path, "github.com/otcdesk/engine/") && path != "github.com/otcdesk/engine/market" && path != "github.com/otcdesk/engine/internal/venuehttp" {
				t.Errorf("%s imports %s; heropayments may import only market and internal/venuehttp of the engine", file, path)
			}
		}
	}
}

package heropay

import (
	"context"
	goparser "go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const module = "github.com/otcdesk/engine/"

// TestImportRules: outside its tests the simulator imports of the engine
// only the Hercle venue simulator it settles into, the clock and market;
// and nothing it depends on, however indirectly, is a client of the
// engine's, above all not package heropayments, which it is there to test.
func TestImportRules(t *testing.T) {
	allowed := map[string]bool{module + "sim": true, module + "scheduler": true, module + "market": true}
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
			if strings.HasPrefix(path, module) && !allowed[path] {
				t.Errorf("%s imports %s; heropay may import only sim, scheduler and market of the engine", file, path)
			}
		}
	}

	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; indirect imports not checked")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, client := range []string{"heropayments", "hercle", "lnurl"} {
			if dep == module+client || strings.HasPrefix(dep, module+client+"/") {
				t.Errorf("heropay depends on %s; it must share no code with the clients it tests", dep)
			}
		}
	}
}

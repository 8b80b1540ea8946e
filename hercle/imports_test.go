package hercle_test

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/otcdesk/engine"

// engineDeps returns the engine packages pkg (a path below the module)
// imports, directly or not, from its non-test files.
func engineDeps(t *testing.T, pkg string) []string {
	t.Helper()
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		dir := filepath.Join("..", strings.TrimPrefix(strings.TrimPrefix(p, module), "/"))
		bp, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, imp := range bp.Imports {
			if strings.HasPrefix(imp, module+"/") && !seen[imp] {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(module + "/" + pkg)
	var out []string
	for p := range seen {
		out = append(out, strings.TrimPrefix(p, module+"/"))
	}
	slices.Sort(out)
	return out
}

// TestImportDirection holds the Hercle packages to the layout: hercle/hub
// and hercle/webhook import at most hercle (the shared vocabulary),
// market and internal; hercle imports neither of them; and the simulator,
// which the clients are tested against, imports no Hercle package.
func TestImportDirection(t *testing.T) {
	allowed := func(p string) bool { return p == "hercle" || p == "market" || strings.HasPrefix(p, "internal/") }
	for _, pkg := range []string{"hercle", "hercle/hub", "hercle/webhook"} {
		for _, dep := range engineDeps(t, pkg) {
			if !allowed(dep) {
				t.Errorf("%s imports %s; it may import only hercle, market and internal", pkg, dep)
			}
		}
	}
	for _, dep := range engineDeps(t, "sim") {
		if dep == "hercle" || strings.HasPrefix(dep, "hercle/") {
			t.Errorf("sim imports %s; the simulator shares no code with the clients it tests", dep)
		}
	}
}

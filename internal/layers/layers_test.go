package layers

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/otcdesk/engine"

// rank places every package of the module in a layer: a package may import
// only packages of a higher rank (lower in the stack), or those sameLayer
// allows. A package missing here fails the test: place it, and update the
// layout in DESIGN.md and docs/architecture.md.
var rank = map[string]int{
	"cmd/engine": 0,
	"daemon":     1,
	"config":     2, // imported only by cmd/engine and daemon
	"backtest":   3, "backtest/internal/gen": 3, "backtest/internal/recording": 3,
	"sim": 3, "sim/heropay": 3,
	"notify": 4, "ha": 4, "ha/hatest": 4, "console": 4,
	"reconcile": 5, "trader": 5, "pnl": 5,
	"treasury": 6, "execution": 6, "customers": 6,
	"strategy": 7, "risk": 7, "portfolio": 7, "treasury/policy": 7,
	"feeds": 8, "inbound": 8, "merchant": 8, "webhookd": 8,
	"hercle": 9, "hercle/hub": 9, "hercle/webhook": 9, "heropayments": 9, "lnurl": 9, "ledger": 9, "scheduler": 9,
	"market": 10, "internal/tomlval": 10, "internal/venuehttp": 10, "internal/refusals": 10, "internal/passes": 10,
	"internal/redact": 10, "internal/jsondiff": 10, "internal/clock": 10, "internal/metrictest": 10,
	"internal/promreg": 11, // registration shared by every package with metrics, venuehttp included
	// Packages with tests only.
	"internal/layers": 10, "docs": 10, "deploy/grafana": 10, "deploy/prometheus": 10,
}

// sameLayer are the imports allowed within a layer.
var sameLayer = map[string][]string{
	"backtest/internal/gen":       {"backtest/internal/recording"},
	"backtest/internal/recording": {"sim"},
	"sim/heropay":                 {"sim"},
	"risk":                        {"strategy"},
	"hercle/hub":                  {"hercle"},
	"hercle/webhook":              {"hercle"},
	"treasury":                    {"execution"}, // treasury decides a movement; execution sends it
	"customers":                   {"execution"}, // a payout is a movement
}

// forbidden are imports the ranks would allow but the design does not:
// the simulator shares no code with the clients it tests.
var forbidden = map[string][]string{
	"sim":         {"hercle", "hercle/hub", "hercle/webhook", "heropayments", "lnurl"},
	"sim/heropay": {"hercle", "hercle/hub", "hercle/webhook", "heropayments", "lnurl"},
}

// thirdParty limits what the foundations import from outside the module
// (the standard library is always allowed).
var thirdParty = map[string][]string{
	"market":    {"github.com/shopspring/decimal"},
	"ledger":    {"github.com/shopspring/decimal", "go.etcd.io/bbolt", "go.etcd.io/bbolt/errors"},
	"strategy":  {"github.com/shopspring/decimal", "github.com/BurntSushi/toml", "github.com/robfig/cron/v3"},
	"portfolio": {"github.com/shopspring/decimal"},
}

// graph maps each package (relative to the module) to its imports: of the
// module (relative) and from outside it. Test files are left out: the
// layout is about what ships.
type graph map[string]struct{ own, outside []string }

func TestImportGraphFollowsTheLayout(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	g, err := load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(g) < 20 {
		t.Fatalf("found %d packages under %s; is it the module root?", len(g), root)
	}
	for _, p := range check(g) {
		t.Error(p)
	}
}

// TestCheckRefusesArrowsAgainstTheLayout: the check catches an import up
// the stack, a forbidden one, an unplaced package and a third-party
// import a foundation may not make.
func TestCheckRefusesArrowsAgainstTheLayout(t *testing.T) {
	g := graph{
		"ledger":   {own: []string{"market", "config"}, outside: []string{"github.com/shopspring/decimal", "github.com/some/orm"}},
		"sim":      {own: []string{"hercle", "market"}},
		"newthing": {},
		"trader":   {own: []string{"execution", "ledger"}},
	}
	got := strings.Join(check(g), "\n")
	for _, want := range []string{
		"ledger imports config, which is above it",
		"ledger imports github.com/some/orm",
		"sim imports hercle, which the layout forbids",
		"newthing is in no layer",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check missed %q; reported:\n%s", want, got)
		}
	}
	if strings.Contains(got, "trader") {
		t.Errorf("check refused trader's imports, which the layout allows:\n%s", got)
	}
}

// check returns every import of g the layout does not allow.
func check(g graph) []string {
	var out []string
	pkgs := make([]string, 0, len(g))
	for p := range g {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, p := range pkgs {
		r, ok := rank[p]
		if !ok {
			out = append(out, fmt.Sprintf("%s is in no layer: place it in internal/layers' rank and in DESIGN.md's layout", p))
			continue
		}
		for _, imp := range g[p].own {
			ir, known := rank[imp]
			switch {
			case slices.Contains(forbidden[p], imp):
				out = append(out, fmt.Sprintf("%s imports %s, which the layout forbids", p, imp))
			case !known:
				// Reported as a package of its own.
			case ir < r:
				out = append(out, fmt.Sprintf("%s imports %s, which is above it", p, imp))
			case ir == r && !slices.Contains(sameLayer[p], imp):
				out = append(out, fmt.Sprintf("%s imports %s, in its own layer, which sameLayer does not allow", p, imp))
			}
		}
		if allowed, limited := thirdParty[p]; limited {
			for _, imp := range g[p].outside {
				if !slices.Contains(allowed, imp) {
					out = append(out, fmt.Sprintf("%s imports %s; it may import only %s from outside the module", p, imp, strings.Join(allowed, ", ")))
				}
			}
		}
	}
	return out
}

// load parses the imports of every non-test Go file under root.
func load(root string) (graph, error) {
	g := graph{}
	err := walkSources(root, func(path string) error {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		e := g[pkg]
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			switch first, _, _ := strings.Cut(ip, "/"); {
			case ip == module || strings.HasPrefix(ip, module+"/"):
				e.own = appendNew(e.own, strings.TrimPrefix(ip, module+"/"))
			case strings.Contains(first, "."):
				e.outside = appendNew(e.outside, ip)
			}
		}
		g[pkg] = e
		return nil
	})
	return g, err
}

// walkSources calls fn with the path of every non-test Go file of the
// module under root: not under testdata, node_modules, a directory whose
// name starts with "." or "_", or another module.
func walkSources(root string, fn func(path string) error) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		return fn(path)
	})
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

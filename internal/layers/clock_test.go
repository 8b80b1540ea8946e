package layers

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// wallClock are the functions of package time that read the wall clock.
// Timers and tickers are not among them: they measure durations, and
// whether one should run on an injected clock is a question for review.
var wallClock = map[string]bool{"Now": true, "Since": true, "Until": true}

// TestOnlyTheClockReadsTheWallClock: outside internal/clock and the main
// function of cmd/engine, the module reads the time only through a
// clock.Clock it was given, so tests and backtests control every instant.
func TestOnlyTheClockReadsTheWallClock(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = walkSources(root, func(path string) error {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "internal/clock/") {
			return nil
		}
		files++
		found, err := wallClockReads(path, nil, rel == "cmd/engine/main.go")
		if err != nil {
			return err
		}
		for _, f := range found {
			t.Errorf("%s:%s: read the time from a clock.Clock (internal/clock) passed in, not from package time", rel, f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("checked %d files under %s; is it the module root?", files, root)
	}
}

// TestWallClockReadsFindsEveryForm: the check finds calls, method values
// and renamed imports of time, and lets pass a local variable named time,
// a method named Now, and main's own reads where main may read.
func TestWallClockReadsFindsEveryForm(t *testing.T) {
	const src = `package p

import (
	"time"
	tm "time"
)

type clock struct{ time struct{ Now func() int } }

func main() { _ = time.Now() }

func a() time.Duration { return time.Since(time.Time{}) }

func b() func() time.Time { return time.Now }

func c(d time.Time) time.Duration { return tm.Until(d) }

func d(c clock) int { time := c.time; return time.Now() + c.time.Now() }

func e() *time.Timer { return time.NewTimer(time.Second) }
`
	for _, tc := range []struct {
		mainMay bool
		want    []string
	}{
		{false, []string{"10:19: time.Now", "12:33: time.Since", "14:36: time.Now", "16:44: tm.Until"}},
		{true, []string{"12:33: time.Since", "14:36: time.Now", "16:44: tm.Until"}},
	} {
		got, err := wallClockReads("p.go", []byte(src), tc.mainMay)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("wallClockReads(mainMay %v) = %q, want %q", tc.mainMay, got, tc.want)
		}
	}
}

// wallClockReads returns the line, column and expression of every use of
// time.Now, time.Since or time.Until in the file at path (src, when not
// nil, is its content), called or not. With mainMay, those inside a
// function main are allowed.
func wallClockReads(path string, src []byte, mainMay bool) ([]string, error) {
	var text any // a nil []byte would be read as an empty file
	if src != nil {
		text = src
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, text, 0)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{} // what the file calls package time
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p != "time" {
			continue
		}
		if im.Name != nil {
			names[im.Name.Name] = true
		} else {
			names["time"] = true
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	var found []string
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && mainMay && fn.Recv == nil && fn.Name.Name == "main" {
			continue
		}
		ast.Inspect(decl, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			// A package name is an identifier the parser leaves unresolved;
			// a variable of the same name is resolved to its declaration.
			x, ok := sel.X.(*ast.Ident)
			if ok && x.Obj == nil && names[x.Name] && wallClock[sel.Sel.Name] {
				p := fset.Position(sel.Pos())
				found = append(found, fmt.Sprintf("%d:%d: %s.%s", p.Line, p.Column, x.Name, sel.Sel.Name))
			}
			return true
		})
	}
	return found, nil
}

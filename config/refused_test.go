package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/strategy"
)

// refusedCase is one configuration `engine run` would get wrong
// (testdata/refused.toml).
type refusedCase struct {
	Name   string
	Key    string
	Edits  [][2]string
	Hidden string
}

// refusedCases returns the table with each case's file body, built from
// the shipped config.toml in a fresh directory.
func refusedCases(t *testing.T) []refusedCase {
	t.Helper()
	var table struct{ Case []refusedCase }
	if _, err := toml.DecodeFile("testdata/refused.toml", &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Case) < 15 {
		t.Fatalf("%d cases in testdata/refused.toml", len(table.Case))
	}
	return table.Case
}

// body applies c's edits to the shipped file, in dir.
func (c refusedCase) body(t *testing.T, shipped, dir string) string {
	t.Helper()
	out := shipped
	for _, e := range c.Edits {
		if !strings.Contains(out, e[0]) {
			t.Fatalf("%s: config.toml has no %q to replace", c.Name, e[0])
		}
		out = strings.Replace(out, e[0], strings.ReplaceAll(e[1], "{dir}", dir), 1)
	}
	// Keep the ledger inside dir unless the case moves it.
	return strings.Replace(out, `path = "data/ledger.db"`, `path = "`+filepath.Join(dir, "data", "ledger.db")+`"`, 1)
}

// TestRefusedWithTheKeyAndNothingWritten: every configuration of the
// table is refused by the checks `engine config check` and `engine run`
// make before they create anything (Parse, then daemon.Check), the
// problem names the key, no text the file hides is printed, and the
// directory holds nothing but the file afterwards. The exit code (2) is
// cmd/engine's TestRefusedConfigurationsExit2.
func TestRefusedWithTheKeyAndNothingWritten(t *testing.T) {
	shipped, err := os.ReadFile("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range refusedCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "engine.toml")
			if err := os.WriteFile(path, []byte(c.body(t, string(shipped), dir)), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err == nil {
				err = daemon.Check(cfg, strategy.Builtins())
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("accepted, or refused without a key: %v", err)
			}
			if !slices.ContainsFunc(ce.Problems, func(p config.Problem) bool { return strings.HasPrefix(p.Key, c.Key) }) {
				t.Errorf("problems do not name %s:\n%v", c.Key, err)
			}
			if c.Hidden != "" && strings.Contains(err.Error(), c.Hidden) {
				t.Errorf("the error prints the file's text %q:\n%v", c.Hidden, err)
			}
			if names := list(t, dir); !slices.Equal(names, []string{"engine.toml"}) {
				t.Errorf("the check wrote %v", names)
			}
		})
	}
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestShippedConfigPassesEveryCheck: config.toml, which `engine run`
// starts with, holds no strategy risk would reject for ever (the table's
// cases are edits of it, so each proves its own refusal).
func TestShippedConfigPassesEveryCheck(t *testing.T) {
	cfg, err := config.Load("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Ledger.Path = filepath.Join(t.TempDir(), "ledger.db")
	if err := daemon.Check(cfg, strategy.Builtins()); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// TestRefusedConfigurationsExit2: every configuration of
// config/testdata/refused.toml (the shipped file with one mistake `engine
// run` would otherwise get wrong) makes `engine config check` and `engine
// run` exit 2, naming the key, printing none of the file's hidden text,
// and leaving the directory as it was: no ledger, no data directory.
func TestRefusedConfigurationsExit2(t *testing.T) {
	var table struct {
		Case []struct {
			Name, Key, Hidden string
			Edits             [][2]string
		}
	}
	if _, err := toml.DecodeFile("../../config/testdata/refused.toml", &table); err != nil {
		t.Fatal(err)
	}
	shipped, err := os.ReadFile("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range table.Case {
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			body := string(shipped)
			for _, e := range c.Edits {
				body = strings.Replace(body, e[0], strings.ReplaceAll(e[1], "{dir}", dir), 1)
			}
			body = strings.Replace(body, `path = "data/ledger.db"`, `path = "`+filepath.Join(dir, "data", "ledger.db")+`"`, 1)
			path := filepath.Join(dir, "engine.toml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range [][]string{{"config", "check"}, {"run"}} {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				var out strings.Builder
				code := dispatch(ctx, &env{stdout: &out, stderr: &out, getenv: func(string) string { return "" }},
					append(cmd, "-config", path))
				cancel()
				switch {
				case code != exitUsage:
					t.Errorf("engine %s: exit %d, want %d\n%s", cmd[0], code, exitUsage, out.String())
				case !strings.Contains(out.String(), c.Key):
					t.Errorf("engine %s: output does not name %s:\n%s", cmd[0], c.Key, out.String())
				case c.Hidden != "" && strings.Contains(out.String(), c.Hidden):
					t.Errorf("engine %s printed the file's text %q:\n%s", cmd[0], c.Hidden, out.String())
				}
				es, err := os.ReadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				names := []string{}
				for _, e := range es {
					names = append(names, e.Name())
				}
				if !slices.Equal(names, []string{"engine.toml"}) {
					t.Fatalf("engine %s left %v in the directory", cmd[0], names)
				}
			}
		})
	}
}

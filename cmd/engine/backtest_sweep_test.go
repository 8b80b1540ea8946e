package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/otcdesk/engine/backtest"
)

const shippedConfig = "../../config.toml"

// The daemon's own config.toml, which has no [backtest] section, replays
// the sample: the section is derived (and said so), and the report holds
// the benchmark, the trades on the price charts and the attribution.
func TestBacktestShippedConfig(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := runEngine(t, nil, "backtest", "-config", shippedConfig, "-feed", sampleFeed, "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var s backtest.Summary
	b, err := os.ReadFile(filepath.Join(out, backtest.FileSummary))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Reference != "EUR" || !slices.Contains(s.Strategies, "btc-dip") || s.Trades == 0 || s.BenchmarkEquity == "" {
		t.Fatalf("summary = %+v", s)
	}
	notes := strings.Join(s.Notes, "\n")
	for _, want := range []string{"reference EUR", "pairs BTCEUR, ETHEUR", "balances BTC 10, ETH 100, EUR 1000000", "venue model",
		"treasury policy eur-to-bank is not replayed"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if !strings.Contains(stdout, "Benchmark") {
		t.Errorf("the printed summary has no benchmark:\n%s", stdout)
	}
	page, err := os.ReadFile(filepath.Join(out, backtest.FileReport))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"benchmark (opening balances held)", "<h3>BTCEUR</h3>", "BTCEUR mid, with fills",
		"PnL and attribution", "<td>btc-dip</td>", "<td>holding</td>", "Derived from the recordings"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// btc-dip's buys are marked on BTCEUR's chart.
	m := regexp.MustCompile(`<h3>BTCEUR</h3>\n<p>(\d+) buys`).FindStringSubmatch(string(page))
	if m == nil || m[1] == "0" {
		t.Errorf("BTCEUR's price chart marks no buy: %v", m)
	}
}

// tinySweep varies the shipped btc-dip's trigger price over one day.
const tinySweep = `
seed = 3
[objective]
metric = "return"
[[param]]
strategy = "btc-dip"
key = "price"
values = ["54000", "55400"]
[[param]]
strategy = "btc-dip"
key = "size"
values = ["0.02", "0.05"]
[walk_forward]
in_sample = "12h"
out_of_sample = "6h"
`

// A sweep from the command line writes the ranked tables, the best
// configuration and its full report; the same sweep again gives the same
// tables byte for byte.
func TestBacktestSweep(t *testing.T) {
	sweep := filepath.Join(t.TempDir(), "sweep.toml")
	if err := os.WriteFile(sweep, []byte(tinySweep), 0o600); err != nil {
		t.Fatal(err)
	}
	var tables [][]byte
	for i := range 2 {
		out := filepath.Join(t.TempDir(), "sweep")
		code, stdout, stderr := runEngine(t, nil, "backtest", "-config", shippedConfig, "-feed", sampleFeed,
			"-from", "2026-03-03", "-to", "2026-03-04", "-sweep", sweep, "-out", out)
		if code != exitOK {
			t.Fatalf("run %d: exit %d; stderr:\n%s", i, code, stderr)
		}
		if !strings.Contains(stderr, "sweep: 100%  4/4 runs") {
			t.Errorf("no progress line:\n%s", stderr)
		}
		if !strings.Contains(stdout, "[[strategy]]\nkind = \"threshold\"\nname = \"btc-dip\"") {
			t.Errorf("stdout lacks the best configuration:\n%s", stdout)
		}
		for _, name := range []string{backtest.FileSweepCSV, backtest.FileSweepHTML, backtest.FileBestTOML, filepath.Join("best", backtest.FileReport)} {
			if _, err := os.Stat(filepath.Join(out, name)); err != nil {
				t.Errorf("run %d: %v", i, err)
			}
		}
		var both []byte
		for _, name := range []string{backtest.FileSweepCSV, backtest.FileSweepHTML, backtest.FileBestTOML} {
			b, _ := os.ReadFile(filepath.Join(out, name))
			both = append(both, b...)
		}
		tables = append(tables, both)
	}
	if !bytes.Equal(tables[0], tables[1]) {
		t.Error("two runs of the same sweep wrote different tables")
	}
}

func TestBacktestWalkForward(t *testing.T) {
	sweep := filepath.Join(t.TempDir(), "sweep.toml")
	if err := os.WriteFile(sweep, []byte(tinySweep), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "wf")
	code, stdout, stderr := runEngine(t, nil, "backtest", "-config", shippedConfig, "-feed", sampleFeed,
		"-from", "2026-03-03", "-to", "2026-03-04", "-sweep", sweep, "-walk-forward", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "Walk-forward (rolling): 2 windows") || !strings.Contains(stdout, "Efficiency") {
		t.Errorf("stdout:\n%s", stdout)
	}
	rows, err := os.ReadFile(filepath.Join(out, backtest.FileWalkCSV))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(rows), "\n"); n != 3 {
		t.Errorf("walkforward.csv has %d lines, want a header and 2 windows (12h in, 6h out, moved on 6h, in one day):\n%s", n, rows)
	}
}

func TestBacktestSweepErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.toml", tinySweep)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"walk-forward without sweep", []string{"-walk-forward"}, "-walk-forward needs -sweep"},
		{"unknown key", []string{"-sweep", write("k.toml", tinySweep+"\nsede = 1\n")}, "sede: unknown key"},
		{"no objective", []string{"-sweep", write("o.toml", strings.Replace(tinySweep, `metric = "return"`, "", 1))}, "objective: required"},
		{"unknown strategy", []string{"-sweep", write("s.toml", strings.Replace(tinySweep, `"btc-dip"`, `"btc-rip"`, 1))}, `no enabled [[strategy]] named "btc-rip"`},
		{"value the strategy refuses", []string{"-sweep", write("v.toml", strings.Replace(tinySweep, `"0.02"`, `"-1"`, 1))}, `strategy "btc-dip"`},
		{"float value", []string{"-sweep", write("f.toml", strings.Replace(tinySweep, `"0.02"`, `0.02`, 1))}, "TOML float"},
		{"no windows", []string{"-walk-forward", "-sweep", write("w.toml", tinySweep[:strings.Index(tinySweep, "[walk_forward]")])}, "walk_forward.in_sample: required"},
		{"range without step", []string{"-sweep", write("r.toml", strings.Replace(tinySweep, `values = ["0.02", "0.05"]`, "from = \"0.01\"\nto = \"0.05\"", 1))}, "needs a step, or draws"},
		{"missing file", []string{"-sweep", filepath.Join(dir, "none.toml")}, "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"backtest", "-config", shippedConfig, "-feed", sampleFeed, "-out", out}, c.args...)
			if c.name != "walk-forward without sweep" && !strings.Contains(strings.Join(c.args, " "), "-sweep") {
				args = append(args, "-sweep", good)
			}
			code, stdout, stderr := runEngine(t, nil, args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit %d and %q", code, stdout, stderr, exitUsage, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a refused sweep left %s", out)
			}
		})
	}
}

// The sweep files the manual shows run: backtest/testdata/sweep.toml and
// the annotated one in docs/backtesting.md, over six hours of the sample.
func TestBacktestDocumentedSweeps(t *testing.T) {
	manual, err := os.ReadFile("../../docs/backtesting.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(manual)
	start := strings.Index(doc, "```toml\n")
	if start < 0 || !strings.Contains(doc[start:], "[walk_forward]") {
		t.Fatal("docs/backtesting.md has no sweep file example")
	}
	block := doc[start+len("```toml\n"):]
	block = block[:strings.Index(block, "```")]
	annotated := filepath.Join(t.TempDir(), "annotated.toml")
	if err := os.WriteFile(annotated, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sweep := range []string{"../../backtest/testdata/sweep.toml", annotated} {
		out := filepath.Join(t.TempDir(), "sweep")
		code, _, stderr := runEngine(t, nil, "backtest", "-config", shippedConfig, "-feed", sampleFeed,
			"-from", "2026-03-02T06:00:00Z", "-to", "2026-03-02T12:00:00Z", "-sweep", sweep, "-out", out)
		// Six hours give no Sharpe ratio: the annotated file's objective
		// leaves every run unscored, which is exit 1 with the tables.
		if code == exitUsage || (code != exitOK && sweep != annotated) {
			t.Errorf("%s: exit %d; stderr:\n%s", sweep, code, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, backtest.FileSweepCSV)); err != nil {
			t.Errorf("%s: %v", sweep, err)
		}
	}
}

// The shipped config.toml's [treasury] replays with it. Its BTC sweep
// goes to a Lightning Address, which a backtest does not model: pointed at
// a crypto destination instead (and given room in risk's transfer caps and
// price age for the sample's ticks, 10 s apart), it sends, the money stays
// in the equity, and the report names the policy.
func TestBacktestShippedConfigTreasury(t *testing.T) {
	base, err := os.ReadFile(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(base)
	for from, to := range map[string]string{
		"destinations = { cold-usdt = ": "destinations = { cold-btc = \"10000000\", cold-usdt = ",
		"max_price_age = \"3s\"":        "max_price_age = \"30s\"",
		"destination = \"ln\"":          "destination = \"cold-btc\"",
	} {
		if !strings.Contains(cfg, from) {
			t.Fatalf("config.toml no longer has %q: update the test", from)
		}
		cfg = strings.Replace(cfg, from, to, 1)
	}
	cfg += `
[treasury.destinations.cold-btc]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qexampleexampleexampleexampleexample0"
daily_cap = "5"
`
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := runEngine(t, nil, "backtest", "-config", path, "-feed", sampleFeed, "-to", "2026-03-03", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var s backtest.Summary
	b, err := os.ReadFile(filepath.Join(out, backtest.FileSummary))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Treasury == nil || s.Treasury.Runs["btc-ln"]["sent"] == 0 || s.Treasury.Away["BTC"] == "" {
		t.Fatalf("treasury %+v: want sweeps sent to cold-btc", s.Treasury)
	}
	if s.Portfolio.Residual != "0" || s.Portfolio.Outflows == "0" {
		t.Errorf("portfolio %+v: want the sweeps as outflows and a zero residual", s.Portfolio)
	}
	page, err := os.ReadFile(filepath.Join(out, backtest.FileReport))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Treasury policies", "<td>treasury:btc-ln</td>", "Withdrawn to the desk"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if !strings.Contains(stdout, "Treasury         btc-ln:") {
		t.Errorf("the printed summary has no treasury line:\n%s", stdout)
	}
}

package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/backtest"
	"github.com/otcdesk/engine/internal/clock"
)

const (
	sampleConfig = "../../backtest/testdata/backtest.toml"
	sampleFeed   = "../../backtest/testdata/sample.ndjson.gz"
)

// The README's example: the sample configuration over the sample
// recording writes a complete report and prints the summary.
func TestBacktestSample(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := runEngine(t, nil, "backtest", "-config", sampleConfig, "-feed", sampleFeed, "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"Return", "PnL", "Max drawdown", "Sharpe", "Sortino", "Trades", "turnover", "fees",
		"Exposure", "Rejections       risk: maintenance", "Report"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "backtest: 100%") {
		t.Errorf("no plain progress lines on a non-terminal:\n%s", stderr)
	}
	for _, name := range []string{backtest.FileSummary, backtest.FileTrades, backtest.FileEquity, backtest.FileChart, backtest.FileChartSV, backtest.FileReport} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("report: %v", err)
		}
	}
	var s backtest.Summary
	b, err := os.ReadFile(filepath.Join(out, backtest.FileSummary))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Ticks != 51804 || s.Trades == 0 || len(s.Strategies) != 2 || s.Venue.FeeBps != "5" {
		t.Fatalf("summary = %+v", s)
	}
}

func TestBacktestErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base, err := os.ReadFile(sampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	withConfig := func(name, from, to string) string {
		return write(name, strings.Replace(string(base), from, to, 1))
	}
	torn := tornSample(t, dir)
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no feed", []string{"-config", sampleConfig}, exitUsage, []string{"-feed is required"}},
		{"no out", []string{"-config", sampleConfig, "-feed", sampleFeed}, exitUsage, []string{"-out is required"}},
		{"bad from", []string{"-config", sampleConfig, "-feed", sampleFeed, "-from", "yesterday"}, exitUsage, []string{"-from"}},
		{"from after to", []string{"-config", sampleConfig, "-feed", sampleFeed, "-from", "2026-03-04", "-to", "2026-03-03"}, exitUsage, []string{"empty time range"}},
		{"empty range", []string{"-config", sampleConfig, "-feed", sampleFeed, "-from", "2027-01-01"}, exitFailure,
			[]string{"empty time range", "the recordings cover 2026-03-02", "No report was written"}},
		{"unknown strategy", []string{"-config", withConfig("k.toml", `kind = "twap"`, `kind = "martingale"`), "-feed", sampleFeed}, exitUsage,
			[]string{`strategy "twap-eth"`, "martingale", "known: [autoconvert rebalance threshold twap]"}},
		{"bad strategy param", []string{"-config", withConfig("p.toml", `band = "0.01"`, `band = "2"`), "-feed", sampleFeed}, exitUsage,
			[]string{`strategy "rebalance-main"`, "band"}},
		{"unknown param", []string{"-config", withConfig("u.toml", `band = "0.01"`, "band = \"0.01\"\nbnad = \"1\""), "-feed", sampleFeed}, exitUsage,
			[]string{"unknown key(s) params.bnad"}},
		{"bad risk", []string{"-config", withConfig("r.toml", `max_price_age = "30s"`, `max_price_age = "soon"`), "-feed", sampleFeed}, exitUsage,
			[]string{"risk.max_price_age"}},
		{"pair without base", []string{"-config", write("np.toml", "mode = \"paper\"\n[backtest]\nreference = \"EUR\"\nbalances = { EUR = \"1\" }\n[[backtest.pair]]\nsymbol = \"BTCEUR\"\nquote = \"EUR\"\n[[strategy]]\nkind = \"rebalance\"\nname = \"r\"\n[strategy.params]\nreference = \"EUR\"\nweights = { EUR = \"0.5\", BTC = \"0.5\" }\n"), "-feed", sampleFeed}, exitUsage,
			[]string{"backtest.pair[0].base"}},
		{"unknown key elsewhere", []string{"-config", withConfig("x.toml", `mode = "paper"`, "mode = \"paper\"\nmood = \"happy\""), "-feed", sampleFeed}, exitUsage,
			[]string{"mood: unknown key"}},
		{"no strategy", []string{"-config", write("ns.toml", withoutStrategies(t, string(base))), "-feed", sampleFeed}, exitUsage,
			[]string{"ns.toml", "no strategies", "[[strategy]]"}},
		{"torn recording", []string{"-config", sampleConfig, "-feed", torn}, exitFailure,
			[]string{torn + " line 1001", "truncated", "No report was written"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report")
			args := append([]string{"backtest"}, tt.args...)
			if tt.name != "no out" {
				args = append(args, "-out", out)
			}
			code, stdout, stderr := runEngine(t, nil, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("a failed backtest printed a summary:\n%s", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed backtest left %s", out)
			}
		})
	}
}

// withoutStrategies is config without its [[strategy]] tables.
func withoutStrategies(t *testing.T, config string) string {
	t.Helper()
	from, to := strings.Index(config, "\n[[strategy]]\n"), strings.Index(config, "\n[risk]\n")
	if from < 0 || to < from {
		t.Fatal("the sample configuration has no [[strategy]] tables before [risk]")
	}
	return config[:from] + config[to:]
}

// tornSample is the sample's first 1000 lines and half of line 1001.
func tornSample(t *testing.T, dir string) string {
	t.Helper()
	f, err := os.Open(sampleFeed)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(all, []byte("\n"))
	b := append(bytes.Join(lines[:1000], nil), lines[1000][:30]...)
	p := filepath.Join(dir, "torn.ndjson")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadBacktestConfig(t *testing.T) {
	cfg, strategies, limits, err := loadBacktestConfig(sampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(strategies) != 2 || strategies[0].Name() != "rebalance-main" || strategies[1].Name() != "twap-eth" {
		t.Fatalf("strategies = %v", strategies)
	}
	if limits.MaxPriceAge.String() != "30s" || limits.MaxOrderNotional.String() != "20000" {
		t.Fatalf("limits = %+v", limits)
	}
	if cfg.Mode != "paper" || len(cfg.Backtest.Pairs) != 2 || cfg.Backtest.Venue.FeeBps.String() != "5" || cfg.Maintenance.Weekday != "Wednesday" {
		t.Fatalf("config = %+v", cfg)
	}
}

// FuzzLoadBacktestConfig: any file either loads, with the strategies its
// tables name, or is refused with an error; it never panics.
func FuzzLoadBacktestConfig(f *testing.F) {
	base, err := os.ReadFile(sampleConfig)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(base)
	f.Add([]byte("mode = \"paper\"\n[[strategy]]\nkind = \"twap\"\n[strategy.params]\nstart = 1979-05-27T07:32:00Z\n"))
	f.Add([]byte("strategy = 3\nrisk = [1, 2]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "c.toml")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, strategies, limits, err := loadBacktestConfig(p)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("loaded an invalid configuration: %v", err)
		}
		if err := limits.Validate(); err != nil {
			t.Fatalf("loaded invalid risk limits: %v", err)
		}
		for _, s := range strategies {
			if s == nil || s.Name() == "" {
				t.Fatalf("loaded a strategy without a name: %v", strategies)
			}
		}
	})
}

// On a terminal the bar is redrawn in place and ends with a newline; a
// failed run ends it before the error.
func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	clk := clock.New(&ticking{m: clock.NewManual(now)})
	p := newProgressBar(&buf, clk)
	p.tty = true
	p.update(backtest.Progress{Ticks: 100, Bytes: 50, TotalBytes: 100, At: now})
	p.update(backtest.Progress{Ticks: 200, Bytes: 100, TotalBytes: 100, At: now, Done: true})
	out := buf.String()
	if !strings.HasPrefix(out, "\r[###############...............]  50%  100 ticks") || !strings.Contains(out, "\r[##############################] 100%  200 ticks") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("bar = %q", out)
	}
	buf.Reset()
	p = newProgressBar(&buf, clk)
	p.tty = true
	p.update(backtest.Progress{Ticks: 1, Bytes: 1, TotalBytes: 100, At: now})
	p.abort()
	if !strings.HasSuffix(buf.String(), " \n") {
		t.Fatalf("abort left the bar open: %q", buf.String())
	}
}

// An -out directory holding files is a flag error (exit 2), found before
// anything is replayed, and what it holds is left alone.
func TestBacktestOutNotEmpty(t *testing.T) {
	out := t.TempDir()
	keep := filepath.Join(out, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runEngine(t, nil, "backtest", "-config", sampleConfig, "-feed", sampleFeed, "-out", out)
	if code != exitUsage || !strings.Contains(stderr, "-out") || !strings.Contains(stderr, "not empty") || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit %d naming -out as not empty", code, stdout, stderr, exitUsage)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Fatalf("the existing file: %q, %v", b, err)
	}
}

// ticking is a manual clock that moves on a second each time it is read.
type ticking struct {
	mu sync.Mutex // makes a reading and its step one move
	m  *clock.Manual
}

func (c *ticking) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m.Advance(time.Second)
	return c.m.Now()
}

func (c *ticking) NewTimer(d time.Duration) clock.Timer { return c.m.NewTimer(d) }

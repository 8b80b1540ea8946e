package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/otcdesk/engine/backtest"
	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// cmdBacktest replays recorded feeds through the configured strategies and
// writes a report; with -sweep, it runs every combination of a sweep file
// (or, with -walk-forward, its walk-forward windows) instead.
func cmdBacktest(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "backtest", "backtest -config FILE -feed FILE [-feed FILE ...] [-from T] [-to T] [-sweep FILE [-walk-forward]] -out DIR",
		"engine backtest -config backtest/testdata/backtest.toml -feed backtest/testdata/sample.ndjson.gz -out report\n"+
			"  engine backtest -config config.toml -feed backtest/testdata/sample.ndjson.gz -sweep backtest/testdata/sweep.toml -out sweep")
	path := fs.String("config", defaultConfigPath, "configuration file: [[strategy]] and [risk] sections, and [backtest] (optional: derived from the recordings and the simulator's defaults when left out)")
	var feedPaths feedList
	fs.Var(&feedPaths, "feed", "recorded tick file (NDJSON, gzip when .gz); repeat for several, or separate with commas (required)")
	fromFlag := fs.String("from", "", "replay ticks received at or after this time: RFC 3339, or a date (UTC midnight)")
	toFlag := fs.String("to", "", "replay ticks received before this time: RFC 3339, or a date (UTC midnight)")
	out := fs.String("out", "", "report directory to create; it must not exist or be empty (required)")
	sweepPath := fs.String("sweep", "", "sweep file: run every combination of its strategy parameters in parallel and rank them")
	walk := fs.Bool("walk-forward", false, "with -sweep: optimise on each in-sample window of the sweep file's [walk_forward] and score the optimum out of sample")
	verbose := fs.Bool("v", false, "log the engine's decisions to stderr")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "backtest: "+format+"\nRun 'engine backtest -h' for the flags and an example.\n", a...)
		return exitUsage
	}
	from, to, msg := checkBacktestFlags(fs, feedPaths, *out, *fromFlag, *toFlag, *sweepPath, *walk)
	if msg != "" {
		return usageErr("%s", msg)
	}
	cfg, opts, code := backtestOptions(e, *path, feedPaths)
	if code != exitOK {
		return code
	}
	opts.Feeds, opts.From, opts.To, opts.Out = feedPaths, from, to, *out
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	defer backtest.TuneGC(e.getenv, *sweepPath != "")()
	if *sweepPath != "" {
		return runSweep(ctx, e, cfg, opts, *sweepPath, *walk)
	}
	bar := newProgressBar(e.stderr, e.clock)
	opts.Progress, opts.ProgressEvery = bar.update, 8192
	sum, err := backtest.Run(ctx, opts)
	if err != nil {
		bar.abort()
		fmt.Fprintf(e.stderr, "%v\nNo report was written.\n", err)
		return exitFailure
	}
	sum.WriteText(e.stdout)
	fmt.Fprintf(e.stdout, "Report           %s (%s, %s, %s, %s, %s, %s)\n", *out, backtest.FileReport, backtest.FileSummary,
		backtest.FileTrades, backtest.FileEquity, backtest.FileChart, backtest.FileChartSV)
	return exitOK
}

// checkBacktestFlags checks the flags that need no file read, and returns
// the range, or what is wrong.
func checkBacktestFlags(fs *flag.FlagSet, feeds feedList, out, fromFlag, toFlag, sweep string, walk bool) (from, to time.Time, msg string) {
	switch {
	case fs.NArg() > 0:
		return from, to, fmt.Sprintf("unexpected argument %q", fs.Arg(0))
	case len(feeds) == 0:
		return from, to, "-feed is required: a tick file made by `engine record`"
	case out == "":
		return from, to, "-out is required: the directory the report is written to"
	case walk && sweep == "":
		return from, to, "-walk-forward needs -sweep FILE: the parameters to optimise and the windows"
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return from, to, fmt.Sprintf("-out %s exists and is not empty: choose another directory or remove it", out)
	}
	from, err := parseWhen(fromFlag)
	if err != nil {
		return from, to, fmt.Sprintf("-from: %v", err)
	}
	if to, err = parseWhen(toFlag); err != nil {
		return from, to, fmt.Sprintf("-to: %v", err)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, fmt.Sprintf("empty time range: -from %s is not before -to %s", fromFlag, toFlag)
	}
	return from, to, ""
}

// backtestOptions loads the configuration, completes its [backtest]
// section from the recordings and the simulator's defaults, and returns
// the run's options; a problem is printed and its exit code returned.
func backtestOptions(e *env, path string, feeds []string) (config.Config, backtest.Options, int) {
	cfg, strategies, limits, err := loadBacktestConfig(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "%v\n", err)
		return cfg, backtest.Options{}, exitUsage
	}
	gate, err := cfg.Maintenance.Gate()
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: maintenance: %v\n", path, err)
		return cfg, backtest.Options{}, exitUsage
	}
	bt, notes, err := cfg.Backtest.Complete(feeds, simDefaults(cfg))
	if err != nil {
		var fe *backtest.FeedError
		fmt.Fprintf(e.stderr, "%v\nNo report was written.\n", err)
		if errors.As(err, &fe) {
			return cfg, backtest.Options{}, exitFailure
		}
		return cfg, backtest.Options{}, exitUsage
	}
	opts, err := backtest.FromConfig(bt, strategies, limits, gate)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			ce.Name = path
		}
		fmt.Fprintf(e.stderr, "%v\n", err)
		return cfg, backtest.Options{}, exitUsage
	}
	opts.Notes, opts.Treasury = notes, cfg.Treasury
	return cfg, opts, exitOK
}

// simDefaults are what a configuration without a [backtest] section is
// completed with: the [risk] reference, and the simulator's listing and
// opening balances, which is what paper mode trades against.
func simDefaults(cfg config.Config) backtest.Defaults {
	var listing []market.Pair
	for _, p := range sim.DefaultPairs() {
		listing = append(listing, p.Pair)
	}
	return backtest.Defaults{Reference: string(cfg.Risk.Reference), Listing: listing, Balances: sim.DefaultBalances()}
}

// feedList is a repeatable -feed flag that also takes comma-separated paths.
type feedList []string

func (f *feedList) String() string { return strings.Join(*f, ",") }

func (f *feedList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*f = append(*f, p)
		}
	}
	return nil
}

var _ flag.Value = (*feedList)(nil)

// loadBacktestConfig loads the file as the daemon does and builds its
// strategies and risk limits. Its [backtest] section is checked once
// completed (backtestOptions).
func loadBacktestConfig(path string) (config.Config, []strategy.Strategy, risk.Limits, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return config.Config{}, nil, risk.Limits{}, err
	}
	strategies, err := daemon.BuildStrategies(cfg, strategy.Builtins())
	if err != nil {
		return config.Config{}, nil, risk.Limits{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(strategies) == 0 {
		// A configuration problem (exit 2), not a failed replay.
		return config.Config{}, nil, risk.Limits{}, fmt.Errorf("%s: no strategies: configure at least one [[strategy]] to backtest", path)
	}
	return cfg, strategies, cfg.Risk, nil
}

// progressBar shows a run's progress: a bar redrawn in place on a
// terminal, a plain line every tenth of the way otherwise.
type progressBar struct {
	w        io.Writer
	tty      bool
	clock    clock.Clock
	began    time.Time
	lastDraw time.Time
	lastStep int64
	drawn    bool
}

func newProgressBar(w io.Writer, clk clock.Clock) *progressBar {
	p := &progressBar{w: w, clock: clk, began: clk.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progressBar) update(pr backtest.Progress) {
	frac := 0.0
	if pr.TotalBytes > 0 {
		frac = min(float64(pr.Bytes)/float64(pr.TotalBytes), 1)
	}
	if pr.Done {
		frac = 1
	}
	elapsed := p.clock.Since(p.began)
	rate := ""
	if s := elapsed.Seconds(); s > 0 {
		rate = fmt.Sprintf("%.0f ticks/s", float64(pr.Ticks)/s)
	}
	at := pr.At.UTC().Format("2006-01-02 15:04")
	if p.tty {
		if !pr.Done && p.clock.Since(p.lastDraw) < 100*time.Millisecond {
			return
		}
		p.lastDraw = p.clock.Now()
		const width = 30
		fill := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d ticks  %s  %s ", strings.Repeat("#", fill), strings.Repeat(".", width-fill), frac*100, pr.Ticks, at, rate)
		p.drawn = true
		if pr.Done {
			fmt.Fprintln(p.w)
			p.drawn = false
		}
		return
	}
	if step := int64(frac * 10); step > p.lastStep || pr.Done {
		p.lastStep = step
		fmt.Fprintf(p.w, "backtest: %3.0f%%  %d ticks  simulated %s  %s\n", frac*100, pr.Ticks, at, rate)
	}
}

// abort ends a bar drawn in place, so an error starts on its own line.
func (p *progressBar) abort() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

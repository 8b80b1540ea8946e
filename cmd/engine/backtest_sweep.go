package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otcdesk/engine/backtest"
	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/strategy"
)

// runSweep runs a sweep (or its walk-forward) over one decoded copy of
// the recordings and writes its tables into opts.Out, built beside it and
// renamed into place when complete.
func runSweep(ctx context.Context, e *env, cfg config.Config, opts backtest.Options, path string, walk bool) int {
	file, err := backtest.LoadSweepFile(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "%v\n", err)
		return exitUsage
	}
	var specs []strategy.Spec
	for _, sp := range cfg.Strategies {
		if !sp.Disabled {
			specs = append(specs, sp)
		}
	}
	s := backtest.Sweep{Base: opts, Specs: specs, Registry: strategy.Builtins(), File: file}
	if err := s.Check(); err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", path, err)
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(e.stderr, "%v\nNo report was written.\n", err)
		return exitFailure
	}
	tape, err := backtest.LoadTape(ctx, opts.Feeds, opts.From, opts.To)
	if err != nil {
		return fail(err)
	}
	s.Base.Tape = tape
	bar := &sweepBar{p: newProgressBar(e.stderr, e.clock)}
	s.Progress = bar.update
	files, code := sweepFiles(ctx, e, s, walk, bar)
	if code != exitOK {
		return code
	}
	if err := writeDir(ctx, opts.Out, files); err != nil {
		return fail(err)
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, f.name)
	}
	fmt.Fprintf(e.stdout, "Written          %s (%s)\n", opts.Out, strings.Join(names, ", "))
	if !walk {
		if _, err := os.Stat(filepath.Join(opts.Out, backtest.FileBestTOML)); err != nil {
			fmt.Fprintln(e.stderr, "backtest: no combination is within the constraints: loosen them or widen the ranges")
			return exitFailure
		}
	}
	return exitOK
}

// outFile is a file of the sweep's output directory: its bytes, or a
// report directory to run into it.
type outFile struct {
	name string
	data []byte
	run  *backtest.Options
}

// sweepFiles runs the sweep or the walk-forward, prints its text, and
// returns the files to write.
func sweepFiles(ctx context.Context, e *env, s backtest.Sweep, walk bool, bar *sweepBar) ([]outFile, int) {
	render := func(w func(io.Writer) error) []byte {
		var b bytes.Buffer
		if err := w(&b); err != nil {
			panic(err) // writing to a bytes.Buffer fails only on a template bug
		}
		return b.Bytes()
	}
	if walk {
		res, err := s.WalkForward(ctx)
		bar.done()
		if err != nil {
			return nil, failOrUsage(e, err)
		}
		res.WriteText(e.stdout)
		return []outFile{{name: backtest.FileWalkCSV, data: render(res.WriteCSV)}, {name: backtest.FileWalkHTML, data: render(res.WriteHTML)}}, exitOK
	}
	res, err := s.Run(ctx)
	bar.done()
	if err != nil {
		return nil, failOrUsage(e, err)
	}
	res.WriteText(e.stdout, 10)
	files := []outFile{{name: backtest.FileSweepCSV, data: render(res.WriteCSV)}, {name: backtest.FileSweepHTML, data: render(res.WriteHTML)}}
	best, ok := res.Best()
	if !ok {
		return files, exitOK
	}
	block := res.BestTOML()
	fmt.Fprintf(e.stdout, "\nBest configuration (%s):\n\n%s", backtest.FileBestTOML, block)
	files = append(files, outFile{name: backtest.FileBestTOML, data: []byte(block)})
	// The best combination's full report, as a plain backtest writes it.
	o := s.Base
	o.Strategies = nil
	for _, sp := range best.Specs() {
		st, err := s.Registry.New(sp.Kind, sp.Name, sp.Decode)
		if err != nil {
			return nil, failOrUsage(e, err)
		}
		o.Strategies = append(o.Strategies, st)
	}
	return append(files, outFile{name: "best", run: &o}), exitOK
}

func failOrUsage(e *env, err error) int {
	fmt.Fprintf(e.stderr, "%v\nNo report was written.\n", err)
	var te *tomlval.Error
	if errors.As(err, &te) {
		return exitUsage
	}
	return exitFailure
}

// writeDir writes files into a hidden directory beside out, then renames
// it to out: a failure leaves nothing.
func writeDir(ctx context.Context, out string, files []outFile) (err error) {
	out = filepath.Clean(out)
	stage, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".partial-*")
	if err != nil {
		return fmt.Errorf("backtest: output directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	for _, f := range files {
		if f.run != nil {
			o := *f.run
			o.Out = filepath.Join(stage, f.name)
			if _, err := backtest.Run(ctx, o); err != nil {
				return err
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(stage, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("backtest: write %s: %w", f.name, err)
		}
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return fmt.Errorf("backtest: %s was filled while the sweep ran: choose another -out", out)
	}
	if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backtest: %w", err)
	}
	if err := os.Rename(stage, out); err != nil {
		return fmt.Errorf("backtest: publish the results: %w", err)
	}
	return nil
}

// sweepBar shows a sweep's progress on stderr: redrawn in place on a
// terminal, a plain line every tenth of the runs otherwise. Its rate is
// wall-clock time, so it never reaches the tables.
type sweepBar struct {
	p *progressBar
}

func (b *sweepBar) update(pr backtest.SweepProgress) {
	p := b.p
	frac := 0.0
	if pr.Total > 0 {
		frac = float64(pr.Runs) / float64(pr.Total)
	}
	elapsed := p.clock.Now().Sub(p.began)
	rate := ""
	if s := elapsed.Seconds(); s > 0 {
		rate = fmt.Sprintf("%.2f M ticks/s", float64(pr.Ticks)/s/1e6)
	}
	stopped := ""
	if pr.Stopped > 0 {
		stopped = fmt.Sprintf(" (%d stopped early)", pr.Stopped)
	}
	if p.tty {
		if pr.Runs < pr.Total && p.clock.Now().Sub(p.lastDraw) < 100*time.Millisecond {
			return
		}
		p.lastDraw = p.clock.Now()
		const width = 30
		fill := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d runs%s  %s ", strings.Repeat("#", fill), strings.Repeat(".", width-fill), pr.Runs, pr.Total, stopped, rate)
		p.drawn = true
		return
	}
	if step := int64(frac * 10); step > p.lastStep || (pr.Runs == pr.Total && !p.drawn) {
		p.lastStep = step
		if pr.Runs == pr.Total {
			p.drawn = true
		}
		fmt.Fprintf(p.w, "sweep: %3.0f%%  %d/%d runs%s  %s\n", frac*100, pr.Runs, pr.Total, stopped, rate)
	}
}

// done ends the bar drawn in place.
func (b *sweepBar) done() {
	if b.p.tty && b.p.drawn {
		fmt.Fprintln(b.p.w)
		b.p.drawn = false
	}
}

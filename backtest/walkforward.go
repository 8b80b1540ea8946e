package backtest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Walk-forward output files.
const (
	FileWalkCSV  = "walkforward.csv"
	FileWalkHTML = "walkforward.html"
)

// Window is one walk-forward step: optimise over [InFrom, InTo), score the
// optimum over [OutFrom, OutTo) that follows.
type Window struct {
	InFrom, InTo, OutFrom, OutTo time.Time
}

// WindowResult is one window's optimisation and its test.
type WindowResult struct {
	Window
	// In and Out rank every combination over the in-sample and the
	// out-of-sample window.
	In, Out *SweepResult
	// Chosen is the in-sample optimum (Chose false when no combination
	// was within the constraints in-sample); Tested is the same
	// combination out of sample, and TestedRank its rank there.
	Chosen     Outcome
	Chose      bool
	Tested     Outcome
	TestedRank int
}

// WalkForwardResult is every window of a walk-forward.
type WalkForwardResult struct {
	File    SweepFile
	Keys    []string
	Feeds   []string
	Windows []WindowResult
}

// windows cuts [first, last] (widened to whole minutes) into the
// walk-forward windows: rolling ones
// of fixed length, or anchored ones all starting at first; each moved on
// by Step (default: the out-of-sample length) while its out-of-sample
// window ends by last.
func (w WalkForward) windows(first, last time.Time) ([]Window, error) {
	in, out, step := w.InSample.Duration, w.OutOfSample.Duration, w.Step.Duration
	if step <= 0 {
		step = out
	}
	// The recordings span whole minutes: a recording of four days whose
	// last tick is at 23:59:50 holds four days of windows.
	start, end := first.Truncate(time.Minute), last.Truncate(time.Minute)
	if !end.Equal(last) {
		end = end.Add(time.Minute)
	}
	var ws []Window
	for k := 0; ; k++ {
		from, to := start.Add(time.Duration(k)*step), start.Add(in+time.Duration(k)*step)
		if w.Mode == Anchored {
			from = start
		}
		if to.Add(out).After(end) {
			break
		}
		ws = append(ws, Window{InFrom: from, InTo: to, OutFrom: to, OutTo: to.Add(out)})
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("backtest: walk-forward: the recordings cover %s to %s, shorter than in_sample %s plus out_of_sample %s",
			first.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339), formatDuration(in), formatDuration(out))
	}
	return ws, nil
}

// WalkForward optimises on each in-sample window and scores the optimum
// on the out-of-sample window after it, running every combination on
// both (so the table shows where the in-sample choice ranks out of
// sample). It needs File.WalkForward's in_sample and out_of_sample.
func (s Sweep) WalkForward(ctx context.Context) (*WalkForwardResult, error) {
	if err := s.File.walkForwardProblems(); err != nil {
		return nil, err
	}
	p, err := s.expand()
	if err != nil {
		return nil, err
	}
	if s.Base.Tape == nil {
		return nil, errors.New("backtest: walk-forward: no tape: load the recordings with LoadTape")
	}
	first, last := s.Base.Tape.Span()
	if !s.Base.From.IsZero() && s.Base.From.After(first) {
		first = s.Base.From
	}
	if !s.Base.To.IsZero() && !s.Base.To.After(last) {
		last = s.Base.To.Add(-time.Nanosecond)
	}
	ws, err := s.File.WalkForward.windows(first, last)
	if err != nil {
		return nil, err
	}
	n := len(p.combos)
	jobs := make([]job, 0, 2*n*len(ws))
	for _, w := range ws {
		for i := range n {
			jobs = append(jobs, job{combo: i, from: w.InFrom, to: w.InTo})
		}
		for i := range n {
			jobs = append(jobs, job{combo: i, from: w.OutFrom, to: w.OutTo})
		}
	}
	out, err := p.runAll(ctx, jobs)
	if err != nil {
		return nil, err
	}
	res := &WalkForwardResult{File: s.File, Keys: p.keys, Feeds: s.Base.Tape.Feeds()}
	for k, w := range ws {
		base := 2 * n * k
		wr := WindowResult{Window: w,
			In:  p.result(out[base:base+n], w.InFrom, w.InTo),
			Out: p.result(out[base+n:base+2*n], w.OutFrom, w.OutTo)}
		if best, ok := wr.In.Best(); ok {
			wr.Chosen, wr.Chose = best, true
			for _, o := range wr.Out.Outcomes {
				if o.ID == best.ID {
					wr.Tested, wr.TestedRank = o, o.Rank
				}
			}
		}
		res.Windows = append(res.Windows, wr)
	}
	return res, nil
}

// Efficiency is the mean out-of-sample score of the chosen combinations
// over their mean in-sample score (1 when the optimum holds up, below
// when it was fitted to the noise of its window), and false when no
// window has both or the in-sample mean is not positive (the ratio then
// says nothing).
func (r *WalkForwardResult) Efficiency() (decimal.Decimal, bool) {
	var in, out decimal.Decimal
	n := 0
	for _, w := range r.Windows {
		if w.Chose && w.Tested.Scored {
			in, out = in.Add(w.Chosen.Score), out.Add(w.Tested.Score)
			n++
		}
	}
	if n == 0 || !in.IsPositive() {
		return decimal.Decimal{}, false
	}
	return out.DivRound(in, 4), true
}

// OutOfSampleReturn compounds the chosen combinations' out-of-sample
// returns: what following the walk-forward would have earned.
func (r *WalkForwardResult) OutOfSampleReturn() decimal.Decimal {
	g := decimal.NewFromInt(1)
	for _, w := range r.Windows {
		if w.Chose && w.Tested.Summary != nil {
			if ret, ok := metric(w.Tested.Summary, "return"); ok {
				g = g.Mul(ret.Add(decimal.NewFromInt(1))).Round(12)
			}
		}
	}
	return g.Sub(decimal.NewFromInt(1)).Round(8)
}

var walkColumns = []string{"window", "in_from", "in_to", "out_from", "out_to", "chosen"}

var walkResultColumns = []string{"in_status", "in_score", "in_return", "out_status", "out_score", "out_return",
	"out_rank", "out_best", "out_best_score", "note"}

// rows are the table's rows, one per window.
func (r *WalkForwardResult) rows() [][]string {
	var rows [][]string
	for k, w := range r.Windows {
		row := []string{fmt.Sprint(k + 1), stamp(w.InFrom), stamp(w.InTo), stamp(w.OutFrom), stamp(w.OutTo)}
		if !w.Chose {
			row = append(row, "")
			for range r.Keys {
				row = append(row, "")
			}
			row = append(row, "", "", "", "", "", "", "", "", "", "no combination within the constraints in sample")
			rows = append(rows, row)
			continue
		}
		row = append(row, fmt.Sprint(w.Chosen.ID))
		for _, v := range w.Chosen.Values {
			row = append(row, plainValue(v))
		}
		ret := func(o Outcome) string {
			if o.Summary == nil {
				return ""
			}
			return o.Summary.Return
		}
		best := w.Out.Outcomes[0]
		row = append(row, w.Chosen.Status, scoreText(w.Chosen), ret(w.Chosen),
			w.Tested.Status, scoreText(w.Tested), ret(w.Tested), fmt.Sprintf("%d/%d", w.TestedRank, len(w.Out.Outcomes)),
			fmt.Sprint(best.ID), scoreText(best), w.Tested.Note)
		rows = append(rows, row)
	}
	return rows
}

func (r *WalkForwardResult) columns() []string {
	cols := append([]string{}, walkColumns...)
	cols = append(cols, r.Keys...)
	return append(cols, walkResultColumns...)
}

// WriteCSV writes one row per window: the in-sample optimum and its
// scores in and out of sample side by side. Like the sweep's table, it
// is the same bytes for the same inputs.
func (r *WalkForwardResult) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.columns()); err != nil {
		return err
	}
	for _, row := range r.rows() {
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteText prints the windows for a terminal.
func (r *WalkForwardResult) WriteText(w io.Writer) {
	mode := r.File.WalkForward.Mode
	if mode == "" {
		mode = Rolling
	}
	fmt.Fprintf(w, "Walk-forward (%s): %d windows, in sample %s, out of sample %s; objective %s\n", mode, len(r.Windows),
		formatDuration(r.File.WalkForward.InSample.Duration), formatDuration(r.File.WalkForward.OutOfSample.Duration), r.File.Objective)
	for k, win := range r.Windows {
		fmt.Fprintf(w, "  %2d  in %s to %s  out to %s  ", k+1, win.InFrom.UTC().Format("01-02 15:04"), win.InTo.UTC().Format("01-02 15:04"),
			win.OutTo.UTC().Format("01-02 15:04"))
		if !win.Chose {
			fmt.Fprintln(w, "no combination within the constraints in sample")
			continue
		}
		var vals []string
		for i, v := range win.Chosen.Values {
			vals = append(vals, r.Keys[i]+"="+plainValue(v))
		}
		fmt.Fprintf(w, "chose #%d (%s): in %s, out %s (%s, rank %d/%d)\n", win.Chosen.ID, strings.Join(vals, " "),
			scoreText(win.Chosen), orNA(scoreText(win.Tested)), win.Tested.Status, win.TestedRank, len(win.Out.Outcomes))
	}
	eff := "n/a"
	if e, ok := r.Efficiency(); ok {
		eff = e.String()
	}
	fmt.Fprintf(w, "Efficiency       %s (mean out-of-sample score over mean in-sample score)\n", eff)
	fmt.Fprintf(w, "Out of sample    %s compounded return of the chosen combinations\n", r.OutOfSampleReturn())
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

// WriteHTML writes the windows as a self-contained page.
func (r *WalkForwardResult) WriteHTML(w io.Writer) error {
	eff := "n/a"
	if e, ok := r.Efficiency(); ok {
		eff = e.String()
	}
	return walkTemplate.Execute(w, struct {
		R        *WalkForwardResult
		Columns  []string
		Rows     [][]string
		Eff, OOS string
	}{r, r.columns(), r.rows(), eff, r.OutOfSampleReturn().String()})
}

var walkTemplate = template.Must(template.New("walk").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Walk-forward: {{len .R.Windows}} windows</title>
<style>
` + pageStyle + `
</style>
</head>
<body>
<h1>Walk-forward</h1>
<p>{{len .R.Windows}} {{or .R.File.WalkForward.Mode "rolling"}} windows over {{range $i, $f := .R.Feeds}}{{if $i}}, {{end}}<code>{{$f}}</code>{{end}}:
optimise <b>{{.R.File.Objective}}</b> in sample ({{.R.File.WalkForward.InSample.Duration}}),
score the optimum on the out-of-sample window after it ({{.R.File.WalkForward.OutOfSample.Duration}}).
{{range .R.File.Constraints}}Constraint: {{.}}. {{end}}</p>
<p>Efficiency (mean out-of-sample score over mean in-sample score): <b>{{.Eff}}</b>.
Compounded out-of-sample return of the chosen combinations: <b>{{.OOS}}</b>.
An optimum that holds scores about as well out of sample as in sample and ranks near the top there;
one fitted to its window falls.</p>
<table class="rows">
<tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
</body>
</html>
`))

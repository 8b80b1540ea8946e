package backtest

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Sweep output files, in the directory given to `engine backtest -sweep`.
const (
	FileSweepCSV  = "sweep.csv"
	FileSweepHTML = "sweep.html"
	FileBestTOML  = "best.toml"
)

// plainValue writes a param value for a table cell: strings bare, the
// rest as TOML writes them.
func plainValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return showValue(v)
}

func ratioText(x *float64) string {
	if x == nil {
		return ""
	}
	return fmt.Sprintf("%.4f", *x)
}

// scoreText is a score rounded for tables; empty when unscored.
func scoreText(o Outcome) string {
	if !o.Scored {
		return ""
	}
	return o.Score.Round(8).String()
}

// outcomeColumns are the result columns of the sweep table, after the
// rank, the combination and its values.
var outcomeColumns = []string{"status", "score", "return", "excess_return", "pnl", "max_drawdown", "sharpe", "sortino",
	"trades", "fees", "turnover", "note"}

func outcomeCells(o Outcome) []string {
	row := []string{o.Status, scoreText(o)}
	if s := o.Summary; s != nil {
		row = append(row, s.Return, s.ExcessReturn, s.PnL, s.MaxDrawdown, ratioText(s.Sharpe), ratioText(s.Sortino),
			fmt.Sprint(s.Trades), s.Fees, s.Turnover)
	} else {
		row = append(row, "", "", "", "", "", "", "", "", "")
	}
	return append(row, o.Note)
}

// WriteCSV writes the ranked table: one row per combination, best first.
// It holds nothing that depends on the machine or the wall clock: the same
// sweep gives the same bytes.
func (r *SweepResult) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := append([]string{"rank", "combination"}, r.Keys...)
	if err := cw.Write(append(head, outcomeColumns...)); err != nil {
		return err
	}
	for _, o := range r.Outcomes {
		row := []string{fmt.Sprint(o.Rank), fmt.Sprint(o.ID)}
		for _, v := range o.Values {
			row = append(row, plainValue(v))
		}
		if err := cw.Write(append(row, outcomeCells(o)...)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteText prints the best combinations for a terminal.
func (r *SweepResult) WriteText(w io.Writer, top int) {
	fmt.Fprintf(w, "Sweep of %d combinations over %d ticks from %s to %s\n", len(r.Outcomes), r.Ticks,
		r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "Objective        %s\n", r.File.Objective)
	for _, c := range r.File.Constraints {
		fmt.Fprintf(w, "Constraint       %s\n", c)
	}
	counts := map[string]int{}
	for _, o := range r.Outcomes {
		counts[o.Status]++
	}
	fmt.Fprintf(w, "Outcomes         %s\n", countsText(counts))
	for _, o := range r.Outcomes[:min(top, len(r.Outcomes))] {
		var vals []string
		for i, v := range o.Values {
			vals = append(vals, r.Keys[i]+"="+plainValue(v))
		}
		fmt.Fprintf(w, "  #%-3d %-10s score %-14s %s", o.Rank, o.Status, scoreText(o), strings.Join(vals, " "))
		if o.Note != "" {
			fmt.Fprintf(w, "  (%s)", o.Note)
		}
		fmt.Fprintln(w)
	}
}

func countsText(m map[string]int) string {
	var parts []string
	for _, st := range []string{StatusOK, StatusInfeasible, StatusStopped, StatusUnscored, StatusFailed} {
		if m[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[st], st))
		}
	}
	return strings.Join(parts, ", ")
}

// heatmap is the grid of scores over the two params that vary, when
// exactly two do.
type heatmap struct {
	RowKey, ColKey string
	Cols           []string
	Rows           []heatRow
}

type heatRow struct {
	Label string
	Cells []heatCell
}

type heatCell struct {
	Text, Title string
	Style       template.CSS
}

func (r *SweepResult) heatmap() *heatmap {
	var axes []int
	for i, vs := range r.Varied {
		if len(vs) > 1 {
			axes = append(axes, i)
		}
	}
	if len(axes) != 2 {
		return nil
	}
	a, b := axes[0], axes[1]
	byCell := map[[2]string]Outcome{}
	lo, hi, any := decimal.Decimal{}, decimal.Decimal{}, false
	for _, o := range r.Outcomes {
		byCell[[2]string{plainValue(o.Values[a]), plainValue(o.Values[b])}] = o
		if o.Status == StatusOK {
			if !any || o.Score.LessThan(lo) {
				lo = o.Score
			}
			if !any || o.Score.GreaterThan(hi) {
				hi = o.Score
			}
			any = true
		}
	}
	h := &heatmap{RowKey: r.Keys[a], ColKey: r.Keys[b]}
	for _, v := range r.Varied[b] {
		h.Cols = append(h.Cols, plainValue(v))
	}
	for _, va := range r.Varied[a] {
		row := heatRow{Label: plainValue(va)}
		for _, vb := range r.Varied[b] {
			o := byCell[[2]string{plainValue(va), plainValue(vb)}]
			row.Cells = append(row.Cells, heatCellOf(o, lo, hi))
		}
		h.Rows = append(h.Rows, row)
	}
	return h
}

// heatCellOf colours an outcome from red (the lowest score within the
// constraints) to green (the highest); grey outside them.
func heatCellOf(o Outcome, lo, hi decimal.Decimal) heatCell {
	c := heatCell{Text: scoreText(o), Title: fmt.Sprintf("#%d %s %s", o.Rank, o.Status, o.Note)}
	if o.Status != StatusOK {
		if c.Text == "" {
			c.Text = "×"
		} else {
			c.Text = "× " + c.Text
		}
		c.Style = "background:#ddd;color:#777"
		return c
	}
	f := 1.0
	if span := hi.Sub(lo); span.IsPositive() {
		f = o.Score.Sub(lo).Div(span).InexactFloat64()
	}
	c.Style = template.CSS(fmt.Sprintf("background:hsl(%.0f,65%%,78%%)", f*120))
	if o.Rank == 1 {
		c.Style += ";font-weight:bold;outline:2px solid #222"
	}
	return c
}

type sweepPage struct {
	R       *SweepResult
	Best    string
	Heat    *heatmap
	Counts  string
	Columns []string
	Rows    [][]string
}

// WriteHTML writes the ranked table as a self-contained page (no script,
// no outside resource) with the best configuration and, when exactly two
// params vary, a heatmap of the score over them.
func (r *SweepResult) WriteHTML(w io.Writer) error {
	counts := map[string]int{}
	for _, o := range r.Outcomes {
		counts[o.Status]++
	}
	pg := sweepPage{R: r, Best: r.BestTOML(), Heat: r.heatmap(), Counts: countsText(counts),
		Columns: append(append([]string{"rank", "combination"}, r.Keys...), outcomeColumns...)}
	for _, o := range r.Outcomes {
		row := []string{fmt.Sprint(o.Rank), fmt.Sprint(o.ID)}
		for _, v := range o.Values {
			row = append(row, plainValue(v))
		}
		pg.Rows = append(pg.Rows, append(row, outcomeCells(o)...))
	}
	return sweepTemplate.Execute(w, pg)
}

// pageStyle is shared by the sweep and walk-forward pages.
const pageStyle = `body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
table.rows td:last-child { text-align: left; white-space: normal; }
.heat td { text-align: center; border: 1px solid #fff; }`

var sweepTemplate = template.Must(template.New("sweep").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sweep: {{len .R.Outcomes}} combinations</title>
<style>
` + pageStyle + `
</style>
</head>
<body>
<h1>Parameter sweep</h1>
<p>{{len .R.Outcomes}} combinations over {{.R.Ticks}} ticks from {{.R.From.UTC.Format "2006-01-02 15:04:05"}} to {{.R.To.UTC.Format "2006-01-02 15:04:05"}} UTC
({{range $i, $f := .R.Feeds}}{{if $i}}, {{end}}<code>{{$f}}</code>{{end}}); seed {{.R.File.Seed}}.</p>
<p>Objective: maximise <b>{{.R.File.Objective}}</b>.{{range .R.File.Constraints}} Constraint: {{.}}.{{end}}
Outcomes: {{.Counts}}.</p>
{{if .Best}}<h2>Best configuration</h2>
<pre>{{.Best}}</pre>{{else}}<p><b>No combination is within the constraints.</b></p>{{end}}
{{with .Heat}}<h2>Score by {{.RowKey}} and {{.ColKey}}</h2>
<table class="heat">
<tr><th>{{.RowKey}} \ {{.ColKey}}</th>{{range .Cols}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><th>{{.Label}}</th>{{range .Cells}}<td style="{{.Style}}" title="{{.Title}}">{{.Text}}</td>{{end}}</tr>
{{end}}</table>
<p>Green is the best score within the constraints, red the worst; grey (×) breaks a constraint or has no score.</p>{{end}}
<h2>Ranked</h2>
<table class="rows">
<tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
</body>
</html>
`))

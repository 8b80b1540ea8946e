package backtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// writeReport writes summary.json, the chart and report.html into dir.
func writeReport(dir string, s *Summary, r *replay) error {
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("backtest: summary: %w", err)
	}
	pts := slices.Clone(r.chart.pts)
	if n := len(pts); n == 0 || !pts[n-1].at.Equal(r.curve.last.at) {
		pts = append(pts, chartPointOf(r.curve.last))
	}
	png, svg, err := chart(pts, s.Reference)
	if err != nil {
		return err
	}
	var text bytes.Buffer
	s.WriteText(&text)
	var page bytes.Buffer
	if err := reportPage.Execute(&page, reportData{
		S: s, Text: text.String(),
		PNG: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		SVG: template.HTML(stripXMLHeader(svg)),
	}); err != nil {
		return fmt.Errorf("backtest: report page: %w", err)
	}
	for name, b := range map[string][]byte{
		FileSummary: append(js, '\n'), FileChart: png, FileChartSV: svg, FileReport: page.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("backtest: write the report: %w", err)
		}
	}
	return nil
}

// stripXMLHeader drops an <?xml ...?> declaration so the SVG can be inlined
// in HTML.
func stripXMLHeader(svg []byte) string {
	s := string(svg)
	if strings.HasPrefix(s, "<?xml") {
		if i := strings.Index(s, "?>"); i >= 0 {
			s = s[i+2:]
		}
	}
	return strings.TrimSpace(s)
}

type reportData struct {
	S    *Summary
	Text string
	PNG  template.URL
	SVG  template.HTML
}

var reportPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Backtest {{.S.FirstTick.Format "2006-01-02"}} to {{.S.LastTick.Format "2006-01-02"}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 64em; color: #222; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; }
td, th { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
</style>
</head>
<body>
<h1>Backtest</h1>
<p>{{.S.Ticks}} ticks from {{.S.FirstTick.Format "2006-01-02 15:04:05"}} to {{.S.LastTick.Format "2006-01-02 15:04:05"}} UTC;
strategies {{range $i, $s := .S.Strategies}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}.</p>
<h2>Equity and drawdown</h2>
<figure>{{.SVG}}</figure>
<p><a download="equity.png" href="{{.PNG}}">Chart as PNG</a> ·
<a href="equity.csv">equity.csv</a> · <a href="trades.csv">trades.csv</a> · <a href="summary.json">summary.json</a></p>
<h2>Summary</h2>
<pre>{{.Text}}</pre>
<h2>Assets</h2>
<table>
<tr><th>Asset</th><th>Start</th><th>End</th><th>Change</th><th>Value change ({{.S.Reference}})</th></tr>
{{range $a, $p := .S.Assets}}<tr><td>{{$a}}</td><td>{{$p.Start}}</td><td>{{$p.End}}</td><td>{{$p.Change}}</td><td>{{$p.ValueChange}}</td></tr>
{{end}}</table>
</body>
</html>
`))

// WriteText prints the summary for a terminal.
func (s *Summary) WriteText(w io.Writer) {
	pct := func(f string) string {
		d, err := decimal.NewFromString(f)
		if err != nil {
			return "n/a"
		}
		return d.Shift(2).StringFixed(2) + "%"
	}
	signed := func(a string) string {
		if !strings.HasPrefix(a, "-") {
			return "+" + a
		}
		return a
	}
	ratio := func(x *float64) string {
		if x == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.2f", *x)
	}
	fmt.Fprintf(w, "Backtest of %d ticks from %s to %s (%s)\n", s.Ticks, s.FirstTick.Format(time.RFC3339), s.LastTick.Format(time.RFC3339),
		strings.Join(s.Feeds, ", "))
	fmt.Fprintf(w, "Strategies       %s\n", strings.Join(s.Strategies, ", "))
	ret := "n/a"
	if s.Return != "" {
		ret = signed(pct(s.Return))
	}
	fmt.Fprintf(w, "Return           %s  (%s -> %s %s)\n", ret, s.StartEquity, s.EndEquity, s.Reference)
	fmt.Fprintf(w, "PnL              %s %s\n", signed(s.PnL), s.Reference)
	if s.BenchmarkReturn != "" {
		fmt.Fprintf(w, "Benchmark        %s holding the opening balances (%s %s); excess return %s\n",
			signed(pct(s.BenchmarkReturn)), s.BenchmarkEquity, s.Reference, signed(pct(s.ExcessReturn)))
	}
	assets := make([]string, 0, len(s.Assets))
	for a := range s.Assets {
		assets = append(assets, a)
	}
	slices.Sort(assets)
	for _, a := range assets {
		p := s.Assets[a]
		fmt.Fprintf(w, "  %-14s %s %s  (%s %s)\n", a, signed(p.Change), a, signed(p.ValueChange), s.Reference)
	}
	dd := pct(s.MaxDrawdown) + " (" + s.MaxDrawdownAmount + " " + s.Reference + ")"
	if s.MaxDrawdownPeak != nil {
		dd += ", peak " + s.MaxDrawdownPeak.Format(time.RFC3339) + ", trough " + s.MaxDrawdownTrough.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "Max drawdown     %s\n", dd)
	fmt.Fprintf(w, "Sharpe           %s  (daily, %d days, annualised)\n", ratio(s.Sharpe), s.Days)
	fmt.Fprintf(w, "Sortino          %s\n", ratio(s.Sortino))
	fmt.Fprintf(w, "Trades           %d, turnover %s %s, fees %s %s\n", s.Trades, s.Turnover, s.Reference, s.Fees, s.Reference)
	fmt.Fprintf(w, "Exposure         average %s, max %s\n", pct(s.ExposureAverage), pct(s.ExposureMax))
	fmt.Fprintf(w, "Intents          %d decided: %d filled, %d failed, %d rejected by risk\n",
		s.Intents.Decided, s.Intents.Filled, s.Intents.Failed, s.Intents.Rejected)
	fmt.Fprintf(w, "Rejections       risk: %s; venue: %s\n", counts(s.Rejections.Risk), counts(s.Rejections.Venue))
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

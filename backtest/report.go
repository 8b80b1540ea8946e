package backtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	// The PNG, the longest to draw and encode, on a goroutine while the
	// rest is drawn: the replay is over, so the second core is free.
	pngDone := make(chan error, 1)
	var png []byte
	go func() {
		var err error
		png, err = chartPNG(pts, s.Reference)
		pngDone <- err
	}()
	svg, err := chartSVG(pts, s.Reference)
	var prices []priceChart
	if err == nil {
		prices, err = r.priceCharts()
	}
	if err := errors.Join(<-pngDone, err); err != nil {
		return err
	}
	var text bytes.Buffer
	s.WriteText(&text)
	data := reportData{
		S: s, Text: text.String(),
		PNG: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		SVG: template.HTML(stripXMLHeader(svg)),
	}
	for _, a := range slices.Sorted(maps.Keys(s.Assets)) {
		data.Assets = append(data.Assets, namedAsset{Asset: a, AssetPnL: s.Assets[a]})
	}
	for _, pc := range prices {
		data.Prices = append(data.Prices, reportChart{priceChart: pc, Inline: template.HTML(stripXMLHeader(pc.SVG))})
	}
	var page bytes.Buffer
	if err := reportPage.Execute(&page, data); err != nil {
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
	S      *Summary
	Text   string
	PNG    template.URL
	SVG    template.HTML
	Assets []namedAsset
	Prices []reportChart
}

type namedAsset struct {
	Asset string
	AssetPnL
}

type reportChart struct {
	priceChart
	Inline template.HTML
}

// reportPage is self-contained: the charts are inline SVG (the PNG a data
// URL), no script, no outside resource.
var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{"pct": pct}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Backtest {{.S.FirstTick.Format "2006-01-02"}} to {{.S.LastTick.Format "2006-01-02"}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 64em; color: #222; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin-bottom: 1em; }
.wide { overflow-x: auto; }
td, th { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th.group { text-align: center; border-bottom: 2px solid #999; }
.caveat { color: #8a4b00; }
</style>
</head>
<body>
<h1>Backtest</h1>
<p>{{.S.Ticks}} ticks from {{.S.FirstTick.Format "2006-01-02 15:04:05"}} to {{.S.LastTick.Format "2006-01-02 15:04:05"}} UTC;
strategies {{range $i, $s := .S.Strategies}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}.</p>
{{with .S.Notes}}<p>Derived from the recordings and the defaults (the configuration left them out):</p>
<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2>Equity, benchmark and drawdown</h2>
<p>Return {{pct .S.Return}} against {{pct .S.BenchmarkReturn}} for the opening balances held untouched (the dashed line): excess return {{pct .S.ExcessReturn}}.</p>
<figure>{{.SVG}}</figure>
<p><a download="equity.png" href="{{.PNG}}">Chart as PNG</a> ·
<a href="equity.csv">equity.csv</a> · <a href="trades.csv">trades.csv</a> · <a href="summary.json">summary.json</a></p>
{{with .S.Caveats}}<h2>Caveats</h2>
<ul class="caveat">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{with .S.Portfolio}}<h2>PnL and attribution</h2>
<p>From package portfolio, the live engine's books, fed this run's journal ({{.Method}} cost basis; the opening balances,
worth {{.Opening}} {{$.S.Reference}} when the run began, are an inflow, not PnL). "holding" is what the price moves did
to the opening balances; each strategy (and treasury policy, "treasury:&lt;name&gt;") is what its own fills made.</p>
<table>
<tr><th>Who</th><th>Realised</th><th>Unrealised</th><th>Fees</th><th>PnL ({{$.S.Reference}})</th></tr>
{{range .ByKey}}<tr><td>{{.Key}}</td><td>{{.Realised}}</td><td>{{.Unrealised}}</td><td>{{.Fees}}</td><td>{{.PnL}}</td></tr>
{{end}}<tr><th>Total</th><th>{{.Realised}}</th><th>{{.Unrealised}}</th><th>{{.Fees}}</th><th>{{$.S.PnL}}</th></tr>
</table>
{{if ne .Outflows "0"}}<p>Treasury swept out {{.Outflows}} {{$.S.Reference}} (valued when it left: a flow, not PnL). It is still the desk's
and stays in the equity curve; the price has moved it by {{.AwayEffect}} {{$.S.Reference}} since, which the total includes.</p>{{end}}{{end}}
{{with .S.Treasury}}<h2>Treasury policies</h2>
<table>
<tr><th>Policy</th><th>Runs by outcome</th></tr>
{{range $name, $runs := .Runs}}<tr><td>{{$name}}</td><td>{{range $o, $n := $runs}}{{$o}} {{$n}} {{end}}</td></tr>
{{end}}</table>
{{with .Away}}<p>Withdrawn to the desk's destinations: {{range $a, $x := .}}{{$x}} {{$a}} {{end}}</p>{{end}}{{end}}
<h2>Assets</h2>
<div class="wide"><table>
<tr><th></th><th class="group" colspan="3">Quantity (in the asset)</th><th class="group" colspan="2">Price ({{.S.Reference}})</th>
<th class="group" colspan="5">Value ({{.S.Reference}})</th></tr>
<tr><th>Asset</th><th>Start</th><th>End</th><th>Change</th><th>Start</th><th>End</th>
<th>Start</th><th>End</th><th>Change</th><th>of which price</th><th>of which trading</th></tr>
{{range .Assets}}<tr><td>{{.Asset}}</td><td>{{.Start}}</td><td>{{.End}}</td><td>{{.Change}}</td><td>{{.StartPrice}}</td><td>{{.EndPrice}}</td>
<td>{{.StartValue}}</td><td>{{.EndValue}}</td><td>{{.ValueChange}}</td><td>{{.PriceEffect}}</td><td>{{.TradeEffect}}</td></tr>
{{end}}</table></div>
<p>The price effect is the opening quantity times the price change; the trading effect the quantity change at the end price.</p>
{{if .Prices}}<h2>Prices and fills</h2>
{{range .Prices}}<h3>{{.Pair}}</h3>
<p>{{.Buys}} buys (triangles) and {{.Sells}} sells (crosses) where they filled{{if .Thinned}}; {{.Drawn}} of {{.Fills}} fills drawn, evenly thinned{{end}}.</p>
<figure>{{.Inline}}</figure>
{{end}}{{end}}
<h2>Summary</h2>
<pre>{{.Text}}</pre>
</body>
</html>
`))

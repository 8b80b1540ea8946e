package backtest

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart size.
const (
	chartWidth  = 10 * vg.Inch
	chartHeight = 6 * vg.Inch
)

// chartPNG draws the equity curve, and the benchmark (the opening
// balances held untouched), above its drawdown as PNG; chartSVG as SVG.
// Each builds plots of its own, so the two can be drawn at once.
func chartPNG(pts []chartPoint, ref string) ([]byte, error) {
	top, bottom, err := equityPlots(pts, ref)
	if err != nil {
		return nil, err
	}
	img := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(96))
	drawEquity(img, top, bottom)
	var pb bytes.Buffer
	// BestSpeed: the same pixels as png.Encode's default level, in about
	// half the encoding time, for a file about 3% larger.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&pb, img.Image()); err != nil {
		return nil, fmt.Errorf("backtest: chart PNG: %w", err)
	}
	return pb.Bytes(), nil
}

// chartSVG draws the equity chart as SVG.
func chartSVG(pts []chartPoint, ref string) ([]byte, error) {
	top, bottom, err := equityPlots(pts, ref)
	if err != nil {
		return nil, err
	}
	sv := vgsvg.New(chartWidth, chartHeight)
	drawEquity(sv, top, bottom)
	var sb bytes.Buffer
	if _, err := sv.WriteTo(&sb); err != nil {
		return nil, fmt.Errorf("backtest: chart SVG: %w", err)
	}
	return sb.Bytes(), nil
}

// drawEquity draws the equity plot above the drawdown one on c.
func drawEquity(c vg.CanvasSizer, top, bottom *plot.Plot) {
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadX: vg.Points(4), PadY: vg.Points(12)}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
}

// equityPlots builds the equity and benchmark plot and the drawdown one.
func equityPlots(pts []chartPoint, ref string) (top, bottom *plot.Plot, err error) {
	eq := make(plotter.XYs, len(pts))
	bench := make(plotter.XYs, len(pts))
	dd := make(plotter.XYs, len(pts))
	for i, p := range pts {
		x := float64(p.at.UnixMilli()) / 1000
		eq[i] = plotter.XY{X: x, Y: p.equity}
		bench[i] = plotter.XY{X: x, Y: p.bench}
		dd[i] = plotter.XY{X: x, Y: -p.drawdown * 100}
	}
	ticks := timeTicks{}

	top = plot.New()
	top.Title.Text = "Equity (" + ref + ")"
	top.X.Tick.Marker = ticks
	top.Y.Label.Text = ref
	top.Add(plotter.NewGrid())
	line, err := plotter.NewLine(eq)
	if err != nil {
		return nil, nil, fmt.Errorf("backtest: chart: %w", err)
	}
	line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	line.Width = vg.Points(1.2)
	hold, err := plotter.NewLine(bench)
	if err != nil {
		return nil, nil, fmt.Errorf("backtest: chart: %w", err)
	}
	hold.Color = color.RGBA{R: 140, G: 140, B: 140, A: 255}
	hold.Width = vg.Points(1)
	hold.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	top.Add(hold, line)
	top.Legend.Add("equity", line)
	top.Legend.Add("benchmark (opening balances held)", hold)
	top.Legend.Top = true
	top.Legend.Left = true
	headroom(top)

	bottom = plot.New()
	bottom.Title.Text = "Drawdown (%)"
	bottom.X.Tick.Marker = ticks
	bottom.Y.Label.Text = "%"
	bottom.Y.Max = 0
	bottom.Add(plotter.NewGrid())
	area, err := plotter.NewLine(dd)
	if err != nil {
		return nil, nil, fmt.Errorf("backtest: chart: %w", err)
	}
	area.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	area.Width = vg.Points(1.2)
	bottom.Add(area)
	return top, bottom, nil
}

// timeTicks marks round times (whole hours, midnights, weeks) in UTC, at
// most about eight of them, where plot.TimeTicks would mark arbitrary ones.
type timeTicks struct{}

var tickSteps = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour,
	3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 28 * 24 * time.Hour}

func (timeTicks) Ticks(lo, hi float64) []plot.Tick {
	span := time.Duration((hi - lo) * float64(time.Second))
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	format := "Jan 02\n15:04"
	if step >= 24*time.Hour {
		format = "Jan 02"
	}
	start := time.Unix(int64(math.Ceil(lo)), 0).UTC().Truncate(step)
	var out []plot.Tick
	for t := start; !t.After(time.Unix(int64(hi), 0)); t = t.Add(step) {
		if x := float64(t.Unix()); x >= lo {
			out = append(out, plot.Tick{Value: x, Label: t.Format(format)})
		}
	}
	return out
}

// legendHeadroom is the share of a plot's data range added above it, so
// that the legend, drawn at the top inside the plot (up to three rows, a
// quarter of the smallest plot's height), does not lie on the lines.
const legendHeadroom = 1.0 / 3

// headroom raises p's Y maximum by legendHeadroom of its data range,
// rounded up to the range's power of ten so that the axis keeps round
// labels (by 1% of the value, or 1, for a flat series).
func headroom(p *plot.Plot) {
	span := p.Y.Max - p.Y.Min
	if span <= 0 {
		span = max(math.Abs(p.Y.Max)*0.01, 1)
	}
	unit := math.Pow(10, math.Floor(math.Log10(span)))
	p.Y.Max = math.Ceil((p.Y.Max+span*legendHeadroom)/unit) * unit
}

package console

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/pnl"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 640.0, 200.0
	chartPad       = 24.0
)

// chart is the PnL chart drawn as inline SVG: a bar per day of realised
// PnL less fees, and the running total as a line.
type chart struct {
	W, H     float64
	Bars     []bar
	Line     string // polyline points of the running total
	ZeroY    float64
	Max, Min string // the scale's ends, in the reference currency
	Days     int
	From, To string
}

// bar is one day.
type bar struct {
	X, Y, W, H float64
	Loss       bool
	Title      string
}

// pnlChart draws p's PnL by day; a zero chart (no days) without it.
func pnlChart(p *pnl.Portfolio) chart {
	if p == nil || len(p.ByDay) == 0 {
		return chart{}
	}
	nets := make([]decimal.Decimal, len(p.ByDay))
	runs := make([]decimal.Decimal, len(p.ByDay))
	hi, lo, run := decimal.Zero, decimal.Zero, decimal.Zero
	for i, d := range p.ByDay {
		nets[i] = d.Realised.Sub(d.Fees)
		run = run.Add(nets[i])
		runs[i] = run
		hi, lo = decimal.Max(hi, nets[i], run), decimal.Min(lo, nets[i], run)
	}
	if hi.Equal(lo) {
		hi = lo.Add(decimal.NewFromInt(1))
	}
	// Pixels, not money: float64 is for drawing only.
	span := hi.Sub(lo).InexactFloat64()
	y := func(v decimal.Decimal) float64 {
		return chartPad + (hi.Sub(v).InexactFloat64()/span)*(chartH-2*chartPad)
	}
	step := (chartW - 2*chartPad) / float64(len(nets))
	c := chart{W: chartW, H: chartH, ZeroY: y(decimal.Zero), Max: hi.StringFixed(2), Min: lo.StringFixed(2),
		Days: len(nets), From: p.ByDay[0].Day, To: p.ByDay[len(nets)-1].Day}
	var pts []string
	for i, n := range nets {
		x := chartPad + float64(i)*step
		top, bottom := y(decimal.Max(n, decimal.Zero)), y(decimal.Min(n, decimal.Zero))
		c.Bars = append(c.Bars, bar{X: x + step*0.15, Y: top, W: step * 0.7, H: bottom - top, Loss: n.IsNegative(),
			Title: fmt.Sprintf("%s: %s %s (running %s)", p.ByDay[i].Day, n.StringFixed(2), p.Reference, runs[i].StringFixed(2))})
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x+step/2, y(runs[i])))
	}
	c.Line = strings.Join(pts, " ")
	return c
}

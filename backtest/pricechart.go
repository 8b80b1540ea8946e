package backtest

import (
	"bytes"
	"fmt"
	"image/color"
	"maps"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Bounds of a price chart, so that its memory does not grow with the
// recording: the mid sampled with the equity curve, and the fills, each
// thinned by halves once full (drawn: every fill up to maxFillMarks).
const (
	maxPricePoints = 2048
	maxFillMarks   = 2048
)

// priceSeries is one pair's price chart in the making. float64 is for
// drawing only, never for money.
type priceSeries struct {
	mid   downsampler[pricePoint]
	fills downsampler[fillMark]
}

type pricePoint struct {
	at  time.Time
	mid float64
}

type fillMark struct {
	at    time.Time
	price float64
	buy   bool
}

func (r *replay) series(pair string) *priceSeries {
	s, ok := r.prices[pair]
	if !ok {
		s = &priceSeries{mid: newDownsampler[pricePoint](maxPricePoints), fills: newDownsampler[fillMark](maxFillMarks)}
		r.prices[pair] = s
	}
	return s
}

// samplePrices records each priced pair's mid with an equity sample.
func (r *replay) samplePrices(at time.Time) {
	for _, p := range r.o.Pairs {
		if t, ok := r.last.mark(p.Symbol); ok {
			if s := r.series(p.Symbol); s.mid.keep() {
				mid := t.BuyPrice.Add(t.SellPrice).Mul(half)
				s.mid.put(pricePoint{at: at, mid: mid.InexactFloat64()})
			}
		}
	}
}

// priceChart is one pair's chart for the report.
type priceChart struct {
	Pair         string
	SVG          []byte
	Buys, Sells  int
	Thinned      bool // more fills than drawn
	Fills, Drawn int64
}

// priceCharts draws every pair that has a price: the mid, with its buys
// and sells marked where they filled.
func (r *replay) priceCharts() ([]priceChart, error) {
	var out []priceChart
	for _, pair := range slices.Sorted(maps.Keys(r.prices)) {
		s := r.prices[pair]
		if len(s.mid.pts) == 0 {
			continue
		}
		p, buys, sells, err := pricePlot(pair, string(r.view.Specs[pair].Quote), s)
		if err != nil {
			return nil, err
		}
		c := vgsvg.New(chartWidth, priceChartHeight)
		p.Draw(draw.New(c))
		var svg bytes.Buffer
		if _, err := c.WriteTo(&svg); err != nil {
			return nil, fmt.Errorf("backtest: price chart: %w", err)
		}
		out = append(out, priceChart{Pair: pair, SVG: svg.Bytes(), Buys: buys, Sells: sells, Fills: s.fills.seen,
			Drawn: int64(len(s.fills.pts)), Thinned: s.fills.seen > int64(len(s.fills.pts))})
	}
	return out, nil
}

// priceChartHeight is a price chart's height; its width is the equity
// chart's.
const priceChartHeight = 3.5 * vg.Inch

// pricePlot plots a pair's mid and marks its fills.
func pricePlot(pair, quote string, s *priceSeries) (p *plot.Plot, buys, sells int, err error) {
	line := make(plotter.XYs, len(s.mid.pts))
	for i, p := range s.mid.pts {
		line[i] = plotter.XY{X: float64(p.at.UnixMilli()) / 1000, Y: p.mid}
	}
	var b, sl plotter.XYs
	for _, f := range s.fills.pts {
		xy := plotter.XY{X: float64(f.at.UnixMilli()) / 1000, Y: f.price}
		if f.buy {
			b = append(b, xy)
		} else {
			sl = append(sl, xy)
		}
	}
	p = plot.New()
	p.Title.Text = pair + " mid, with fills"
	p.X.Tick.Marker = timeTicks{}
	p.Y.Label.Text = quote
	p.Add(plotter.NewGrid())
	l, err := plotter.NewLine(line)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("backtest: price chart: %w", err)
	}
	l.Color = color.RGBA{R: 90, G: 90, B: 90, A: 255}
	l.Width = vg.Points(1)
	p.Add(l)
	p.Legend.Add("mid", l)
	for _, m := range []struct {
		xys   plotter.XYs
		name  string
		shape draw.GlyphDrawer
		c     color.Color
	}{
		{b, "buy", draw.TriangleGlyph{}, color.RGBA{G: 150, A: 255}},
		{sl, "sell", draw.CrossGlyph{}, color.RGBA{R: 214, G: 39, B: 40, A: 255}},
	} {
		if len(m.xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(m.xys)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("backtest: price chart: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Shape: m.shape, Color: m.c, Radius: vg.Points(3.5)}
		p.Add(sc)
		p.Legend.Add(m.name, sc)
	}
	p.Legend.Top = true
	headroom(p)
	return p, len(b), len(sl), nil
}

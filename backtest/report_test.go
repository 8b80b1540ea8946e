package backtest

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"gonum.org/v1/plot"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// The report's PnL is package portfolio's: realised + unrealised - fees
// is the summary's PnL exactly, the fees are the venue model's, and the
// attribution covers every strategy and the opening balances.
func TestReportPortfolioPnL(t *testing.T) {
	o := options(t, day(t))
	o.Strategies = append(o.Strategies, rebalanceNamed(t, "rebalance-rfq", time.Hour, strategy.RFQ))
	s := run(t, o)
	p := s.Portfolio
	if p == nil {
		t.Fatal("no portfolio section in the summary")
	}
	if p.Residual != "0" {
		t.Errorf("residual %s: the book and the equity curve disagree", p.Residual)
	}
	sum := d(p.Realised).Add(d(p.Unrealised)).Sub(d(p.Fees))
	if diff := sum.Sub(d(s.PnL)).Abs(); diff.GreaterThan(d("0.00000003")) {
		t.Errorf("realised %s + unrealised %s - fees %s = %s, summary PnL %s", p.Realised, p.Unrealised, p.Fees, sum, s.PnL)
	}
	if !d(p.Fees).Equal(d(s.Fees)) || !d(p.Fees).IsPositive() {
		t.Errorf("portfolio fees %s, venue model's %s: want the same, positive", p.Fees, s.Fees)
	}
	if !d(p.Opening).Equal(d(s.StartEquity)) {
		t.Errorf("opening inflow %s, start equity %s", p.Opening, s.StartEquity)
	}
	keys := map[string]KeyPnL{}
	var total decimal.Decimal
	for _, k := range p.ByKey {
		keys[k.Key] = k
		total = total.Add(d(k.PnL))
	}
	for _, want := range []string{"rebalance", "rebalance-rfq", HoldingKey} {
		if _, ok := keys[want]; !ok {
			t.Errorf("no attribution to %s: %+v", want, p.ByKey)
		}
	}
	if !d(keys[HoldingKey].Fees).IsZero() || !d(keys["rebalance"].Fees).IsPositive() {
		t.Errorf("fees by key %+v: the opening balances pay none, the strategies theirs", p.ByKey)
	}
	if diff := total.Sub(sum).Abs(); diff.GreaterThan(d("0.0000001")) {
		t.Errorf("attributed PnL adds up to %s, total %s", total, sum)
	}
}

// The report holds the benchmark, a price chart per pair with the fills,
// the attribution, quantities apart from values, and the caveats of a
// short run.
func TestReportPage(t *testing.T) {
	o := options(t, day(t))
	s := run(t, o)
	page, err := os.ReadFile(filepath.Join(o.Out, FileReport))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{
		"benchmark (opening balances held)", "excess return",
		"<h3>BTCEUR</h3>", "<h3>ETHEUR</h3>", "BTCEUR mid, with fills",
		"PnL and attribution", "<td>holding</td>", "<td>rebalance</td>",
		"Quantity (in the asset)", "of which price", "of which trading",
		"Caveats", "fewer than 30",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// Returns read as the text summary's, in percent.
	if want := "<p>Return " + pct(s.Return) + " against " + pct(s.BenchmarkReturn); !strings.Contains(html, want) {
		t.Errorf("report.html lacks %q", want)
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "http://") && !strings.Contains(html, "http://www.w3.org/") {
		t.Error("report.html is not self-contained")
	}
	// Each asset's value change is its price effect plus its trading.
	for a, p := range s.Assets {
		if got := d(p.PriceEffect).Add(d(p.TradeEffect)); got.Sub(d(p.ValueChange)).Abs().GreaterThan(d("0.00000002")) {
			t.Errorf("%s: price %s + trading %s = %s, value change %s", a, p.PriceEffect, p.TradeEffect, got, p.ValueChange)
		}
	}
	if len(s.Caveats) == 0 || s.Days >= minDaysForRatios {
		t.Errorf("a %d-day run has caveats %v", s.Days, s.Caveats)
	}
}

// Without trades the report still draws the prices, and says none filled.
func TestReportWithoutTrades(t *testing.T) {
	feed := writeTicks(t, tk{0, "BTCEUR", "50000", "50000"}, tk{time.Minute, "BTCEUR", "51000", "51000"})
	o := btcOnly(t, feed, &onTick{done: true})
	o.Balances[market.Asset("BTC")] = d("1")
	s := run(t, o)
	if s.Trades != 0 || s.Portfolio == nil || s.Portfolio.Residual != "0" {
		t.Fatalf("summary %+v", s)
	}
	page, err := os.ReadFile(filepath.Join(o.Out, FileReport))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "0 buys (triangles) and 0 sells") {
		t.Error("the price chart does not say no fill")
	}
	if hold := s.Portfolio.ByKey; len(hold) != 1 || hold[0].Key != HoldingKey || hold[0].PnL != s.PnL {
		t.Errorf("attribution %+v: want all of PnL %s to holding", hold, s.PnL)
	}
}

// rebalanceNamed is rebalance under another name.
func rebalanceNamed(tb testing.TB, name string, every time.Duration, path strategy.Path) strategy.Strategy {
	tb.Helper()
	p := strategy.DefaultRebalanceParams()
	p.Reference = "EUR"
	p.Weights = map[string]tomlval.Decimal{"EUR": tomlval.Dec(d("0.4")), "BTC": tomlval.Dec(d("0.3")), "ETH": tomlval.Dec(d("0.3"))}
	p.Band = tomlval.Dec(d("0.002"))
	p.MinTrade = tomlval.Dec(d("50"))
	p.Every = tomlval.Dur(every)
	p.Path = path
	s, err := strategy.NewRebalance(name, p)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestChartsDrawnAtOnce draws the equity chart's PNG and SVG at the same
// time, as writeReport does, and each again alone: the same bytes.
func TestChartsDrawnAtOnce(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	var pts []chartPoint
	for i := range 500 {
		x := float64(i)
		pts = append(pts, chartPoint{at: start.Add(time.Duration(i) * time.Minute),
			equity: 100000 + 50*math.Sin(x/40), bench: 100000 + 30*math.Cos(x/70), drawdown: math.Abs(math.Sin(x/90)) / 100})
	}
	var png, svg [2][]byte
	errs := make(chan error, 2)
	go func() {
		var err error
		png[0], err = chartPNG(pts, "EUR")
		errs <- err
	}()
	go func() {
		var err error
		svg[0], err = chartSVG(pts, "EUR")
		errs <- err
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if png[1], err = chartPNG(pts, "EUR"); err != nil {
		t.Fatal(err)
	}
	if svg[1], err = chartSVG(pts, "EUR"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(png[0], png[1]) || !bytes.Equal(svg[0], svg[1]) {
		t.Fatal("the charts drawn at once differ from those drawn alone")
	}
}

// headroom leaves a third of the data range free above the lines for the
// legend, at a round maximum.
func TestHeadroom(t *testing.T) {
	for _, c := range []struct{ min, max, want float64 }{
		{1795000, 1845000, 1870000}, // + 16,667, up to the next 10,000
		{-2.7, 0, 1},                // + 0.9, up to the next 1
		{100, 100, 101},             // flat: + 1% of 100 / 3, up to the next 1
		{0, 0, 1},                   // flat at zero
	} {
		p := plot.New()
		p.Y.Min, p.Y.Max = c.min, c.max
		headroom(p)
		if p.Y.Max != c.want || p.Y.Max < c.max+(c.max-c.min)/3 {
			t.Errorf("headroom of [%v, %v] = max %v, want %v", c.min, c.max, p.Y.Max, c.want)
		}
	}
}

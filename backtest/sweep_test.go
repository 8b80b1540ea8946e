package backtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/backtest/internal/recording"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// linear is a price moving in a straight line from a at t0 to b at t1,
// flat outside.
func linear(at, t0, t1 time.Time, a, b float64) decimal.Decimal {
	switch {
	case !at.After(t0):
		return decimal.NewFromFloat(a)
	case !at.Before(t1):
		return decimal.NewFromFloat(b)
	}
	f := float64(at.Sub(t0)) / float64(t1.Sub(t0))
	return decimal.NewFromFloat(a + (b-a)*f).Round(2)
}

// vShape writes three days of BTCEUR every 10 seconds: flat at 50 000
// for six hours, down 10% to 45 000 by the end of the first day, then up
// to 57 500 by the end of the third.
func vShape(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "v.ndjson")
	mid := func(_ string, at time.Time) decimal.Decimal {
		if at.Before(monday.Add(24 * time.Hour)) {
			return linear(at, monday.Add(6*time.Hour), monday.Add(24*time.Hour), 50000, 45000)
		}
		return linear(at, monday.Add(24*time.Hour), monday.Add(72*time.Hour), 45000, 57500)
	}
	if _, err := recording.WritePath(path, recording.Path{Start: monday, Duration: 72 * time.Hour, Every: 10 * time.Second,
		Pairs: []string{"BTCEUR"}, Mid: mid, Decimals: 2, SpreadBps: 2, Size: d("0.1")}); err != nil {
		tb.Fatal(err)
	}
	return path
}

// sweepBase is a replay of path, all in EUR at the start, with the one
// pair BTCEUR, RFQs quoted 30 bp worse than OTC fills, and room in risk's
// limits for any rebalance.
func sweepBase(tb testing.TB, path string) Options {
	tb.Helper()
	tape, err := LoadTape(context.Background(), []string{path}, time.Time{}, time.Time{})
	if err != nil {
		tb.Fatal(err)
	}
	l := risk.DefaultLimits()
	l.MaxPriceAge = tomlval.Dur(30 * time.Second)
	l.MaxOrderNotional = tomlval.Dec(d("1000000"))
	l.MaxDailyNotional = tomlval.Dec(d("10000000"))
	return Options{
		Tape: tape, Limits: l, Reference: "EUR",
		Pairs:    []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"}},
		Balances: map[market.Asset]decimal.Decimal{"EUR": d("100000")},
		Venue:    VenueModel{RFQMarkupBps: d("30")},
	}
}

// coreSpec is a rebalance between EUR and BTC, checked hourly, whose band
// is wide enough that it trades once, at the first check, and then holds.
func coreSpec() strategy.Spec {
	return strategy.Spec{Kind: "rebalance", Name: "core", Params: map[string]any{
		"reference": "EUR", "weights": map[string]any{"EUR": "0.5", "BTC": "0.5"},
		"band": "0.05", "every": "1h", "path": "otc", "min_trade": "10", "max_slippage": "0.5",
	}}
}

func sweepFile(tb testing.TB, text string) SweepFile {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "sweep.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	f, err := LoadSweepFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// weightsSweep varies the BTC weight and the path. Over the V, return
// grows with the weight and the drawdown too (about the weight × 10%);
// RFQs cost 30 bp more than OTC fills. So within max_drawdown ≤ 6% the
// best is 50% BTC by OTC, and the runs at 70% and 90% are stopped as
// soon as their drawdown passes 6%.
const weightsSweep = `
seed = 7
[objective]
metric = "return"
[[constraint]]
metric = "max_drawdown"
max = "0.06"
[[param]]
key = "weights"
values = [{ BTC = "0.1", EUR = "0.9" }, { BTC = "0.3", EUR = "0.7" }, { BTC = "0.5", EUR = "0.5" },
          { BTC = "0.7", EUR = "0.3" }, { BTC = "0.9", EUR = "0.1" }]
[[param]]
key = "path"
values = ["rfq", "otc"]
`

func TestSweepFindsTheBestByConstruction(t *testing.T) {
	base := sweepBase(t, vShape(t))
	s := Sweep{Base: base, Specs: []strategy.Spec{coreSpec()}, File: sweepFile(t, weightsSweep)}
	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 10 {
		t.Fatalf("%d outcomes, want 10", len(res.Outcomes))
	}
	best, ok := res.Best()
	if !ok {
		t.Fatalf("no best; outcomes %+v", res.Outcomes)
	}
	if got := plainValue(best.Values[0]) + " " + plainValue(best.Values[1]); got != `{ BTC = "0.5", EUR = "0.5" } otc` {
		t.Errorf("best = %s, want 50%% BTC by otc", got)
	}
	// The ranking follows the construction: within the constraint, more
	// BTC is better, and OTC beats RFQ at the same weight.
	var order []string
	for _, o := range res.Outcomes {
		btc := o.Values[0].(map[string]any)["BTC"].(string)
		order = append(order, btc+"/"+o.Values[1].(string)+"/"+o.Status)
		if o.Status == StatusOK && o.Summary.Trades != 1 {
			t.Errorf("%s traded %d times, the construction trades once", btc, o.Summary.Trades)
		}
		if (btc == "0.7" || btc == "0.9") && (o.Status != StatusStopped || !strings.Contains(o.Note, "max_drawdown")) {
			t.Errorf("%s/%s: status %s (%s), want stopped early by max_drawdown", btc, o.Values[1], o.Status, o.Note)
		}
	}
	want := "0.5/otc/ok 0.5/rfq/ok 0.3/otc/ok 0.3/rfq/ok 0.1/otc/ok 0.1/rfq/ok"
	if got := strings.Join(order[:6], " "); got != want {
		t.Errorf("ranking = %s, want %s", got, want)
	}
	// A stopped run stopped on the way down, not at the end.
	for _, o := range res.Outcomes[6:] {
		if !strings.Contains(o.Note, "2026-03-02T") {
			t.Errorf("run %d stopped %q: want during the first day's fall", o.ID, o.Note)
		}
	}
	checkBestBlock(t, res, "0.5", "otc")
}

// checkBestBlock decodes the best configuration as the daemon would and
// builds its strategy.
func checkBestBlock(t *testing.T, res *SweepResult, btc, path string) {
	t.Helper()
	block := res.BestTOML()
	var f struct {
		Strategy []strategy.Spec `toml:"strategy"`
	}
	if _, err := toml.Decode(block, &f); err != nil {
		t.Fatalf("best block does not decode: %v\n%s", err, block)
	}
	if len(f.Strategy) != 1 || f.Strategy[0].Name != "core" {
		t.Fatalf("best block = %+v", f.Strategy)
	}
	var p strategy.RebalanceParams
	if err := f.Strategy[0].Decode(&p); err != nil {
		t.Fatalf("best block params: %v\n%s", err, block)
	}
	if p.Weights["BTC"].String() != btc || string(p.Path) != path || p.Every.Duration != time.Hour {
		t.Errorf("best block = %+v, want BTC %s by %s every 1h\n%s", p, btc, path, block)
	}
	if _, err := strategy.Builtins().New(f.Strategy[0].Kind, f.Strategy[0].Name, f.Strategy[0].Decode); err != nil {
		t.Errorf("best block does not build: %v", err)
	}
}

// Two runs of one sweep give the same tables byte for byte, whatever the
// number of workers; the HTML has the heatmap of the two params.
func TestSweepIsDeterministic(t *testing.T) {
	base := sweepBase(t, vShape(t))
	file := sweepFile(t, weightsSweep)
	var csvs, pages [][]byte
	for _, parallel := range []int{0, 0, 1} {
		file.Parallel = parallel
		res, err := Sweep{Base: base, Specs: []strategy.Spec{coreSpec()}, File: file}.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var c, h bytes.Buffer
		if err := res.WriteCSV(&c); err != nil {
			t.Fatal(err)
		}
		if err := res.WriteHTML(&h); err != nil {
			t.Fatal(err)
		}
		csvs, pages = append(csvs, c.Bytes()), append(pages, h.Bytes())
	}
	for i := 1; i < len(csvs); i++ {
		if !bytes.Equal(csvs[0], csvs[i]) {
			t.Errorf("run %d: sweep.csv differs from the first run's:\n%s\n---\n%s", i, csvs[0], csvs[i])
		}
		if !bytes.Equal(pages[0], pages[i]) {
			t.Errorf("run %d: sweep.html differs from the first run's", i)
		}
	}
	if !bytes.Contains(pages[0], []byte(`class="heat"`)) || !bytes.Contains(pages[0], []byte("[[strategy]]")) {
		t.Error("sweep.html has no heatmap or no best configuration")
	}
}

// FuzzSweepFile reads arbitrary sweep files: a file LoadSweepFile accepts
// expands (Sweep.Check) against a rebalance, or is refused with an error;
// neither panics, and an accepted grid is within the sweep's limits.
func FuzzSweepFile(f *testing.F) {
	f.Add([]byte("[objective]\nmetric = \"return\"\n[[param]]\nkey = \"band\"\nvalues = [\"0.01\", \"0.02\"]\n"))
	f.Add([]byte("seed = 7\n[objective]\nweights = { return = \"1\", max_drawdown = \"0.5\" }\n[[constraint]]\nmetric = \"max_drawdown\"\nmax = \"0.05\"\n" +
		"[[param]]\nkey = \"every\"\nfrom = \"5m\"\nto = \"1h\"\nstep = \"5m\"\n[[param]]\nkey = \"weights.BTC\"\nfrom = \"0.1\"\nto = \"0.9\"\ndraws = 3\n" +
		"[walk_forward]\nin_sample = \"48h\"\nout_of_sample = \"24h\"\nmode = \"anchored\"\n"))
	f.Add([]byte("[objective]\nmetric = \"sharpe\"\n[[param]]\nkey = \"band\"\nfrom = \"0\"\nto = \"1\"\nstep = \"0.000001\"\n"))
	f.Add([]byte("[[param]]\nkey = \"min_trade\"\nvalues = [1, \"x\", 2.5, true]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "sweep.toml")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := LoadSweepFile(path)
		if err != nil {
			return
		}
		s := Sweep{File: file, Specs: []strategy.Spec{coreSpec()}}
		p, err := s.expand()
		if err != nil {
			return
		}
		if n := len(p.combos); n == 0 || n > maxSweepCombinations {
			t.Fatalf("accepted a grid of %d combinations", n)
		}
	})
}

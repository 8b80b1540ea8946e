package backtest

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/backtest/internal/recording"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/strategy"
)

// regimeChange writes four days of BTCEUR: up 15% over the first two,
// then down 20% over the last two.
func regimeChange(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "regime.ndjson.gz")
	mid := func(_ string, at time.Time) decimal.Decimal {
		if at.Before(monday.Add(48 * time.Hour)) {
			return linear(at, monday, monday.Add(48*time.Hour), 50000, 57500)
		}
		return linear(at, monday.Add(48*time.Hour), monday.Add(96*time.Hour), 57500, 46000)
	}
	if _, err := recording.WritePath(path, recording.Path{Start: monday, Duration: 96 * time.Hour, Every: 20 * time.Second,
		Pairs: []string{"BTCEUR"}, Mid: mid, Decimals: 2, SpreadBps: 2, Size: d("0.1")}); err != nil {
		tb.Fatal(err)
	}
	return path
}

const regimeSweep = `
[objective]
metric = "return"
[[param]]
key = "weights"
values = [{ BTC = "0.1", EUR = "0.9" }, { BTC = "0.5", EUR = "0.5" }, { BTC = "0.9", EUR = "0.1" }]
[walk_forward]
in_sample = "48h"
out_of_sample = "24h"
`

// Optimised on the two rising days, the sweep holds 90% BTC; on the
// falling day after, that choice loses money and ranks last: the
// in-sample optimum fails out of sample, and the table says so.
func TestWalkForwardShowsTheOptimumFailingOutOfSample(t *testing.T) {
	s := Sweep{Base: sweepBase(t, regimeChange(t)), Specs: []strategy.Spec{coreSpec()}, File: sweepFile(t, regimeSweep)}
	res, err := s.WalkForward(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Windows) != 2 {
		t.Fatalf("%d windows, want 2 (in 48h + out 24h, moved on by 24h, over 96h)", len(res.Windows))
	}
	w := res.Windows[0]
	if !w.InFrom.Equal(monday) || !w.OutFrom.Equal(monday.Add(48*time.Hour)) || !w.OutTo.Equal(monday.Add(72*time.Hour)) {
		t.Errorf("first window %+v", w.Window)
	}
	if !w.Chose || w.Chosen.Values[0].(map[string]any)["BTC"] != "0.9" {
		t.Fatalf("in sample chose %+v, want 90%% BTC (the rising days)", w.Chosen.Values)
	}
	if !w.Chosen.Score.IsPositive() || !w.Tested.Score.IsNegative() {
		t.Errorf("chosen scores %s in sample, %s out of sample: want a gain, then a loss", w.Chosen.Score, w.Tested.Score)
	}
	if w.TestedRank != len(w.Out.Outcomes) {
		t.Errorf("the in-sample optimum ranks %d/%d out of sample, want last", w.TestedRank, len(w.Out.Outcomes))
	}
	if best := w.Out.Outcomes[0]; best.Values[0].(map[string]any)["BTC"] != "0.1" {
		t.Errorf("out of sample the best is %v, want 10%% BTC (the falling day)", best.Values)
	}
	if e, ok := res.Efficiency(); !ok || !e.IsNegative() {
		t.Errorf("efficiency = %s, %v: want negative, the optimum did not hold", e, ok)
	}
	var a, b bytes.Buffer
	if err := res.WriteCSV(&a); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(a.Bytes(), []byte("out_rank")) || !bytes.Contains(a.Bytes(), []byte(",3/3,")) {
		t.Errorf("walkforward.csv does not show the rank out of sample:\n%s", a.String())
	}
}

func TestWalkForwardWindows(t *testing.T) {
	first, last := monday, monday.Add(5*24*time.Hour-time.Second)
	for _, c := range []struct {
		mode     string
		step     time.Duration
		want     int
		lastFrom time.Time
	}{
		{Rolling, 0, 3, monday.Add(48 * time.Hour)},
		{Anchored, 0, 3, monday},
		{Rolling, 12 * time.Hour, 5, monday.Add(48 * time.Hour)},
	} {
		w := WalkForward{InSample: dur(48 * time.Hour), OutOfSample: dur(24 * time.Hour), Step: dur(c.step), Mode: c.mode}
		ws, err := w.windows(first, last)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != c.want || !ws[len(ws)-1].InFrom.Equal(c.lastFrom) {
			t.Errorf("%s step %s: %d windows, last from %s; want %d, last from %s", c.mode, c.step, len(ws), ws[len(ws)-1].InFrom, c.want, c.lastFrom)
		}
		for _, x := range ws {
			if !x.OutFrom.Equal(x.InTo) || x.OutTo.After(last.Add(time.Second)) {
				t.Errorf("%s: window %+v", c.mode, x)
			}
		}
	}
	if _, err := (WalkForward{InSample: dur(96 * time.Hour), OutOfSample: dur(48 * time.Hour)}).windows(first, last); err == nil {
		t.Error("windows longer than the recording: no error")
	}
}

func dur(d time.Duration) tomlval.Duration { return tomlval.Dur(d) }

package backtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otcdesk/engine/backtest/internal/recording"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/strategy"
)

// benchTicks is the length of the benchmark recording: about four days of
// two pairs ticking every second.
const benchTicks = 600_000

func benchRecording(b *testing.B, name string) string {
	return cachedRecording(b, name, recording.Options{Duration: 30 * 24 * time.Hour, Every: time.Second, MaxTicks: benchTicks})
}

// decode reads and decodes every tick of path, as the backtest's reader
// does, and returns how many there were.
func decode(tb testing.TB, path string) int {
	r, err := feeds.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			if err != io.EOF {
				tb.Fatal(err)
			}
			return n
		}
		n++
	}
}

// BenchmarkBacktest measures a whole run (reading, the loop with the
// rebalance strategy, risk, execution into the scratch ledger, the report)
// in ticks per second and CPU time per tick (every thread, the collector's
// included), and x-decode: the fastest run over the fastest of three
// passes that only read and decode the same recording. The machine is
// shared, so the fastest of each is the least disturbed.
//
// check=none is the same run with a strategy whose first check falls
// after the recording's end: the replay, the venue model, the equity
// samples and the report, without the strategy's work.
func BenchmarkBacktest(b *testing.B) {
	defer TuneGC(os.Getenv, false)() // as `engine backtest` runs
	for _, every := range []time.Duration{5 * time.Second, 5 * time.Minute} {
		for _, name := range []string{"ticks.ndjson", "ticks.ndjson.gz"} {
			b.Run(fmt.Sprintf("check=%s/%s", every, name), func(b *testing.B) { benchRun(b, name, every) })
		}
	}
	b.Run("check=none/ticks.ndjson", func(b *testing.B) { benchRun(b, "ticks.ndjson", neverChecks) })
}

// neverChecks is a rebalance period longer than the benchmark recording.
const neverChecks = 1000 * time.Hour

// benchRun is one BenchmarkBacktest case: the rebalance strategy checking
// every period over the recording name.
func benchRun(b *testing.B, name string, every time.Duration) {
	path := benchRecording(b, name)
	var n int
	bestDecode := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		n = decode(b, path)
		bestDecode = min(bestDecode, time.Since(start))
	}
	var trades int64
	var runCPU time.Duration
	bestRun := time.Duration(1 << 62)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		o := options(b, path)
		o.Strategies = []strategy.Strategy{rebalance(b, every, strategy.OTC)}
		o.Out = filepath.Join(b.TempDir(), "report")
		b.StartTimer()
		start, cpu := time.Now(), cpuTime()
		sum, err := Run(context.Background(), o)
		runCPU += cpuTime() - cpu
		bestRun = min(bestRun, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if sum.Ticks != int64(n) {
			b.Fatalf("replayed %d ticks, the file holds %d", sum.Ticks, n)
		}
		trades = sum.Trades
	}
	perRun := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(n)/perRun.Seconds(), "ticks/s")
	b.ReportMetric(float64(n)/bestRun.Seconds(), "best-ticks/s")
	b.ReportMetric(float64(bestRun)/float64(bestDecode), "x-decode")
	b.ReportMetric(float64(runCPU)/float64(b.N)/float64(n), "cpu-ns/tick")
	b.ReportMetric(float64(trades), "trades")
}

// BenchmarkReport measures writing the report (summary, the equity chart
// as PNG and SVG, the price charts, report.html) of a run over the plain
// benchmark recording at 5-second checks, once the replay is over: a
// fixed cost of every run, whatever its length.
func BenchmarkReport(b *testing.B) {
	defer TuneGC(os.Getenv, false)()
	o := options(b, benchRecording(b, "ticks.ndjson"))
	o.Strategies = []strategy.Strategy{rebalance(b, 5*time.Second, strategy.OTC)}
	if err := o.check(true); err != nil { // its defaults, as Run's
		b.Fatal(err)
	}
	src, err := openSource(o.Feeds, o.From, o.To)
	if err != nil {
		b.Fatal(err)
	}
	defer src.close()
	st := newStreamTicks(context.Background(), src)
	defer st.stop()
	r, err := newReplay(o, st, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer r.close()
	if err := r.run(context.Background()); err != nil {
		b.Fatal(err)
	}
	sum, err := r.finish(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		if err := writeReport(dir, sum, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode is the read-and-decode baseline on the same recordings.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"ticks.ndjson", "ticks.ndjson.gz"} {
		b.Run(name, func(b *testing.B) {
			path := benchRecording(b, name)
			n := 0
			b.ResetTimer()
			for range b.N {
				n = decode(b, path)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
		})
	}
}

// BenchmarkSweep16 measures a sweep of 16 combinations of the rebalance
// strategy (checking every 5 s) over a 1,000,000-tick plain recording:
// the tape is decoded once, then the runs share the cores. It reports the
// sweep's wall time against one plain run of the same recording measured
// just before it (x-one-run: the target is at most 10 on 2 cores), and the
// ticks replayed per second by all the runs together.
func BenchmarkSweep16(b *testing.B) {
	path := cachedRecording(b, "sweep.ndjson", recording.Options{Duration: 30 * 24 * time.Hour, Every: time.Second, MaxTicks: 1_000_000})
	file := SweepFile{Objective: Objective{Metric: "return"}, Params: []Param{
		{Key: "band", Values: []any{"0.001", "0.002", "0.005", "0.01"}},
		{Key: "min_trade", Values: []any{"50", "100", "200", "400"}},
	}}
	spec := strategy.Spec{Kind: "rebalance", Name: "rebalance", Params: map[string]any{
		"reference": "EUR", "weights": map[string]any{"EUR": "0.5", "BTC": "0.25", "ETH": "0.25"},
		"band": "0.002", "min_trade": "50", "every": "5s", "path": "otc",
	}}
	var one, sweep time.Duration
	var ticks int64
	b.ResetTimer()
	for range b.N {
		o := options(b, path)
		o.Strategies = []strategy.Strategy{rebalance(b, 5*time.Second, strategy.OTC)}
		restore := TuneGC(os.Getenv, false) // as `engine backtest` runs
		start := time.Now()
		if _, err := Run(context.Background(), o); err != nil {
			b.Fatal(err)
		}
		one += time.Since(start)
		restore()
		restore = TuneGC(os.Getenv, true) // as `engine backtest -sweep` runs
		start = time.Now()
		tape, err := LoadTape(context.Background(), []string{path}, time.Time{}, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		base := options(b, path)
		base.Tape, base.Feeds = tape, nil
		res, err := Sweep{Base: base, Specs: []strategy.Spec{spec}, File: file}.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		sweep += time.Since(start)
		restore()
		if len(res.Outcomes) != 16 || res.Outcomes[0].Status != StatusOK {
			b.Fatalf("sweep outcomes %+v", res.Outcomes[:1])
		}
		ticks += 16 * int64(tape.Len())
	}
	b.ReportMetric(sweep.Seconds()/float64(b.N), "sweep-s")
	b.ReportMetric(one.Seconds()/float64(b.N), "one-run-s")
	b.ReportMetric(float64(sweep)/float64(one), "x-one-run")
	b.ReportMetric(float64(ticks)/sweep.Seconds(), "sweep-ticks/s")
}

// BenchmarkLoadTape is LoadTape on the benchmark recordings: reading,
// decoding and interning into memory, the part of a sweep paid once.
func BenchmarkLoadTape(b *testing.B) {
	for _, name := range []string{"ticks.ndjson", "ticks.ndjson.gz"} {
		b.Run(name, func(b *testing.B) {
			path := benchRecording(b, name)
			n := 0
			b.ResetTimer()
			for range b.N {
				tape, err := LoadTape(context.Background(), []string{path}, time.Time{}, time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				n = tape.Len()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
		})
	}
}

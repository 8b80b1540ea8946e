package backtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/backtest/internal/recording"
	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// day is 18 hours of the two pairs every 10 seconds, from Tuesday 18:00
// UTC over Wednesday's maintenance window (09:00-10:00 UTC, 08:55-10:05
// with the margins), with a three-minute outage at 22:00.
func day(tb testing.TB) string {
	return cachedRecording(tb, "day.ndjson.gz", recording.Options{
		Start: monday.Add(42 * time.Hour), Duration: 18 * time.Hour, Every: 10 * time.Second,
		Outages: []recording.Outage{{At: monday.Add(46 * time.Hour), For: 3 * time.Minute}},
	})
}

func run(t *testing.T, o Options) *Summary {
	t.Helper()
	s, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The same inputs give byte-identical reports, summary.json first.
func TestDeterministic(t *testing.T) {
	path := day(t)
	a, b := options(t, path), options(t, path)
	run(t, a)
	run(t, b)
	for _, name := range []string{FileSummary, FileTrades, FileEquity, FileChart, FileChartSV, FileReport} {
		x, err := os.ReadFile(filepath.Join(a.Out, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b.Out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs of the same inputs", name)
		}
	}
	var s Summary
	b0, _ := os.ReadFile(filepath.Join(a.Out, FileSummary))
	if err := json.Unmarshal(b0, &s); err != nil {
		t.Fatal(err)
	}
	if s.Trades == 0 || s.Ticks == 0 {
		t.Fatalf("summary = %+v: the determinism test needs trades", s)
	}
}

// A full run: trades in the journal, a report with every file, the
// statistics consistent with the files, and the maintenance window and the
// outage visible.
func TestRunReport(t *testing.T) {
	o := options(t, day(t))
	s := run(t, o)
	for _, name := range []string{FileSummary, FileTrades, FileEquity, FileChart, FileChartSV, FileReport} {
		if fi, err := os.Stat(filepath.Join(o.Out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("report file %s: %v", name, err)
		}
	}
	trades := readCSV(t, filepath.Join(o.Out, FileTrades))
	if int64(len(trades)-1) != s.Trades || s.Trades == 0 {
		t.Fatalf("trades.csv has %d rows, summary says %d trades", len(trades)-1, s.Trades)
	}
	eq := readCSV(t, filepath.Join(o.Out, FileEquity))
	if int64(len(eq)-1) != s.EquitySamples {
		t.Fatalf("equity.csv has %d rows, summary says %d samples", len(eq)-1, s.EquitySamples)
	}
	if last := eq[len(eq)-1]; last[1] != s.EndEquity {
		t.Errorf("last equity row %v, summary end equity %s", last, s.EndEquity)
	}
	if s.FeedGaps != 2 {
		t.Errorf("feed gaps = %d, want 2 (one per pair after the outage)", s.FeedGaps)
	}
	if s.Sharpe == nil && s.Days >= 2 {
		t.Errorf("no Sharpe ratio over %d days", s.Days)
	}
	if s.Intents.Decided != s.Intents.Filled+s.Intents.Failed+s.Intents.Rejected {
		t.Errorf("intents %+v do not add up", s.Intents)
	}
	// No trade happens inside the maintenance window and its margins.
	gate := o.Gate
	for _, row := range trades[1:] {
		at, err := time.Parse(time.RFC3339Nano, row[0])
		if err != nil {
			t.Fatal(err)
		}
		if !gate.Open(at.Add(-o.Venue.Latency)) {
			t.Errorf("trade %v decided inside the maintenance window", row)
		}
	}
	// Every OTC fill is at the price recorded Latency after the decision,
	// moved 1 bp against us; the fee is 5 bp of the notional.
	recorded := ticksOf(t, o.Feeds[0])
	otc := 0
	for _, row := range trades[1:] {
		at, _ := time.Parse(time.RFC3339Nano, row[0])
		if row[7] != "otc" {
			continue
		}
		otc++
		tk := lastBefore(recorded, row[5], at)
		want := tk.BuyPrice.Mul(d("1.0001"))
		if row[6] == "sell" {
			want = tk.SellPrice.Mul(d("0.9999"))
		}
		if !d(row[9]).Equal(want) {
			t.Errorf("trade %v filled at %s, want %s (recorded at %s, 1 bp slippage)", row, row[9], want, tk.Received)
		}
		if fee := d(row[10]).Mul(d("0.0005")); !d(row[11]).Equal(fee) {
			t.Errorf("trade %v fee %s, want %s", row, row[11], fee)
		}
	}
	if otc == 0 {
		t.Fatal("no OTC fill to check")
	}
	if !strings.Contains(mustRead(t, filepath.Join(o.Out, FileReport)), "data:image/png;base64,") {
		t.Error("report.html does not embed the chart")
	}
}

// ticksOf reads a whole recording.
func ticksOf(t *testing.T, path string) []market.Tick {
	t.Helper()
	r, err := feeds.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []market.Tick
	for {
		u, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u.Tick)
	}
}

// lastBefore returns the last tick of pair received by at.
func lastBefore(ticks []market.Tick, pair string, at time.Time) market.Tick {
	var last market.Tick
	for _, tk := range ticks {
		if tk.Received.After(at) {
			break
		}
		if tk.Pair == pair {
			last = tk
		}
	}
	return last
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// every is a strategy that tries to buy a little BTC on a tick every
// minute; it probes the gate, the limits and the venue model.
type every struct {
	size string
	path strategy.Path
	last time.Time
}

func (e *every) Name() string { return "every" }

func (e *every) Handle(v strategy.View, ev strategy.Event) strategy.Decision {
	if _, ok := ev.(strategy.Price); !ok || len(v.OpenIntents()) > 0 || v.Now().Sub(e.last) < time.Minute {
		return strategy.Decision{}
	}
	e.last = v.Now()
	return strategy.Decision{Intents: []strategy.Intent{{Ref: "probe", Pair: "BTCEUR", Side: market.Buy,
		Size: d(e.size), Path: e.path, MaxSlippage: d("0.5")}}}
}

// Risk sees the maintenance window on simulated time: intents during it
// are rejected with reason maintenance, and none reaches the venue.
func TestMaintenanceWindowOnSimulatedTime(t *testing.T) {
	o := options(t, day(t))
	probe := &every{size: "0.001", path: strategy.OTC}
	o.Strategies = []strategy.Strategy{probe}
	var inWindow int
	o.OnExecuted = func(r execution.Result) {
		if !o.Gate.Open(r.Time) {
			inWindow++
		}
	}
	s := run(t, o)
	if s.Rejections.Risk["maintenance"] == 0 {
		t.Fatalf("rejections %v: none for maintenance, though the replay crosses Wednesday's window", s.Rejections.Risk)
	}
	if inWindow > 0 {
		t.Fatalf("%d intents executed inside the maintenance window", inWindow)
	}
}

// The range bounds the replay to ticks received in [From, To).
func TestRange(t *testing.T) {
	o := options(t, day(t))
	o.From, o.To = monday.Add(46*time.Hour), monday.Add(48*time.Hour)
	s := run(t, o)
	if s.FirstTick.Before(o.From) || !s.LastTick.Before(o.To) || s.Ticks == 0 {
		t.Fatalf("replayed %d ticks from %s to %s, want inside [%s, %s)", s.Ticks, s.FirstTick, s.LastTick, o.From, o.To)
	}
	// 2 h of two pairs every 10 s, less the 3-minute outage.
	if want := int64(2*3600/10*2 - 3*60/10*2); s.Ticks != want {
		t.Fatalf("replayed %d ticks, want %d", s.Ticks, want)
	}
}

// Two recordings are merged by receive time.
func TestMergeFeeds(t *testing.T) {
	dir := t.TempDir()
	btc := record(t, dir, "btc.ndjson", recording.Options{Duration: time.Hour, Every: 5 * time.Second, Pairs: recording.Pairs()[:1]})
	eth := record(t, dir, "eth.ndjson.gz", recording.Options{Duration: time.Hour, Every: 5 * time.Second, Pairs: recording.Pairs()[1:]})
	o := options(t, btc, eth)
	var last time.Time
	seen := map[string]int{}
	o.Strategies = []strategy.Strategy{&watch{fn: func(tk market.Tick) {
		if tk.Received.Before(last) {
			t.Fatalf("tick %v before the previous one at %v", tk, last)
		}
		last = tk.Received
		seen[tk.Pair]++
	}}}
	s := run(t, o)
	if seen["BTCEUR"] != 720 || seen["ETHEUR"] != 720 || s.Ticks != 1440 {
		t.Fatalf("saw %v (%d ticks), want 720 of each pair", seen, s.Ticks)
	}
}

// watch sees every tick and never trades.
type watch struct{ fn func(market.Tick) }

func (w *watch) Name() string { return "watch" }

func (w *watch) Handle(_ strategy.View, ev strategy.Event) strategy.Decision {
	if p, ok := ev.(strategy.Price); ok {
		w.fn(p.Tick)
	}
	return strategy.Decision{}
}

// Every way a recording can be unusable is an error naming the file and
// the line, and leaves no report (and no half-written one) behind.
func TestBadRecordings(t *testing.T) {
	src := day(t)
	whole, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	plain := gunzip(t, whole)
	lines := bytes.SplitAfter(plain, []byte("\n"))
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	join := func(ls [][]byte) []byte { return bytes.Join(ls, nil) }
	corrupt := append(append(join(lines[:100]), []byte("{\"pair\":\"BTCEUR\",\"size\":0.0001,\"buyPrice\":\"x\"}\n")...), join(lines[100:200])...)
	other := append([]byte(`{"format":"otcdesk-ticks/2","venue":"hercle"}`+"\n"), join(lines[1:50])...)

	cases := []struct {
		name, file string
		line       int
		want       string
	}{
		{"torn last line", write("torn.ndjson", append(join(lines[:300]), lines[300][:40]...)), 301, "truncated"},
		{"cut gzip", write("cut.ndjson.gz", whole[:len(whole)/2]), 0, "truncated"},
		{"corrupt line", write("corrupt.ndjson", corrupt), 101, "not a tick"},
		{"other version", write("v2.ndjson", other), 1, `"otcdesk-ticks/2"`},
		{"not a recording", write("notes.txt", []byte("hello\n")), 1, "not an otcdesk-ticks/1 tick file"},
		{"empty file", write("empty.ndjson", nil), 1, "not an otcdesk-ticks/1"},
		{"missing file", filepath.Join(dir, "nope.ndjson"), 0, "cannot open"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := options(t, c.file)
			_, err := Run(context.Background(), o)
			var fe *FeedError
			if !errors.As(err, &fe) {
				t.Fatalf("Run = %v, want a *FeedError", err)
			}
			if fe.File != c.file || (c.line > 0 && fe.Line != c.line) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Run = %q (line %d), want %s line %d saying %q", err, fe.Line, c.file, c.line, c.want)
			}
			if c.line > 0 && !strings.Contains(err.Error(), c.file) {
				t.Fatalf("error %q does not name the file", err)
			}
			noReport(t, o.Out)
		})
	}

	t.Run("empty range", func(t *testing.T) {
		o := options(t, src)
		o.From, o.To = monday.Add(-48*time.Hour), monday.Add(-24*time.Hour)
		_, err := Run(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), "empty time range") || !strings.Contains(err.Error(), src) ||
			!strings.Contains(err.Error(), "2026-03-03T18:00") {
			t.Fatalf("Run = %v, want an empty-range error naming the file and what it covers", err)
		}
		noReport(t, o.Out)
	})
	t.Run("from after to", func(t *testing.T) {
		o := options(t, src)
		o.From, o.To = monday.Add(48*time.Hour), monday.Add(46*time.Hour)
		if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "empty time range") {
			t.Fatalf("Run = %v, want an empty-range error", err)
		}
		noReport(t, o.Out)
	})
	t.Run("report directory in use", func(t *testing.T) {
		o := options(t, src)
		if err := os.MkdirAll(o.Out, 0o755); err != nil {
			t.Fatal(err)
		}
		keep := filepath.Join(o.Out, "mine.txt")
		if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("Run into a used directory = %v, want a refusal", err)
		}
		if _, err := os.Stat(keep); err != nil {
			t.Fatalf("the user's file is gone: %v", err)
		}
	})
}

// noReport checks that out does not exist and nothing else was left
// beside it.
func noReport(t *testing.T, out string) {
	t.Helper()
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed run left %s: %v", out, err)
	}
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		t.Fatalf("a failed run left %v beside %s", entries[0].Name(), out)
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzReplay: whatever a recording holds, Run either succeeds or returns
// an error and leaves no report; it never panics.
func FuzzReplay(f *testing.F) {
	var buf bytes.Buffer
	buf.WriteString(`{"format":"` + feeds.Format + `"}` + "\n")
	buf.WriteString(`{"pair":"BTCEUR","size":0.0001,"buyPrice":55000.5,"sellPrice":54990,"time":"2026-03-02T00:00:00Z","received":"2026-03-02T00:00:00.01Z"}` + "\n")
	buf.WriteString(`{"pair":"ETHEUR","size":0.001,"buyPrice":2750,"sellPrice":2749,"time":"2026-03-02T00:00:01Z","received":"2026-03-02T00:00:01.01Z","gap":true}` + "\n")
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"` + feeds.Format + `"}` + "\n" + `{"pair":"BTCEUR","buyPrice":-1,"sellPrice":0,"received":"2026-03-02T00:00:00Z"}` + "\n"))
	f.Add([]byte(`{"format":"` + feeds.Format + `"}` + "\n" + `{"pair":"XXX","buyPrice":1,"sellPrice":1,"received":"0001-01-01T00:00:01Z"}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "f.ndjson")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		o := options(t, p)
		o.Out = filepath.Join(dir, "out", "report")
		if err := os.Mkdir(filepath.Dir(o.Out), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), o); err != nil {
			noReport(t, o.Out)
		}
	})
}

// once is a strategy that buys once, on a timer at a fixed time.
type once struct {
	due  time.Time
	done bool
	path strategy.Path
}

func (a *once) Name() string { return "once" }

func (a *once) NextTimer(time.Time) time.Time {
	if a.done {
		return time.Time{}
	}
	return a.due
}

func (a *once) Handle(_ strategy.View, ev strategy.Event) strategy.Decision {
	if _, ok := ev.(strategy.Timer); !ok || a.done {
		return strategy.Decision{}
	}
	a.done = true
	return strategy.Decision{Intents: []strategy.Intent{{Ref: "once", Pair: "BTCEUR", Side: market.Buy, Size: d("0.1"), Path: a.path, MaxSlippage: d("1")}}}
}

// A decision on a timer fills at the last price recorded by the decision
// time plus the latency, the tick that arrives in between included.
func TestLatencyMeetsTheNextTick(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ticks.ndjson")
	rec, err := feeds.CreateRecorder(path, feeds.Header{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"50000", "50100", "50200", "50300"} {
		at := monday.Add(time.Duration(i) * time.Second)
		for _, pair := range []string{"BTCEUR", "ETHEUR"} {
			if err := rec.Write(feeds.Update{Tick: market.Tick{Pair: pair, Size: d("0.0001"), BuyPrice: d(p), SellPrice: d(p), Time: at, Received: at}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		latency time.Duration
		path    strategy.Path
		want    string
	}{
		{0, strategy.OTC, "50100"},                      // decided at 1.9 s: the 1 s price
		{50 * time.Millisecond, strategy.OTC, "50100"},  // reaches the venue at 1.95 s
		{200 * time.Millisecond, strategy.OTC, "50200"}, // at 2.1 s: the 2 s tick, not yet replayed when deciding
		{200 * time.Millisecond, strategy.RFQ, "50100"}, // an RFQ fills at its quote, made at decision time
	} {
		o := options(t, path)
		o.Strategies = []strategy.Strategy{&once{due: monday.Add(1900 * time.Millisecond), path: c.path}}
		o.Venue = VenueModel{Latency: c.latency}
		var fills []execution.Result
		o.OnExecuted = func(r execution.Result) { fills = append(fills, r) }
		run(t, o)
		if len(fills) != 1 || fills[0].Status != execution.Filled || !fills[0].Price.Equal(d(c.want)) {
			t.Fatalf("latency %s, %s: fills %+v, want one at %s", c.latency, c.path, fills, c.want)
		}
	}
}

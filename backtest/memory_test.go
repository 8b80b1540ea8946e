package backtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/backtest/internal/recording"
)

// childEnv names the recording a child process replays for
// TestMemoryFlat.
const childEnv = "BACKTEST_MEMORY_CHILD"

// TestMemoryFlat replays a recording and one ten times longer, each in a
// child process of its own, and requires the peak live heap of the longer
// to stay within 10% of the shorter: the replay streams, and nothing it
// keeps grows with the recording.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("records and replays 660 000 ticks")
	}
	dir := t.TempDir()
	const short = 60_000
	o := recording.Options{Duration: 365 * 24 * time.Hour, Every: time.Second}
	o.MaxTicks = short
	shortPath := record(t, dir, "short.ndjson.gz", o)
	o.MaxTicks = 10 * short
	longPath := record(t, dir, "long.ndjson.gz", o)

	peak := func(path string) (heap, rss int64, trades string) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryChild$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"="+path)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("child replaying %s: %v\n%s", path, err, out.String())
		}
		var ticks int64
		if _, err := fmt.Sscanf(out.String()[strings.Index(out.String(), "PEAK "):], "PEAK %d TICKS %d TRADES %s", &heap, &ticks, &trades); err != nil {
			t.Fatalf("child output: %v\n%s", err, out.String())
		}
		return heap, maxRSS(cmd), trades
	}
	h1, r1, tr1 := peak(shortPath)
	h10, r10, tr10 := peak(longPath)
	t.Logf("peak live heap: %d ticks %.2f MB (%s trades), %d ticks %.2f MB (%s trades); max RSS %.1f MB and %.1f MB",
		short, float64(h1)/1e6, tr1, 10*short, float64(h10)/1e6, tr10, float64(r1)/1e6, float64(r10)/1e6)
	// The report's attribution is package portfolio's Book, which keeps
	// every journal entry it applied (to undo one a reversal names), as it
	// does in the daemon: memory grows with the fills, not the ticks.
	n1, _ := strconv.Atoi(tr1)
	n10, _ := strconv.Atoi(tr10)
	fills := float64(n10 - n1)
	t.Logf("growth per extra fill: %.0f bytes", (float64(h10)-float64(h1))/max(fills, 1))
	if float64(h10) > 1.10*float64(h1)+perFill*fills {
		t.Fatalf("peak live heap grew from %d to %d bytes (%.0f%%) for a 10x longer recording with %.0f more fills, want within 10%% and %d bytes a fill",
			h1, h10, 100*(float64(h10)/float64(h1)-1), fills, perFill)
	}
}

// perFill bounds what a fill may add to the heap: its journal entry in
// package portfolio's Book.
const perFill = 4096

// TestMemoryChild is TestMemoryFlat's child: it replays the recording named
// by BACKTEST_MEMORY_CHILD, measuring the live heap (after a collection)
// every 16384 ticks, and prints the peak.
func TestMemoryChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("run by TestMemoryFlat")
	}
	var peak uint64
	var ms runtime.MemStats
	measure := func() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	o := options(t, path)
	o.Out = filepath.Join(t.TempDir(), "report")
	o.ProgressEvery = 16384
	o.Progress = func(Progress) { measure() }
	s, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PEAK %d TICKS %d TRADES %s\n", peak, s.Ticks, strconv.FormatInt(s.Trades, 10))
}

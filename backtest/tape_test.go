package backtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otcdesk/engine/backtest/internal/recording"
)

// A replay from a Tape is the replay from the files: every report file is
// byte for byte the same, over the whole recording and over a window of
// it, with latency (the venue model reads ahead) and without.
func TestTapeReplaysAsTheFiles(t *testing.T) {
	path := day(t)
	tape, err := LoadTape(context.Background(), []string{path}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if tape.Len() != decode(t, path) {
		t.Fatalf("tape holds %d ticks, the file %d", tape.Len(), decode(t, path))
	}
	from, to := monday.Add(45*time.Hour), monday.Add(55*time.Hour)
	for _, c := range []struct {
		name     string
		from, to time.Time
		latency  time.Duration
	}{
		{"whole", time.Time{}, time.Time{}, 200 * time.Millisecond},
		{"window", from, to, 200 * time.Millisecond},
		{"no-latency", from, time.Time{}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			files, mem := options(t, path), options(t, path)
			files.From, files.To, mem.From, mem.To = c.from, c.to, c.from, c.to
			files.Venue.Latency, mem.Venue.Latency = c.latency, c.latency
			files.Out, mem.Out = filepath.Join(t.TempDir(), "files"), filepath.Join(t.TempDir(), "tape")
			mem.Feeds, mem.Tape = nil, tape
			a, b := run(t, files), run(t, mem)
			if a.Trades == 0 {
				t.Fatal("no trades: the comparison needs some")
			}
			for _, name := range []string{FileSummary, FileTrades, FileEquity, FileChartSV, FileReport} {
				x, err := os.ReadFile(filepath.Join(files.Out, name))
				if err != nil {
					t.Fatal(err)
				}
				y, err := os.ReadFile(filepath.Join(mem.Out, name))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(x, y) {
					t.Errorf("%s differs between the replay of the files and of the tape", name)
				}
			}
			if b.Ticks != a.Ticks || b.FeedGaps != a.FeedGaps {
				t.Errorf("tape replayed %d ticks, %d gaps; the files %d, %d", b.Ticks, b.FeedGaps, a.Ticks, a.FeedGaps)
			}
		})
	}
}

// Windows of a tape are by receive time, and one outside the recording is
// the empty-range error.
func TestTapeWindows(t *testing.T) {
	path := record(t, t.TempDir(), "short.ndjson", recording.Options{Duration: time.Hour, Every: time.Second, MaxTicks: 2000})
	tape, err := LoadTape(context.Background(), []string{path}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	first, last := tape.Span()
	if first.Before(monday) || !last.After(first) {
		t.Fatalf("tape spans %s to %s", first, last)
	}
	if w := tape.window(last.Add(time.Second), time.Time{}); len(w) != 0 {
		t.Errorf("window after the last tick holds %d ticks", len(w))
	}
	if w := tape.window(first, last); len(w) != tape.Len()-1 {
		t.Errorf("window [first, last) holds %d ticks, want %d", len(w), tape.Len()-1)
	}
	o := options(t)
	o.Tape, o.From = tape, last.Add(time.Hour)
	if _, err := Run(context.Background(), o); err == nil || !bytes.Contains([]byte(err.Error()), []byte("empty time range")) {
		t.Errorf("Run past the tape's end = %v, want the empty-range error", err)
	}
}

// A tape keeps decimals as written: 1.50 stays apart from 1.5.
func TestInternKeepsRepresentation(t *testing.T) {
	b := tapeBuilder{t: &Tape{}, pairs: map[string]uint16{}, decs: map[decKey]uint32{}, bigs: map[string]uint32{}}
	i := b.intern(1, d("1.50"))
	j := b.intern(1, d("1.5"))
	k := b.intern(1, d("1.50"))
	if i == j || i != k {
		t.Fatalf("intern(1.50), intern(1.5), intern(1.50) = %d, %d, %d: want the first and last equal, the middle apart", i, j, k)
	}
	huge, huger := d("1234567890123456789012.5"), d("1234567890123456789012.50")
	x, y, z := b.intern(0, huge), b.intern(2, huger), b.intern(1, huge)
	if x == y || x != z || !b.t.decs[y].Equal(huger) || b.t.decs[y].Exponent() != -2 {
		t.Fatalf("coefficients beyond int64: intern = %d, %d, %d", x, y, z)
	}
	if e := b.t.decs[i].Exponent(); e != -2 {
		t.Errorf("interned 1.50 with exponent %d, want -2", e)
	}
}

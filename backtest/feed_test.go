package backtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/otcdesk/engine/backtest/internal/recording"
	"github.com/otcdesk/engine/feeds"
)

// drained is what a source handed over: the ticks, the error that ended
// them and the counters after.
type drained struct {
	ups           []feeds.Update
	err           string
	gaps, skipped int64
	first, last   time.Time
}

// A single recording is streamed by decoding into the batches (fillOne)
// rather than through next and the feed's head: it must hand over the same
// ticks, end with the same error (the tick before a line that fails is
// not handed over) and count the same gaps and skips, across batch
// boundaries, in a range and not.
func TestStreamOneFeedAsNext(t *testing.T) {
	dir := t.TempDir()
	whole := record(t, dir, "feed.ndjson", recording.Options{Duration: 20 * time.Minute, Every: time.Second,
		Outages: []recording.Outage{{At: monday.Add(2 * time.Minute), For: 10 * time.Second}, {At: monday.Add(9 * time.Minute), For: 3 * time.Second}}})
	b, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	// Gaps on the ticks at batch boundaries too (line k+1 is tick k).
	for _, k := range []int{0, batchSize - 1, batchSize, batchSize + 1, 2 * batchSize} {
		lines[k+1] = bytes.Replace(lines[k+1], []byte("}\n"), []byte(`,"gap":true}`+"\n"), 1)
	}
	whole = filepath.Join(dir, "gaps.ndjson")
	if err := os.WriteFile(whole, bytes.Join(lines, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"whole": whole}
	// Line k+1 is tick k: corrupt the tick at and around batch boundaries,
	// where fillOne carries its look-ahead over.
	for _, k := range []int{1, 2, batchSize, batchSize + 1, batchSize + 2, 2*batchSize + 1, 1000} {
		bad := bytes.Join([][]byte{bytes.Join(lines[:k], nil), []byte("{\"pair\":\"BTCEUR\",\"size\":\"x\"}\n"), bytes.Join(lines[k:], nil)}, nil)
		p := filepath.Join(dir, fmt.Sprintf("bad%d.ndjson", k))
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		files[fmt.Sprintf("bad line %d", k)] = p
	}
	torn := filepath.Join(dir, "torn.ndjson")
	if err := os.WriteFile(torn, append(bytes.Join(lines[:2*batchSize+2], nil), lines[2*batchSize+2][:30]...), 0o644); err != nil {
		t.Fatal(err)
	}
	files["torn"] = torn
	ranges := [][2]time.Time{{}, {monday.Add(90 * time.Second), monday.Add(11 * time.Minute)}, {monday.Add(time.Hour), {}}}
	for name, p := range files {
		for _, rg := range ranges {
			t.Run(fmt.Sprintf("%s/from %s", name, rg[0].Format(time.TimeOnly)), func(t *testing.T) {
				want := drainNext(t, p, rg[0], rg[1])
				got := drainStream(t, p, rg[0], rg[1])
				if len(want.ups) < 3 && name == "whole" && rg[0].IsZero() {
					t.Fatalf("the reference handed over %d ticks", len(want.ups))
				}
				if len(got.ups) != len(want.ups) {
					t.Fatalf("streamed %d ticks, next hands over %d", len(got.ups), len(want.ups))
				}
				for i := range want.ups {
					if !reflect.DeepEqual(got.ups[i], want.ups[i]) {
						t.Fatalf("tick %d streamed %+v, next hands over %+v", i, got.ups[i], want.ups[i])
					}
				}
				got.ups, want.ups = nil, nil
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("streamed %+v, next %+v", got, want)
				}
			})
		}
	}
}

func drainNext(t *testing.T, path string, from, to time.Time) drained {
	src, err := openSource([]string{path}, from, to)
	if err != nil {
		return drained{err: err.Error()}
	}
	defer src.close()
	var d drained
	for {
		u, ok, err := src.next()
		if err != nil {
			d.err = err.Error()
			break
		}
		if !ok {
			break
		}
		d.ups = append(d.ups, u)
	}
	d.gaps, d.skipped, d.first, d.last = src.gaps, src.skipped, src.first, src.last
	return d
}

func drainStream(t *testing.T, path string, from, to time.Time) drained {
	src, err := openSource([]string{path}, from, to)
	if err != nil {
		return drained{err: err.Error()}
	}
	defer src.close()
	var d drained
	in := newStreamTicks(context.Background(), src)
	for {
		u, err := in.next()
		if err != nil {
			d.err = err.Error()
			break
		}
		if u == nil {
			break
		}
		d.ups = append(d.ups, *u)
	}
	in.stop()
	d.gaps, d.skipped, d.first, d.last = in.gaps(), src.skipped, src.first, src.last
	return d
}

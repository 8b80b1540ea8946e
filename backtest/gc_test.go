package backtest

import (
	"runtime/debug"
	"testing"
)

// TuneGC sets a run's and a sweep's collector, restores what was there,
// and leaves GOGC and GOMEMLIMIT from the environment alone.
func TestTuneGC(t *testing.T) {
	before, beforeLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	defer debug.SetGCPercent(before)
	defer debug.SetMemoryLimit(beforeLimit)
	none := func(string) string { return "" }
	current := func() (int, int64) {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}
	_, limit := current()
	cases := []struct {
		name      string
		getenv    func(string) string
		sweep     bool
		percent   int
		withLimit int64
	}{
		{"run", none, false, runGCPercent, runMemoryLimit},
		{"sweep", none, true, sweepGCPercent, limit},
		{"GOGC set", func(k string) string { return map[string]string{"GOGC": "200"}[k] }, false, 100, limit},
		{"GOMEMLIMIT set", func(k string) string { return map[string]string{"GOMEMLIMIT": "2GiB"}[k] }, false, 100, limit},
	}
	for _, c := range cases {
		restore := TuneGC(c.getenv, c.sweep)
		if p, l := current(); p != c.percent || l != c.withLimit {
			t.Errorf("%s: GOGC %d, limit %d; want %d and %d", c.name, p, l, c.percent, c.withLimit)
		}
		restore()
		if p, l := current(); p != 100 || l != limit {
			t.Errorf("%s: restored GOGC %d, limit %d; want 100 and %d", c.name, p, l, limit)
		}
	}
}

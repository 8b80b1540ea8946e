package backtest

import "runtime/debug"

// The collector's settings for one run (see TuneGC).
const (
	runGCPercent   = 1600
	runMemoryLimit = 1 << 30
	// sweepGCPercent is for a sweep, whose live heap is mostly its Tape
	// (65 MB a million ticks): 4× keeps its memory where it was.
	sweepGCPercent = 400
)

// TuneGC sets the collector for a replay in this process and returns what
// restores the previous settings; a GOGC or GOMEMLIMIT in the environment
// (getenv) is left to rule. A run allocates about 200 bytes a tick and
// keeps a few megabytes (more with fills, about 1.6 KB each), so it
// collects at 16× its live heap (GOGC=1600) under a 1 GiB limit that
// brings collection back as fills grow the heap; measured, that is 5–15%
// less CPU a run than 4× (BenchmarkBacktest). A sweep (sweep true) keeps
// 4×: its Tape is most of its heap.
func TuneGC(getenv func(string) string, sweep bool) (restore func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	if sweep {
		old := debug.SetGCPercent(sweepGCPercent)
		return func() { debug.SetGCPercent(old) }
	}
	oldPercent := debug.SetGCPercent(runGCPercent)
	oldLimit := debug.SetMemoryLimit(runMemoryLimit)
	return func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}
}

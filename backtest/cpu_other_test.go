//go:build !unix

package backtest

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }

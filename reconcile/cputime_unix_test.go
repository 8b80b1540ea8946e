//go:build unix

package reconcile_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used, to
// report a benchmark's CPU cost apart from its wall time on a machine
// shared with other work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

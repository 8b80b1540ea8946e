//go:build unix

package backtest

import (
	"os/exec"
	"syscall"
)

// maxRSS returns a finished child's peak resident set, in bytes.
func maxRSS(cmd *exec.Cmd) int64 {
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}

//go:build !unix

package backtest

import "os/exec"

// maxRSS is not measured here.
func maxRSS(*exec.Cmd) int64 { return 0 }

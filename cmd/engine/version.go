package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func cmdVersion(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "version", "version", "engine version")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	fmt.Fprintln(e.stdout, versionString())
	return exitOK
}

// versionString reports the module version and the VCS revision the binary
// was built from, as recorded by the Go toolchain.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "engine (unknown build)"
	}
	v := "engine " + bi.Main.Version
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		v += " (" + rev + modified + ")"
	}
	return v + " " + bi.GoVersion
}

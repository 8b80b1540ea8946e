package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envMain makes the test binary run main() itself: the black-box tests
// below start it as a separate process and signal it.
const envMain = "ENGINE_TEST_MAIN"

func TestMain(m *testing.M) {
	if args := os.Getenv(envMain); args != "" {
		os.Args = append([]string{"engine"}, strings.Split(args, "\x1f")...)
		main()
		return
	}
	os.Exit(m.Run())
}

// TestRunExitsOnSIGINTAtAnyTime sends SIGINT to `engine run` (the shipped
// configuration in paper mode) at several moments of its start-up and of
// its running: it exits cleanly, with code 0, within 10 seconds each time.
func TestRunExitsOnSIGINTAtAnyTime(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the engine as a process five times")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 600 * time.Millisecond, time.Second, 2 * time.Second} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), envMain+"=run\x1f-config\x1f"+paperConfig(t))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			signal := time.NewTimer(after) // the moment under test, not a synchronisation
			defer signal.Stop()
			select {
			case err := <-done:
				t.Fatalf("the engine exited before the signal: %v\n%s", err, out.String())
			case <-signal.C:
			}
			sent := time.Now()
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if took := time.Since(sent); err != nil {
					t.Fatalf("exit after SIGINT at %s: %v (after %s)\n%s", after, err, took, out.String())
				}
				if !strings.Contains(out.String(), `msg="engine stopped"`) {
					t.Errorf("no clean stop in the log:\n%s", out.String())
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 10s after SIGINT at %s\n%s", after, out.String())
			}
		})
	}
}

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// processTimeout bounds every engine process of the black-box tests
// (failclosed_test.go) but the one that makes the paper ledger: on a
// judged ledger each must have answered by then.
const processTimeout = 10 * time.Second

// engineProc is one `engine` process.
type engineProc struct {
	args  string
	limit time.Duration
	cmd   *exec.Cmd
	ctx   context.Context // ends at the process's time limit: it is killed
	out   *watchWriter    // stdout and stderr
	done  chan struct{}   // closed once the process has exited
	err   error           // cmd.Wait's, once done
}

// startEngine starts `engine args...` with extra environment variables
// (KEY=value), to be killed processTimeout after its start.
func startEngine(t *testing.T, environ []string, args ...string) *engineProc {
	t.Helper()
	return startEngineFor(t, processTimeout, environ, args...)
}

// startEngineFor is startEngine with another time limit.
func startEngineFor(t *testing.T, limit time.Duration, environ []string, args ...string) *engineProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), envMain+"="+strings.Join(args, "\x1f")), environ...)
	p := &engineProc{args: strings.Join(args, " "), limit: limit, cmd: cmd, ctx: ctx,
		out: &watchWriter{want: "\x00", fire: func() {}}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// wait waits for the process to exit and returns its exit code and
// output; the test fails if it had to be killed.
func (p *engineProc) wait(t *testing.T) (int, string) {
	t.Helper()
	<-p.done
	if errors.Is(p.ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("engine %s: still running %s after its start: killed\n%s", p.args, p.limit, p.out.String())
	}
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		t.Fatalf("engine %s: %v", p.args, p.err)
	}
	return p.cmd.ProcessState.ExitCode(), p.out.String()
}

// waitOutput polls the output until ok holds; false if the process exited
// first.
func (p *engineProc) waitOutput(ok func(string) bool) bool {
	for !ok(p.out.String()) {
		select {
		case <-p.done:
			return ok(p.out.String())
		case <-time.After(20 * time.Millisecond): // polling the output for a condition, bounded by the process's limit
		}
	}
	return true
}

// interrupt sends SIGINT once the output has want, and returns the exit
// code and the output.
func (p *engineProc) interrupt(t *testing.T, want string) (int, string) {
	t.Helper()
	if p.waitOutput(func(out string) bool { return strings.Contains(out, want) }) {
		if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	return p.wait(t)
}

// engineExit runs `engine args...` to its end.
func engineExit(t *testing.T, environ []string, args ...string) (int, string) {
	t.Helper()
	return startEngine(t, environ, args...).wait(t)
}

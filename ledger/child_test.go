package ledger

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// The crash and lock tests re-execute the test binary as a child process;
// TestMain routes it here when childEnv is set.
const (
	childEnv     = "LEDGER_TEST_CHILD" // "post" or "hold"
	childDBEnv   = "LEDGER_TEST_DB"
	childSeedEnv = "LEDGER_TEST_SEED"
)

func runChild(mode string) int {
	path := os.Getenv(childDBEnv)
	s, err := Open(path, Options{LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 1
	}
	defer s.Close()
	switch mode {
	case "hold":
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin) // hold the lock until the parent closes stdin
		return 0
	case "post":
		seed, _ := strconv.ParseUint(os.Getenv(childSeedEnv), 10, 64)
		return childPost(s, seed)
	}
	fmt.Fprintln(os.Stderr, "unknown child mode", mode)
	return 2
}

// childPost posts entries from 8 goroutines until killed, printing each
// key once Post has returned: the parent holds the ledger to every printed
// key. Some keys repeat earlier runs' keys, so duplicates meet crashes too.
func childPost(s *Store, seed uint64) int {
	var (
		mu  sync.Mutex // serialises lines on stdout
		wg  sync.WaitGroup
		bad = make(chan error, 8)
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			for i := range 5000 {
				key := fmt.Sprintf("c%d-%d-%d", seed, g, i)
				if rng.IntN(10) == 0 {
					key = fmt.Sprintf("dup-%d", rng.IntN(50))
				}
				amt := strconv.Itoa(1 + rng.IntN(1000))
				if _, _, err := s.Post(context.Background(), trade(key, "0."+amt, amt)); err != nil {
					bad <- err
					return
				}
				mu.Lock()
				fmt.Fprintln(os.Stdout, key)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-bad:
		fmt.Fprintln(os.Stderr, "child post:", err)
		return 1
	default:
		return 0
	}
}

func childCmd(mode, path string, seed uint64) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childDBEnv+"="+path, childSeedEnv+"="+strconv.FormatUint(seed, 10))
	return cmd
}

// TestCrash kills a child process that is posting entries at random
// moments, 100 times, on one file. After each kill the file must open, pass
// Verify, and hold every entry the child reported committed, in this and
// all earlier runs.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	const seed = 20250304
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := filepath.Join(t.TempDir(), "crash.db")
	committed := map[string]bool{}
	var checking time.Duration
	for run := range 100 {
		cmd := childCmd("post", path, uint64(run))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := rng.IntN(200) // lines to read before the kill; 0 kills during start-up
		sc := bufio.NewScanner(out)
		n := 0
		thisRun := map[string]bool{}
		for n < killAfter && sc.Scan() {
			thisRun[sc.Text()] = true
			n++
		}
		cmd.Process.Kill() // SIGKILL
		for sc.Scan() {    // lines already in the pipe were committed too
			thisRun[sc.Text()] = true
		}
		for k := range thisRun {
			committed[k] = true
		}
		werr := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(werr, &ee) || ee.Exited() {
			t.Fatalf("run %d: child ended on its own (%v) before the kill; stderr:\n%s", run, werr, stderr.String())
		}

		t0 := time.Now()
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("run %d (kill after %d lines): Open after SIGKILL = %v", run, killAfter, err)
		}
		if err := s.Verify(context.Background()); err != nil {
			t.Fatalf("run %d: Verify after SIGKILL = %v", run, err)
		}
		for key := range thisRun {
			if _, err := s.Entry(context.Background(), key); err != nil {
				t.Fatalf("run %d: entry %s reported committed before the kill: %v", run, key, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		checking += time.Since(t0)
	}
	t.Logf("checking took %s", checking)
	// Every key reported in any run is still there at the end.
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	present := map[string]bool{}
	if err := s.Journal(context.Background(), Filter{}, func(e Entry) error {
		present[e.Key] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for key := range committed {
		if !present[key] {
			t.Errorf("entry %s, reported committed in an earlier run, is missing at the end", key)
		}
	}
	t.Logf("%d distinct committed keys checked across 100 kills", len(committed))
}

// TestLockedByAnotherProcess: while a child process holds the file, Open
// read-write and read-only both fail with ErrInUse within the timeout and
// the file is unchanged.
func TestLockedByAnotherProcess(t *testing.T) {
	s, path := openTemp(t)
	if _, _, err := s.Post(context.Background(), trade("t1", "1", "100")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	cmd := childCmd("hold", path, 0)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("child said %q, %v; stderr:\n%s", line, err, stderr.String())
	}
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{LockTimeout: 100 * time.Millisecond, ReadOnly: ro})
		if !errors.Is(err, ErrInUse) {
			t.Errorf("Open(ReadOnly=%v) of a file held by another process = %v, want ErrInUse", ro, err)
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v; stderr:\n%s", err, stderr.String())
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a refused Open changed the file")
	}
}

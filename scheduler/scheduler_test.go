package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/otcdesk/engine/internal/clock"
)

// drive advances the clock from job to job until end, as a backtest does.
func drive(t *testing.T, s *Scheduler, c *clock.Manual, end time.Time) {
	t.Helper()
	ctx := context.Background()
	for {
		next, ok := s.Next()
		if !ok || next.After(end) {
			return
		}
		c.Set(next)
		if s.RunDue(ctx) == 0 {
			t.Fatalf("nothing ran at %s although it was due", next)
		}
	}
}

type run struct{ now, at time.Time }

func TestWholeWeeksNoRunInsideWindow(t *testing.T) {
	gate, err := NewGate(GateConfig{Weekly: []Weekly{HercleMaintenance()}, Before: 5 * time.Minute, After: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	start := mustTime(t, "2026-11-23T00:00:00Z") // a Monday
	end := start.Add(3 * 7 * 24 * time.Hour)
	clk := clock.NewManual(start)
	reg := prometheus.NewRegistry()
	s, err := New(Options{Clock: clk.Clock(), Gate: gate, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string][]run{}
	for _, j := range []struct {
		name   string
		policy WindowPolicy
	}{{"deferred", Defer}, {"skipped", Skip}} {
		if err := s.Add(Job{Name: j.name, Spec: "*/15 * * * *", InWindow: j.policy, Run: func(_ context.Context, at time.Time) error {
			runs[j.name] = append(runs[j.name], run{clk.Now(), at})
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
	}
	drive(t, s, clk, end)

	for name, rs := range runs {
		for _, r := range rs {
			if !gate.Open(r.now) {
				t.Errorf("%s ran at %s, inside a window", name, r.now)
			}
		}
	}
	// Each week the window with margins is 08:55Z–10:10Z on Wednesday: the
	// activations at 09:00, 09:15, 09:30, 09:45 and 10:00 fall inside it.
	perWeek := 7 * 24 * 4
	if got, want := len(runs["skipped"]), 3*(perWeek-5); got != want {
		t.Errorf("skipped job ran %d times over three weeks, want %d", got, want)
	}
	if got, want := len(runs["deferred"]), 3*(perWeek-5+1); got != want {
		t.Errorf("deferred job ran %d times over three weeks, want %d", got, want)
	}
	var deferredAt []time.Time
	for _, r := range runs["deferred"] {
		if r.at.Minute()%15 != 0 {
			deferredAt = append(deferredAt, r.at)
		}
	}
	for i, want := range []string{"2026-11-25T10:10:00Z", "2026-12-02T10:10:00Z", "2026-12-09T10:10:00Z"} {
		if i >= len(deferredAt) || !deferredAt[i].Equal(mustTime(t, want)) {
			t.Fatalf("deferred runs at %v, want one at each window end (%s, ...)", deferredAt, want)
		}
	}
	for _, r := range runs["skipped"] {
		if r.at.Equal(mustTime(t, "2026-11-25T10:10:00Z")) {
			t.Error("skipped job ran at the window's end")
		}
	}
	if got := testutil.ToFloat64(s.runs.WithLabelValues("deferred", "deferred")); got != 3 {
		t.Errorf("deferred counter = %v, want 3", got)
	}
}

func TestActivationAtWindowEndRuns(t *testing.T) {
	gate, _ := NewGate(GateConfig{Weekly: []Weekly{HercleMaintenance()}})
	clk := clock.NewManual(mustTime(t, "2026-11-25T08:00:00Z"))
	s, _ := New(Options{Clock: clk.Clock(), Gate: gate})
	var got []time.Time
	if err := s.Add(Job{Name: "hourly", Spec: "0 * * * *", InWindow: Skip, Run: func(_ context.Context, at time.Time) error {
		got = append(got, at)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	drive(t, s, clk, mustTime(t, "2026-11-25T11:00:00Z"))
	want := []string{"2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z"}
	// 09:00 is inside [09:00, 10:00) and skipped; 10:00 is the end, open.
	want = want[1:]
	if len(got) != len(want) {
		t.Fatalf("ran at %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(mustTime(t, want[i])) {
			t.Fatalf("ran at %v, want %v", got, want)
		}
	}
}

func TestClockJumpIntoWindowReplans(t *testing.T) {
	gate, _ := NewGate(GateConfig{Weekly: []Weekly{HercleMaintenance()}})
	clk := clock.NewManual(mustTime(t, "2026-11-25T08:50:00Z"))
	s, _ := New(Options{Clock: clk.Clock(), Gate: gate})
	var got []time.Time
	s.Add(Job{Name: "j", Spec: "55 8 * * *", InWindow: Defer, Run: func(_ context.Context, at time.Time) error {
		got = append(got, clk.Now())
		return nil
	}})
	// The process was suspended past 08:55 into the window.
	clk.Set(mustTime(t, "2026-11-25T09:20:00Z"))
	if n := s.RunDue(context.Background()); n != 0 {
		t.Fatalf("ran %d jobs inside the window", n)
	}
	if next, _ := s.Next(); !next.Equal(mustTime(t, "2026-11-25T10:00:00Z")) {
		t.Fatalf("next = %s, want the window's end", next)
	}
	clk.Set(mustTime(t, "2026-11-25T10:00:00Z"))
	if n := s.RunDue(context.Background()); n != 1 || len(got) != 1 {
		t.Fatalf("deferred job did not run at the window's end: %d", n)
	}
}

func TestRunLoopOnManualClock(t *testing.T) {
	clk := clock.NewManual(mustTime(t, "2026-11-23T00:00:00Z"))
	s, _ := New(Options{Clock: clk.Clock()})
	ran := make(chan time.Time)
	failing := errors.New("boom")
	if err := s.Add(Job{Name: "every-minute", Spec: "@every 1m", Run: func(ctx context.Context, at time.Time) error {
		select {
		case ran <- at:
		case <-ctx.Done():
		}
		return failing // errors are logged; the job stays scheduled
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for i := 1; i <= 3; i++ {
		clk.Advance(time.Minute)
		select {
		case at := <-ran:
			if want := mustTime(t, "2026-11-23T00:00:00Z").Add(time.Duration(i) * time.Minute); !at.Equal(want) {
				t.Fatalf("run %d due at %s, want %s", i, at, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("run %d never happened", i)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop on cancel")
	}
	if got := testutil.ToFloat64(s.runs.WithLabelValues("every-minute", "error")); got != 3 {
		t.Errorf("error counter = %v, want 3", got)
	}
}

func TestAddRefusesBadJobs(t *testing.T) {
	s, _ := New(Options{Clock: clock.NewManual(time.Unix(0, 0)).Clock()})
	noop := func(context.Context, time.Time) error { return nil }
	if err := s.Add(Job{Name: "a", Spec: "*/5 * * * *", Run: noop}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		job  Job
		want string
	}{
		{Job{Name: "a", Spec: "* * * * *", Run: noop}, "already scheduled"},
		{Job{Name: "b", Spec: "61 * * * *", Run: noop}, "cron spec"},
		{Job{Name: "c", Spec: "", Run: noop}, "cron spec"},
		{Job{Name: "", Spec: "* * * * *", Run: noop}, "name"},
		{Job{Name: "d", Spec: "* * * * *"}, "Run"},
	} {
		err := s.Add(c.job)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Add(%+v) = %v, want an error mentioning %q", c.job.Name, err, c.want)
		}
	}
	if err := ParseSpec("0 30 9 * * MON-FRI"); err != nil {
		t.Errorf("six-field spec refused: %v", err)
	}
}

func TestParseWindowPolicy(t *testing.T) {
	for in, want := range map[string]WindowPolicy{"defer": Defer, "skip": Skip} {
		if got, err := ParseWindowPolicy(in); err != nil || got != want || got.String() != in {
			t.Errorf("ParseWindowPolicy(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseWindowPolicy("later"); err == nil {
		t.Error("accepted \"later\"")
	}
}

// Cron specs are read on the local clock of the scheduler's zone (or the
// spec's CRON_TZ) across daylight-saving changes: a job at a fixed local
// time runs once on the day the clock goes back (its time shows twice),
// and on the day the clock skips its time, when the clock jumps past it.
func TestCronOnLocalClockAcrossDaylightSaving(t *testing.T) {
	rome, err := ParseZone("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, spec string
		zone       *time.Location
		from, to   string
		want       []string
	}{
		{"clock goes back", "0 30 2 * * *", rome, "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z",
			[]string{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"clock skips", "0 30 2 * * *", rome, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z",
			[]string{"2026-03-27T01:30:00Z", "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		{"CRON_TZ, clock goes back", "CRON_TZ=Europe/Rome 0 30 2 * * *", time.UTC, "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z",
			[]string{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"every hour is real time", "0 */30 * * * *", rome, "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z",
			[]string{"2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:00:00Z"}},
		{"every is real time", "@every 1h", rome, "2026-10-25T00:00:00Z", "2026-10-25T03:00:00Z",
			[]string{"2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"}},
	} {
		clk := clock.NewManual(mustTime(t, c.from))
		s, err := New(Options{Clock: clk.Clock(), Zone: c.zone})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := s.Add(Job{Name: "j", Spec: c.spec, Run: func(_ context.Context, at time.Time) error {
			got = append(got, at.UTC().Format(time.RFC3339))
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
		drive(t, s, clk, mustTime(t, c.to))
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: runs %v, want %v", c.name, got, c.want)
		}
	}
}

// A run that shutdown cuts short is counted as stopped and logged at INFO:
// a desk reads ERROR as a fault, and there is none.
func TestRunStoppedByShutdownIsNoError(t *testing.T) {
	clk := clock.NewManual(mustTime(t, "2026-11-23T00:00:00Z"))
	var logs strings.Builder
	s, err := New(Options{Clock: clk.Clock(), Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Add(Job{Name: "sweep", Spec: "@every 1m", Run: func(ctx context.Context, _ time.Time) error {
		cancel() // the daemon stops while the job waits on the venue
		return fmt.Errorf("request not sent: %w", ctx.Err())
	}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if n := s.RunDue(ctx); n != 1 {
		t.Fatalf("ran %d jobs, want 1", n)
	}
	if got := testutil.ToFloat64(s.runs.WithLabelValues("sweep", "stopped")); got != 1 {
		t.Errorf("stopped counter = %v, want 1", got)
	}
	if got := testutil.ToFloat64(s.runs.WithLabelValues("sweep", "error")); got != 0 {
		t.Errorf("error counter = %v, want 0", got)
	}
	if strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), `level=INFO msg="scheduled job stopped by shutdown"`) {
		t.Errorf("log:\n%s", logs.String())
	}
}

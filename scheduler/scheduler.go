package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/otcdesk/engine/internal/clock"
)

// WindowPolicy says what happens to a job due while the gate is closed.
type WindowPolicy int

const (
	// Defer runs the job once when the window ends, however many of its
	// activations fell inside it.
	Defer WindowPolicy = iota
	// Skip drops the activations inside the window.
	Skip
)

func (p WindowPolicy) String() string {
	if p == Skip {
		return "skip"
	}
	return "defer"
}

// ParseWindowPolicy reads "defer" or "skip".
func ParseWindowPolicy(s string) (WindowPolicy, error) {
	switch s {
	case "defer":
		return Defer, nil
	case "skip":
		return Skip, nil
	}
	return 0, fmt.Errorf("in-window policy %q must be \"defer\" or \"skip\"", s)
}

// specParser accepts five fields, an optional leading seconds field, and
// descriptors such as @hourly and @every 5m.
var specParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSpec checks a cron spec the way the scheduler reads it.
func ParseSpec(spec string) error {
	_, err := specParser.Parse(spec)
	if err != nil {
		return fmt.Errorf("cron spec %q: %w", spec, err)
	}
	return nil
}

// CheckSpec parses spec and checks that its activations are at least
// min apart ("@every 0s" or "* * * * * *" would run a job every second)
// and that it fires at all.
func CheckSpec(spec string, min time.Duration) error {
	sch, err := specParser.Parse(spec)
	if err != nil {
		return fmt.Errorf("cron spec %q: %w", spec, err)
	}
	// Sample a year of activations from a fixed instant: enough to meet
	// every field of a cron spec, and deterministic.
	at := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	end := at.AddDate(1, 0, 1)
	for n := 0; n < 1000 && at.Before(end); n++ {
		next := sch.Next(at)
		if next.IsZero() {
			if n == 0 {
				return fmt.Errorf("cron spec %q never fires", spec)
			}
			return nil
		}
		if n > 0 && next.Sub(at) < min {
			return fmt.Errorf("cron spec %q fires every %s; at least %s apart", spec, next.Sub(at), min)
		}
		at = next
	}
	return nil
}

// Job is work that runs on a schedule.
type Job struct {
	// Name identifies the job in logs and metrics; unique per scheduler.
	Name string
	// Spec is a cron spec: "*/15 * * * *", "0 30 9 * * MON-FRI" (with
	// seconds), "@every 5m". Times are read in the scheduler's zone, on
	// its local clock when the spec names hours: on the day the clock goes
	// back such a time runs once, and on the day it skips it, when the
	// clock jumps past it.
	Spec string
	// InWindow is what happens to an activation while the gate is closed.
	InWindow WindowPolicy
	// Run does the work. at is the moment it was due (the window's end
	// for a deferred run). Errors are logged and counted; the job stays
	// scheduled.
	Run func(ctx context.Context, at time.Time) error
}

// Options configure a Scheduler.
type Options struct {
	Clock clock.Clock // zero: the system clock
	Gate  *Gate       // default: always open
	// Zone is where cron specs are read; default UTC.
	Zone     *time.Location
	Logger   *slog.Logger
	Registry prometheus.Registerer // optional
}

// Scheduler runs jobs. Jobs run one at a time on the goroutine that calls
// Run (or RunDue), in order of due time, so the outcome is deterministic
// under a simulated clock; a job should only decide and record intents and
// leave slow I/O to its owner.
type Scheduler struct {
	clock clock.Clock
	gate  *Gate
	zone  *time.Location
	log   *slog.Logger
	runs  *prometheus.CounterVec

	mu   sync.Mutex
	jobs []*entry
}

type entry struct {
	job      Job
	sched    cron.Schedule
	wall     *time.Location // non-nil: sched reads wall-clock times of this zone (see nextAfter)
	next     time.Time      // zero: never again
	deferred bool           // next is a window end standing in for activations inside it
}

// New returns a scheduler with no jobs.
func New(o Options) (*Scheduler, error) {
	s := &Scheduler{clock: o.Clock, gate: o.Gate, zone: o.Zone, log: o.Logger}
	if s.zone == nil {
		s.zone = time.UTC
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "engine_scheduler_runs_total",
		Help: "Job runs by task (the job's name; \"job\" is Prometheus' own label) and outcome (ok, error, stopped: cut short by shutdown, deferred, skipped).",
	}, []string{"task", "outcome"})
	if o.Registry != nil {
		if err := o.Registry.Register(s.runs); err != nil {
			return nil, fmt.Errorf("scheduler metrics: %w", err)
		}
	}
	return s, nil
}

// Add schedules j from the clock's current time.
func (s *Scheduler) Add(j Job) error {
	if j.Name == "" || j.Run == nil {
		return errors.New("scheduler: a job needs a name and a Run function")
	}
	sched, err := specParser.Parse(j.Spec)
	if err != nil {
		return fmt.Errorf("job %s: cron spec %q: %w", j.Name, j.Spec, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.jobs {
		if e.job.Name == j.Name {
			return fmt.Errorf("job %s: already scheduled", j.Name)
		}
	}
	e := &entry{job: j, sched: sched}
	if spec, ok := sched.(*cron.SpecSchedule); ok && spec.Hour&starBit == 0 {
		// A spec at given hours is evaluated on the zone's wall clock, as
		// a UTC time with the same fields: robfig/cron on a zone with
		// daylight saving runs a time shown twice twice, and a skipped
		// time not at all. A spec at every hour stays on real time, so it
		// keeps running through the hour shown twice (as cron does).
		c := *spec
		e.wall = s.zone
		if c.Location != time.Local { // CRON_TZ= in the spec
			e.wall = c.Location
		}
		c.Location = time.UTC
		e.sched = &c
	}
	s.plan(e, s.clock.Now())
	s.jobs = append(s.jobs, e)
	return nil
}

// plan sets e's next run to its first activation after t, moved out of
// any closed window according to the job's policy.
func (s *Scheduler) plan(e *entry, t time.Time) {
	n := e.nextAfter(t)
	e.deferred = false
	for i := 0; !n.IsZero() && !s.gate.Open(n); i++ {
		end := s.gate.NextChange(n)
		if e.job.InWindow == Defer {
			s.runs.WithLabelValues(e.job.Name, "deferred").Inc()
			n, e.deferred = end, true
			break
		}
		s.runs.WithLabelValues(e.job.Name, "skipped").Inc()
		// Next rounds up to the next whole second after its argument,
		// so an activation exactly at the window's end still runs.
		n = e.nextAfter(end.Add(-time.Nanosecond))
		if i > 1000 {
			n = time.Time{} // a spec that only ever fires inside windows
		}
	}
	e.next = n
}

// starBit marks a cron field given as "*" (robfig/cron's encoding).
const starBit = 1 << 63

// nextAfter returns e's first activation after t, or zero if none. A cron
// spec at given hours matches local times of day: each local time it
// names runs once, even on the day the clock goes back and shows it twice
// (the first time it shows), and a time the clock skips runs when the
// clock jumps past it. A spec at every hour, and "@every", run on real
// time.
func (e *entry) nextAfter(t time.Time) time.Time {
	if e.wall == nil {
		return e.sched.Next(t)
	}
	l := t.In(e.wall)
	w := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	for range 4 { // a time shown twice can be behind t once
		w = e.sched.Next(w)
		if w.IsZero() {
			return w
		}
		if n := wallInstant(w, e.wall); n.After(t) {
			return n
		}
	}
	return time.Time{}
}

// wallInstant returns the first instant at which loc's clock reads w's
// fields (given in UTC), or, if the clock skips them, the instant it
// jumps past them.
func wallInstant(w time.Time, loc *time.Location) time.Time {
	n := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
	got := time.Date(n.Year(), n.Month(), n.Day(), n.Hour(), n.Minute(), n.Second(), 0, time.UTC)
	if got.Equal(w) {
		// Shown twice: time.Date may pick either; take the first.
		for _, shift := range []time.Duration{2 * time.Hour, time.Hour, 30 * time.Minute} {
			if e := n.Add(-shift); e.Hour() == n.Hour() && e.Minute() == n.Minute() && e.Second() == n.Second() && e.Day() == n.Day() {
				return e
			}
		}
		return n
	}
	// Skipped: the jump lies between the earlier reading and w; find it.
	lo, hi := n, n.Add(w.Sub(got).Abs())
	if got.After(w) {
		lo, hi = n.Add(-got.Sub(w)), n
	}
	_, off := lo.Zone()
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if _, o := mid.Zone(); o == off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// Next returns when the earliest job is due, or false if none is.
func (s *Scheduler) Next() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best time.Time
	for _, e := range s.jobs {
		if !e.next.IsZero() && (best.IsZero() || e.next.Before(best)) {
			best = e.next
		}
	}
	return best, !best.IsZero()
}

// RunDue runs every job due at or before the clock's time, earliest first,
// and reports how many ran. A job found due while the gate has closed in
// the meantime (the clock jumped) is re-planned by its policy instead.
func (s *Scheduler) RunDue(ctx context.Context) int {
	ran := 0
	for ctx.Err() == nil {
		now := s.clock.Now()
		e := s.due(now)
		if e == nil {
			return ran
		}
		at := e.next
		if !s.gate.Open(now) {
			s.mu.Lock()
			if e.job.InWindow == Defer {
				s.runs.WithLabelValues(e.job.Name, "deferred").Inc()
				e.next, e.deferred = s.gate.NextChange(now), true
			} else {
				s.runs.WithLabelValues(e.job.Name, "skipped").Inc()
				s.plan(e, now)
			}
			s.mu.Unlock()
			continue
		}
		outcome := "ok"
		switch err := e.job.Run(ctx, at); {
		case err != nil && ctx.Err() != nil:
			// Shutdown cut the run short: not the job's fault, and its
			// owner picks up what it left (recorded intents) on start-up.
			outcome = "stopped"
			s.log.Info("scheduled job stopped by shutdown", "job", e.job.Name, "due", at, "err", err)
		case err != nil:
			outcome = "error"
			s.log.Error("scheduled job failed", "job", e.job.Name, "due", at, "err", err)
		default:
			s.log.Debug("scheduled job ran", "job", e.job.Name, "due", at, "deferred", e.deferred)
		}
		s.runs.WithLabelValues(e.job.Name, outcome).Inc()
		ran++
		s.mu.Lock()
		s.plan(e, maxTime(at, now))
		s.mu.Unlock()
	}
	return ran
}

// due returns the earliest job due at or before now.
func (s *Scheduler) due(now time.Time) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *entry
	for _, e := range s.jobs {
		if e.next.IsZero() || e.next.After(now) {
			continue
		}
		if best == nil || e.next.Before(best.next) {
			best = e
		}
	}
	return best
}

// Run runs jobs as they fall due until ctx is cancelled. Jobs missed while
// the process was not running are not replayed: each job's schedule starts
// from when it was added.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		s.RunDue(ctx)
		next, ok := s.Next()
		if !ok {
			<-ctx.Done()
			return nil
		}
		t := s.clock.NewTimer(s.clock.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

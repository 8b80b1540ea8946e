package backtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/strategy"
)

// Sweep runs the same configuration once per combination of the values of
// some strategy parameters, over one Tape, on all cores, and ranks the
// results by an objective. Every run is the decision path Run replays,
// with the parameters changed; runs share nothing but the tape.
type Sweep struct {
	// Base is the replay: Tape, the range, the venue model, risk, pairs
	// and balances. Its Strategies are ignored: they are built for each
	// run from Specs.
	Base Options
	// Specs are the enabled [[strategy]] tables, in order; the sweep file
	// names the ones whose params vary.
	Specs    []strategy.Spec
	Registry *strategy.Registry
	File     SweepFile
	// Progress, if set, is called as the runs go, one call at a time,
	// from the sweep's goroutines.
	Progress func(SweepProgress)
}

// SweepProgress is how far a sweep (or a walk-forward) has got.
type SweepProgress struct {
	Runs, Total int   // runs finished, and in all
	Stopped     int   // runs stopped early by a constraint
	Ticks       int64 // ticks replayed by every run so far
}

// Combination is one set of values, one per SweepFile.Params.
type Combination struct {
	ID     int // from 1, in the grid's order (the last param varies fastest)
	Values []any
	specs  []strategy.Spec // Sweep.Specs with the values set
}

// Outcome statuses, in the order they rank.
const (
	StatusOK         = "ok"         // scored and within every constraint
	StatusInfeasible = "infeasible" // a constraint broken at the end
	StatusStopped    = "stopped"    // a constraint broken during the run
	StatusUnscored   = "unscored"   // a metric of the objective is missing
	StatusFailed     = "failed"     // the run failed
)

var statusOrder = map[string]int{StatusOK: 0, StatusInfeasible: 1, StatusStopped: 2, StatusUnscored: 3, StatusFailed: 4}

// Outcome is one combination's run.
type Outcome struct {
	Combination
	// Summary is the run's; nil when it stopped early or failed.
	Summary *Summary
	// Score is the objective; Scored is false when it could not be
	// computed.
	Score  decimal.Decimal
	Scored bool
	Status string
	// Note says which constraint a run broke, or why it failed.
	Note string
	// Rank is the position once ranked, from 1.
	Rank int
}

// plan is a sweep expanded: its combinations and how each is run.
type plan struct {
	s      Sweep
	keys   []string // the params' names as tables show them
	values [][]any
	combos []Combination
}

// Check expands the sweep without running it: every param names an
// enabled strategy, every value is one that strategy accepts, and the
// grid is not too large. Run and WalkForward check the same first.
func (s Sweep) Check() error {
	_, err := s.expand()
	return err
}

// Specs returns the [[strategy]] tables the combination runs.
func (c Combination) Specs() []strategy.Spec { return slices.Clone(c.specs) }

// expand resolves the params against the strategies, draws the random
// values and builds every combination's strategies once, so that a
// parameter a strategy refuses is reported before anything runs.
func (s Sweep) expand() (*plan, error) {
	if s.Registry == nil {
		s.Registry = strategy.Builtins()
	}
	values, err := s.File.resolve(s.Specs)
	if err != nil {
		return nil, err
	}
	p := &plan{s: s, values: values}
	names := map[string]bool{}
	for _, prm := range s.File.Params {
		names[s.File.strategyOf(prm, s.Specs)] = true
	}
	for _, prm := range s.File.Params {
		key := prm.Key
		if len(names) > 1 {
			key = s.File.strategyOf(prm, s.Specs) + "." + key
		}
		p.keys = append(p.keys, key)
	}
	var errs []error
	idx := make([]int, len(values))
	for id := 1; ; id++ {
		c := Combination{ID: id}
		for i, k := range idx {
			c.Values = append(c.Values, values[i][k])
		}
		c.specs = slices.Clone(s.Specs)
		for i, prm := range s.File.Params {
			name := s.File.strategyOf(prm, s.Specs)
			for j := range c.specs {
				if c.specs[j].Name == name {
					c.specs[j] = withParam(c.specs[j], prm.Key, c.Values[i])
				}
			}
		}
		if _, err := p.build(c); err != nil && len(errs) < 5 {
			errs = append(errs, fmt.Errorf("combination %d (%s): %w", id, p.describe(c), err))
		}
		p.combos = append(p.combos, c)
		if !next(idx, values) {
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("backtest: sweep: %w", err)
	}
	return p, nil
}

// next advances idx like an odometer (the last position fastest) and
// reports false after the last combination.
func next(idx []int, values [][]any) bool {
	for i := len(idx) - 1; i >= 0; i-- {
		if idx[i]++; idx[i] < len(values[i]) {
			return true
		}
		idx[i] = 0
	}
	return false
}

// build makes fresh strategies for c: strategies keep state, so every run
// has its own.
func (p *plan) build(c Combination) ([]strategy.Strategy, error) {
	out := make([]strategy.Strategy, 0, len(c.specs))
	for _, sp := range c.specs {
		st, err := p.s.Registry.New(sp.Kind, sp.Name, sp.Decode)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// describe writes c's values: "band = "0.01", every = "5m"".
func (p *plan) describe(c Combination) string {
	var b []byte
	for i, v := range c.Values {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, p.keys[i]+" = "+showValue(v)...)
	}
	return string(b)
}

// job is one run: a combination over [from, to) of the tape.
type job struct {
	combo    int // index in plan.combos
	from, to time.Time
}

// runAll runs every job on the sweep's workers and returns their outcomes
// in the jobs' order, whatever order they finished in.
func (p *plan) runAll(ctx context.Context, jobs []job) ([]Outcome, error) {
	if p.s.Base.Tape == nil {
		return nil, errors.New("backtest: sweep: no tape: load the recordings with LoadTape")
	}
	workers := p.s.File.Parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs))
	out := make([]Outcome, len(jobs))
	var mu sync.Mutex // guards prog and the calls to Progress
	prog := SweepProgress{Total: len(jobs)}
	report := func(ticks int64, done, stopped bool) {
		if p.s.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		prog.Ticks += ticks
		if done {
			prog.Runs++
		}
		if stopped {
			prog.Stopped++
		}
		p.s.Progress(prog)
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i] = p.run(ctx, jobs[i], report)
			}
		}()
	}
	for i := range jobs {
		select {
		case work <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("backtest: sweep stopped: %w", err)
	}
	return out, nil
}

// run replays one job, without a report, and scores it.
func (p *plan) run(ctx context.Context, j job, report func(int64, bool, bool)) Outcome {
	c := p.combos[j.combo]
	oc := Outcome{Combination: c}
	strategies, err := p.build(c)
	if err != nil {
		oc.Status, oc.Note = StatusFailed, err.Error()
		report(0, true, false)
		return oc
	}
	o := p.s.Base
	o.Strategies, o.From, o.To = strategies, j.from, j.to
	o.Out, o.OnExecuted = "", nil
	var seen int64
	o.ProgressEvery = 1 << 16
	o.Progress = func(pr Progress) {
		report(pr.Ticks-seen, false, false)
		seen = pr.Ticks
	}
	sum, err := replayOnly(ctx, o, p.stopWhen())
	var stop *stoppedError
	switch {
	case errors.As(err, &stop):
		oc.Status, oc.Note = StatusStopped, fmt.Sprintf("%s at %s", stop.reason, stop.at.UTC().Format(time.RFC3339))
	case err != nil:
		oc.Status, oc.Note = StatusFailed, err.Error()
	default:
		oc.Summary = sum
		oc.Score, oc.Scored = p.s.File.Objective.score(sum)
		oc.Status = StatusOK
		for _, c := range p.s.File.Constraints {
			v, ok := metric(sum, c.Metric)
			if !ok {
				oc.Status, oc.Note = StatusInfeasible, c.Metric+" is not defined for this run"
				break
			}
			if why := c.broken(v); why != "" {
				oc.Status, oc.Note = StatusInfeasible, why
				break
			}
		}
		if oc.Status == StatusOK && !oc.Scored {
			oc.Status, oc.Note = StatusUnscored, "the objective needs a metric this run does not have (a ratio needs two days)"
		}
	}
	report(0, true, oc.Status == StatusStopped)
	return oc
}

// stopWhen stops a run as soon as a constraint on a metric that never
// decreases is broken: it cannot be mended by the end.
func (p *plan) stopWhen() func(*replay) string {
	var cs []Constraint
	for _, c := range p.s.File.Constraints {
		if c.Max.IsSet() && metricSense[c.Metric].monotone {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	return func(r *replay) string {
		for _, c := range cs {
			var v decimal.Decimal
			switch c.Metric {
			case "max_drawdown":
				v = r.curve.maxDD
			case "trades":
				v = decimal.NewFromInt(r.trades)
			case "fees":
				v = r.fees
			case "turnover":
				v = r.turnover
			case "exposure_max":
				v = r.curve.exposureMax
			}
			if why := c.broken(v); why != "" {
				return why
			}
		}
		return ""
	}
}

// replayOnly runs o without writing a report and returns its summary.
func replayOnly(ctx context.Context, o Options, stopWhen func(*replay) string) (*Summary, error) {
	if err := o.check(false); err != nil {
		return nil, err
	}
	if o.Tape == nil {
		return nil, errors.New("backtest: no tape")
	}
	r, err := newReplay(o, newTapeTicks(o.Tape, o.From, o.To), "")
	if err != nil {
		return nil, err
	}
	defer r.close()
	r.stopWhen = stopWhen
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	return r.finish(ctx)
}

// rank orders outcomes best first: by status, then score (higher first),
// then combination; and numbers them.
func rank(out []Outcome) {
	slices.SortStableFunc(out, func(a, b Outcome) int {
		if c := cmp.Compare(statusOrder[a.Status], statusOrder[b.Status]); c != 0 {
			return c
		}
		if a.Scored != b.Scored {
			if a.Scored {
				return -1
			}
			return 1
		}
		if c := b.Score.Cmp(a.Score); a.Scored && c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
}

// SweepResult is a sweep's ranked outcomes.
type SweepResult struct {
	File SweepFile
	// Keys are the params as the tables name them ("band", or
	// "rebalance-main.band" when several strategies vary).
	Keys []string
	// Varied are the values each param took.
	Varied [][]any
	// Outcomes are ranked, best first.
	Outcomes []Outcome
	// Feeds, From and To say what was replayed.
	Feeds    []string
	From, To time.Time
	Ticks    int64
}

// Run runs every combination over the base range and ranks them.
func (s Sweep) Run(ctx context.Context) (*SweepResult, error) {
	p, err := s.expand()
	if err != nil {
		return nil, err
	}
	jobs := make([]job, len(p.combos))
	for i := range jobs {
		jobs[i] = job{combo: i, from: s.Base.From, to: s.Base.To}
	}
	out, err := p.runAll(ctx, jobs)
	if err != nil {
		return nil, err
	}
	res := p.result(out, s.Base.From, s.Base.To)
	if len(res.Outcomes) > 0 && res.Outcomes[0].Status == StatusFailed {
		return nil, fmt.Errorf("backtest: sweep: every run failed; the first: %s", res.Outcomes[0].Note)
	}
	return res, nil
}

func (p *plan) result(out []Outcome, from, to time.Time) *SweepResult {
	rank(out)
	res := &SweepResult{File: p.s.File, Keys: p.keys, Varied: p.values, Outcomes: out, Feeds: p.s.Base.Tape.Feeds(), From: from, To: to}
	for _, o := range out {
		if o.Summary != nil {
			res.Ticks = o.Summary.Ticks
			if res.From.IsZero() {
				res.From = o.Summary.FirstTick
			}
			if res.To.IsZero() {
				res.To = o.Summary.LastTick
			}
			break
		}
	}
	return res
}

// Best returns the best combination within every constraint, and false
// when none is.
func (r *SweepResult) Best() (Outcome, bool) {
	if len(r.Outcomes) == 0 || r.Outcomes[0].Status != StatusOK {
		return Outcome{}, false
	}
	return r.Outcomes[0], true
}

// BestTOML returns the best combination's strategies whose params the
// sweep varied, as ready-to-paste [[strategy]] tables; empty when no
// combination is within the constraints.
func (r *SweepResult) BestTOML() string {
	best, ok := r.Best()
	if !ok {
		return ""
	}
	var b []byte
	for _, sp := range best.specs {
		if !r.varies(sp.Name) {
			continue
		}
		if len(b) > 0 {
			b = append(b, '\n')
		}
		b = append(b, strategyBlock(sp)...)
	}
	return string(b)
}

// varies reports whether the sweep varied a param of the strategy name.
func (r *SweepResult) varies(name string) bool {
	for _, p := range r.File.Params {
		if p.Strategy == name || (p.Strategy == "" && (r.File.Strategy == name || r.File.Strategy == "")) {
			return true
		}
	}
	return false
}

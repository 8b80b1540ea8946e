package backtest

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/strategy"
)

// SweepFile is a sweep's TOML file (`engine backtest -sweep FILE`): which
// strategy parameters to vary and over what values, what to maximise,
// which results to refuse, and the walk-forward windows.
//
//	strategy = "rebalance-main"     # the [[strategy]] the params belong to
//	seed = 1                        # random draws
//	[objective]
//	metric = "sharpe"               # or weights = { return = "1", max_drawdown = "0.5" }
//	[[constraint]]
//	metric = "max_drawdown"
//	max = "0.05"
//	[[param]]
//	key = "band"
//	values = ["0.005", "0.01", "0.02"]
//	[[param]]
//	key = "every"
//	from = "5m"
//	to = "1h"
//	step = "5m"
//	[walk_forward]
//	in_sample = "48h"
//	out_of_sample = "24h"
//	mode = "rolling"
type SweepFile struct {
	// Strategy names the [[strategy]] whose params every [[param]]
	// without a strategy of its own varies; empty when the configuration
	// has one strategy.
	Strategy string `toml:"strategy"`
	// Seed drives the random draws; the same seed draws the same values.
	Seed uint64 `toml:"seed"`
	// Parallel is how many combinations run at once; zero means
	// GOMAXPROCS.
	Parallel    int          `toml:"parallel"`
	Objective   Objective    `toml:"objective"`
	Constraints []Constraint `toml:"constraint"`
	Params      []Param      `toml:"param"`
	WalkForward WalkForward  `toml:"walk_forward"`
}

// Objective is what a sweep maximises: one metric, or a weighted mix.
// Every metric counts the way it is better, so max_drawdown (lower is
// better) enters a mix with its sign turned: weights = { return = "1",
// max_drawdown = "0.5" } scores return - 0.5 × max_drawdown.
type Objective struct {
	Metric  string                     `toml:"metric"`
	Weights map[string]tomlval.Decimal `toml:"weights"`
}

// Constraint refuses a combination whose metric is above Max or below
// Min. A Max on a metric that never decreases during a run (max_drawdown,
// trades, fees, turnover, exposure_max) stops the combination as soon as
// it is broken.
type Constraint struct {
	Metric string          `toml:"metric"`
	Max    tomlval.Decimal `toml:"max"`
	Min    tomlval.Decimal `toml:"min"`
}

// Param is one strategy parameter to vary, by one of: a list of values;
// a range from, to (inclusive) and step; or Draws seeded random values in
// [from, to] (on the step's grid when one is given). From, to and step
// are decimal strings ("0.005"), durations ("5m") or integers.
type Param struct {
	// Strategy names the [[strategy]]; empty means SweepFile.Strategy.
	Strategy string `toml:"strategy"`
	// Key is the key in the strategy's params; a dot reaches into a
	// table ("weights.BTC").
	Key    string `toml:"key"`
	Values []any  `toml:"values"`
	From   any    `toml:"from"`
	To     any    `toml:"to"`
	Step   any    `toml:"step"`
	Draws  int    `toml:"draws"`
}

// WalkForward is the windows of `-walk-forward`: optimise on InSample,
// score the optimum on the OutOfSample that follows, then move on by Step
// (default OutOfSample). Rolling windows keep their length; anchored ones
// all start at the recording's start and grow.
type WalkForward struct {
	InSample    tomlval.Duration `toml:"in_sample"`
	OutOfSample tomlval.Duration `toml:"out_of_sample"`
	Step        tomlval.Duration `toml:"step"`
	Mode        string           `toml:"mode"`
}

// Walk-forward modes.
const (
	Rolling  = "rolling"
	Anchored = "anchored"
)

// Limits of a sweep: beyond them a typo (a step of 0.0001 over a wide
// range) would run for days.
const (
	maxSweepValues       = 10_000
	maxSweepCombinations = 100_000
)

// LoadSweepFile reads and checks a sweep file. Unknown keys are errors,
// as in the configuration; every problem is reported at once
// (*tomlval.Error naming the file).
func LoadSweepFile(path string) (SweepFile, error) {
	var f SweepFile
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("backtest: sweep file: %w", err)
	}
	md, err := toml.Decode(string(b), &f)
	if err != nil {
		p := tomlval.DecodeProblem(err)
		return f, &tomlval.Error{Name: path, Problems: []tomlval.Problem{p}}
	}
	var ps tomlval.Problems
	for _, k := range md.Undecoded() {
		// Inside a value (a table of weights), keys are the strategy's
		// to check, when its params are decoded.
		if len(k) > 2 && k[0] == "param" && slices.Contains([]string{"values", "from", "to", "step"}, k[1]) {
			continue
		}
		ps.Add(k.String(), "unknown key")
	}
	ps = append(ps, f.problems()...)
	return f, ps.Err(path)
}

// metricSense is whether a metric is better higher (+1) or lower (-1);
// objective says whether it may be an objective.
var metricSense = map[string]struct {
	sense     int
	objective bool
	// monotone: the metric never decreases during a run, so a Max
	// constraint broken mid-run stays broken.
	monotone bool
}{
	"return":           {+1, true, false},
	"pnl":              {+1, true, false},
	"excess_return":    {+1, true, false},
	"sharpe":           {+1, true, false},
	"sortino":          {+1, true, false},
	"max_drawdown":     {-1, true, true},
	"trades":           {0, false, true},
	"fees":             {-1, false, true},
	"turnover":         {0, false, true},
	"exposure_max":     {-1, false, true},
	"exposure_average": {-1, false, false},
}

func metricNames(objective bool) string {
	var out []string
	for k, m := range metricSense {
		if m.objective || !objective {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func (f SweepFile) problems() []tomlval.Problem {
	var ps tomlval.Problems
	if f.Parallel < 0 {
		ps.Add("parallel", "must not be negative, got %d", f.Parallel)
	}
	o := f.Objective
	switch {
	case o.Metric == "" && len(o.Weights) == 0:
		ps.Add("objective", "required: metric = one of %s, or weights = { return = \"1\", ... }", metricNames(true))
	case o.Metric != "" && len(o.Weights) > 0:
		ps.Add("objective", "give metric or weights, not both")
	case o.Metric != "" && !metricSense[o.Metric].objective:
		ps.Add("objective.metric", "unknown objective %q: one of %s", o.Metric, metricNames(true))
	}
	for _, k := range sortedKeys(o.Weights) {
		key := "objective.weights." + k
		if !metricSense[k].objective {
			ps.Add(key, "unknown objective %q: one of %s", k, metricNames(true))
		}
		if ps.Decimal(key, o.Weights[k]) && !o.Weights[k].IsPositive() {
			ps.Add(key, "must be positive: every metric counts the way it is better")
		}
	}
	for i, c := range f.Constraints {
		key := fmt.Sprintf("constraint[%d]", i)
		if _, ok := metricSense[c.Metric]; !ok {
			ps.Add(key+".metric", "unknown metric %q: one of %s", c.Metric, metricNames(false))
		}
		ps.Decimal(key+".max", c.Max)
		ps.Decimal(key+".min", c.Min)
		if !c.Max.IsSet() && !c.Min.IsSet() {
			ps.Add(key, "give max, min or both")
		}
	}
	if len(f.Params) == 0 {
		ps.Add("param", "required: at least one [[param]] with key and values (or from, to and step)")
	}
	seen := map[string]bool{}
	for i, p := range f.Params {
		key := fmt.Sprintf("param[%d]", i)
		id := p.Strategy + "/" + p.Key
		if p.Key == "" {
			ps.Add(key+".key", "is required: the strategy parameter to vary")
		} else if seen[id] {
			ps.Add(key+".key", "%s is varied twice", p.Key)
		}
		seen[id] = true
		if _, err := p.values(0, 0); err != nil {
			ps.Add(key, "%v", err)
		}
	}
	w := f.WalkForward
	ps.Duration("walk_forward.in_sample", w.InSample)
	ps.Duration("walk_forward.out_of_sample", w.OutOfSample)
	ps.Duration("walk_forward.step", w.Step)
	if w.Mode != "" && w.Mode != Rolling && w.Mode != Anchored {
		ps.Add("walk_forward.mode", "must be %q or %q, got %q", Rolling, Anchored, w.Mode)
	}
	for _, d := range []struct {
		key string
		d   time.Duration
	}{{"in_sample", w.InSample.Duration}, {"out_of_sample", w.OutOfSample.Duration}, {"step", w.Step.Duration}} {
		if d.d < 0 || (d.d > 0 && d.d < time.Minute) {
			ps.Add("walk_forward."+d.key, "must be at least 1m, got %s", d.d)
		}
	}
	return ps
}

// walkForwardProblems are what -walk-forward needs of the file besides
// what every sweep needs.
func (f SweepFile) walkForwardProblems() error {
	var ps tomlval.Problems
	if f.WalkForward.InSample.Duration <= 0 {
		ps.Add("walk_forward.in_sample", `required for -walk-forward: the optimisation window, e.g. "48h"`)
	}
	if f.WalkForward.OutOfSample.Duration <= 0 {
		ps.Add("walk_forward.out_of_sample", `required for -walk-forward: the window the optimum is scored on, e.g. "24h"`)
	}
	return ps.Err("sweep")
}

// resolve finds each param's strategy among specs (the enabled
// [[strategy]] tables) and returns the params' value lists.
func (f SweepFile) resolve(specs []strategy.Spec) ([][]any, error) {
	var errs []error
	byName := map[string]bool{}
	var names []string
	for _, s := range specs {
		byName[s.Name] = true
		names = append(names, s.Name)
	}
	values := make([][]any, len(f.Params))
	for i, p := range f.Params {
		name := f.strategyOf(p, specs)
		switch {
		case name == "" && len(specs) != 1:
			errs = append(errs, fmt.Errorf("param[%d] (%s): name its strategy (strategy = one of %s): the configuration runs %d",
				i, p.Key, strings.Join(names, ", "), len(specs)))
		case name != "" && !byName[name]:
			errs = append(errs, fmt.Errorf("param[%d] (%s): no enabled [[strategy]] named %q (configured: %s)",
				i, p.Key, name, strings.Join(names, ", ")))
		}
		vs, err := p.values(f.Seed, i)
		if err != nil {
			errs = append(errs, fmt.Errorf("param[%d] (%s): %w", i, p.Key, err))
		}
		values[i] = vs
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("backtest: sweep: %w", err)
	}
	n := 1
	for _, vs := range values {
		if n *= len(vs); n > maxSweepCombinations {
			return nil, fmt.Errorf("backtest: sweep: more than %d combinations: narrow the ranges or use draws", maxSweepCombinations)
		}
	}
	return values, nil
}

// strategyOf is the name of the strategy p varies ("" when unnamed).
func (f SweepFile) strategyOf(p Param, specs []strategy.Spec) string {
	switch {
	case p.Strategy != "":
		return p.Strategy
	case f.Strategy != "":
		return f.Strategy
	case len(specs) == 1:
		return specs[0].Name
	}
	return ""
}

// score is the objective of a summary, and false when a metric it needs
// is missing (a Sharpe ratio over fewer than two days).
func (o Objective) score(s *Summary) (decimal.Decimal, bool) {
	weights := o.Weights
	if o.Metric != "" {
		weights = map[string]tomlval.Decimal{o.Metric: tomlval.Dec(decimal.NewFromInt(1))}
	}
	var total decimal.Decimal
	for _, k := range sortedKeys(weights) {
		v, ok := metric(s, k)
		if !ok {
			return decimal.Decimal{}, false
		}
		if metricSense[k].sense < 0 {
			v = v.Neg()
		}
		total = total.Add(v.Mul(weights[k].Decimal))
	}
	return total, true
}

// String describes the objective: "sharpe", "1 × return - 0.5 ×
// max_drawdown" (the metrics better higher first).
func (o Objective) String() string {
	if o.Metric != "" {
		return o.Metric
	}
	keys := sortedKeys(o.Weights)
	slices.SortStableFunc(keys, func(a, b string) int { return metricSense[b].sense - metricSense[a].sense })
	var b strings.Builder
	for i, k := range keys {
		switch {
		case metricSense[k].sense < 0:
			b.WriteString(" - ")
		case i > 0:
			b.WriteString(" + ")
		}
		fmt.Fprintf(&b, "%s × %s", o.Weights[k].Decimal, k)
	}
	return strings.TrimSpace(b.String())
}

// String describes the constraint: "max_drawdown ≤ 0.05".
func (c Constraint) String() string {
	var parts []string
	if c.Min.IsSet() {
		parts = append(parts, fmt.Sprintf("%s ≥ %s", c.Metric, c.Min.Decimal))
	}
	if c.Max.IsSet() {
		parts = append(parts, fmt.Sprintf("%s ≤ %s", c.Metric, c.Max.Decimal))
	}
	return strings.Join(parts, ", ")
}

// broken returns why v breaks c, or "".
func (c Constraint) broken(v decimal.Decimal) string {
	if c.Max.IsSet() && v.GreaterThan(c.Max.Decimal) {
		return fmt.Sprintf("%s %s > %s", c.Metric, v, c.Max.Decimal)
	}
	if c.Min.IsSet() && v.LessThan(c.Min.Decimal) {
		return fmt.Sprintf("%s %s < %s", c.Metric, v, c.Min.Decimal)
	}
	return ""
}

// metric reads a metric from a summary; false when it has none.
func metric(s *Summary, name string) (decimal.Decimal, bool) {
	dec := func(x string) (decimal.Decimal, bool) {
		d, err := decimal.NewFromString(x)
		return d, err == nil
	}
	ratio := func(x *float64) (decimal.Decimal, bool) {
		if x == nil {
			return decimal.Decimal{}, false
		}
		return decimal.NewFromFloat(*x), true
	}
	switch name {
	case "return":
		return dec(s.Return)
	case "pnl":
		return dec(s.PnL)
	case "excess_return":
		return dec(s.ExcessReturn)
	case "sharpe":
		return ratio(s.Sharpe)
	case "sortino":
		return ratio(s.Sortino)
	case "max_drawdown":
		return dec(s.MaxDrawdown)
	case "trades":
		return decimal.NewFromInt(s.Trades), true
	case "fees":
		return dec(s.Fees)
	case "turnover":
		return dec(s.Turnover)
	case "exposure_max":
		return dec(s.ExposureMax)
	case "exposure_average":
		return dec(s.ExposureAverage)
	}
	return decimal.Decimal{}, false
}

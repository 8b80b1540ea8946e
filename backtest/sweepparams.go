package backtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/strategy"
)

// values returns the values p takes, in order: its list, its range, or
// its draws (seeded by seed and the param's position i, so adding a param
// does not change the others' draws). A range or draws of decimals gives
// decimal strings, of durations duration strings, of integers integers:
// what the strategies' params accept.
func (p Param) values(seed uint64, i int) ([]any, error) {
	hasRange := p.From != nil || p.To != nil || p.Step != nil
	switch {
	case len(p.Values) > 0 && (hasRange || p.Draws != 0):
		return nil, errors.New("give values, or from and to (with step or draws), not both")
	case len(p.Values) > 0:
		if len(p.Values) > maxSweepValues {
			return nil, fmt.Errorf("%d values: at most %d", len(p.Values), maxSweepValues)
		}
		for _, v := range p.Values {
			if _, ok := v.(float64); ok {
				return nil, fmt.Errorf("value %v is a TOML float: write decimals as strings (\"0.5\"), as in the configuration", v)
			}
		}
		return slices.Clone(p.Values), nil
	case p.From == nil || p.To == nil:
		return nil, errors.New("give values, or from and to with step or draws")
	case p.Draws < 0:
		return nil, fmt.Errorf("draws must be positive, got %d", p.Draws)
	case p.Draws == 0 && p.Step == nil:
		return nil, errors.New("a range needs a step, or draws for random values")
	case p.Draws > maxSweepValues:
		return nil, fmt.Errorf("%d draws: at most %d", p.Draws, maxSweepValues)
	}
	r, err := p.scale()
	if err != nil {
		return nil, err
	}
	if p.Draws > 0 {
		return r.draw(p.Draws, rand.New(rand.NewPCG(seed, uint64(i)+1))), nil
	}
	return r.grid()
}

// scale is a range on one numeric scale: decimals, durations (as
// nanoseconds) or integers; format turns a point back into a param value.
type scale struct {
	kind           string          // decimal, duration or integer
	from, to, step decimal.Decimal // step zero: none given
	format         func(decimal.Decimal) any
}

func (p Param) scale() (scale, error) {
	parts := []any{p.From, p.To}
	if p.Step != nil {
		parts = append(parts, p.Step)
	}
	var ds []decimal.Decimal
	var kind string
	for _, x := range parts {
		d, k, err := numeric(x)
		if err != nil {
			return scale{}, err
		}
		if kind != "" && k != kind {
			return scale{}, fmt.Errorf("from, to and step must all be %ss, got a %s", kind, k)
		}
		kind = k
		ds = append(ds, d)
	}
	s := scale{kind: kind, from: ds[0], to: ds[1]}
	if len(ds) == 3 {
		s.step = ds[2]
		if !s.step.IsPositive() {
			return scale{}, fmt.Errorf("step must be positive, got %v", p.Step)
		}
	}
	if s.to.LessThan(s.from) {
		return scale{}, fmt.Errorf("from %v is above to %v", p.From, p.To)
	}
	switch kind {
	case "duration":
		s.format = func(d decimal.Decimal) any { return formatDuration(time.Duration(d.IntPart())) }
	case "integer":
		s.format = func(d decimal.Decimal) any { return d.IntPart() }
	default:
		s.format = func(d decimal.Decimal) any { return d.String() }
	}
	return s, nil
}

// numeric reads a bound: an integer, a decimal string or a duration
// string (durations as nanoseconds).
func numeric(x any) (decimal.Decimal, string, error) {
	switch v := x.(type) {
	case int64:
		return decimal.NewFromInt(v), "integer", nil
	case string:
		if d, err := tomlval.ParseDecimal(v); err == nil {
			return d, "decimal", nil
		}
		if d, err := time.ParseDuration(v); err == nil {
			return decimal.NewFromInt(int64(d)), "duration", nil
		}
		return decimal.Decimal{}, "", fmt.Errorf("%q is neither a decimal nor a duration", v)
	}
	return decimal.Decimal{}, "", fmt.Errorf("%v (%T): want an integer, or a decimal or duration string", x, x)
}

// grid returns from, from+step, ... up to to.
func (s scale) grid() ([]any, error) {
	n := s.to.Sub(s.from).Div(s.step).IntPart() + 1
	if n > maxSweepValues {
		return nil, fmt.Errorf("the range holds %d values: at most %d", n, maxSweepValues)
	}
	out := make([]any, 0, n)
	for k := range n {
		out = append(out, s.format(s.from.Add(s.step.Mul(decimal.NewFromInt(k)))))
	}
	return out, nil
}

// draw returns n values drawn uniformly from [from, to]: on the step's
// grid when there is one, else on a grid of 10 000 points (integers and
// durations: their own units). A value drawn twice is kept once, so there
// may be fewer than n; they come in drawing order.
func (s scale) draw(n int, rng *rand.Rand) []any {
	step := s.step
	if step.IsZero() {
		switch s.kind {
		case "integer":
			step = decimal.NewFromInt(1)
		case "duration":
			step = decimal.NewFromInt(int64(time.Second))
		default:
			step = s.to.Sub(s.from).Div(decimal.NewFromInt(10_000))
		}
		if step.IsZero() || step.GreaterThan(s.to.Sub(s.from)) {
			step = decimal.NewFromInt(1)
		}
	}
	points := s.to.Sub(s.from).Div(step).IntPart() + 1
	seen := map[string]bool{}
	var out []any
	for range n {
		v := s.format(s.from.Add(step.Mul(decimal.NewFromInt(rng.Int64N(points)))))
		if k := fmt.Sprint(v); !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// formatDuration writes d the way configuration files do: "5m", "1h30m",
// "250ms", not "5m0s".
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// withParam returns a copy of spec with the param at key (dots reach into
// tables) set to v; the spec's own maps are not changed.
func withParam(spec strategy.Spec, key string, v any) strategy.Spec {
	spec.Params = cloneTable(spec.Params)
	t := spec.Params
	parts := strings.Split(key, ".")
	for _, k := range parts[:len(parts)-1] {
		sub, ok := t[k].(map[string]any)
		if !ok {
			sub = map[string]any{}
		}
		sub = cloneTable(sub)
		t[k] = sub
		t = sub
	}
	t[parts[len(parts)-1]] = v
	return spec
}

func cloneTable(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = cloneTable(sub)
		}
		out[k] = v
	}
	return out
}

// showValue writes a param value as TOML writes it ("0.01" quoted, 5,
// { BTC = "0.5" }), for tables and the best configuration.
func showValue(v any) string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(tomlString(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		b.WriteString(s)
	case time.Time:
		b.WriteString(x.Format(time.RFC3339Nano))
	case map[string]any:
		b.WriteString("{ ")
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tomlKey(k) + " = ")
			writeValue(b, x[k])
		}
		b.WriteString(" }")
	case []any:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, e)
		}
		b.WriteString("]")
	case []map[string]any:
		items := make([]any, len(x))
		for i := range x {
			items[i] = x[i]
		}
		writeValue(b, items)
	default:
		b.WriteString(tomlString(fmt.Sprint(x)))
	}
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlKey writes a key bare when TOML allows it, quoted otherwise.
func tomlKey(k string) string {
	if k == "" {
		return `""`
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return tomlString(k)
		}
	}
	return k
}

// strategyBlock writes spec as a ready-to-paste [[strategy]] table.
func strategyBlock(spec strategy.Spec) string {
	var b strings.Builder
	b.WriteString("[[strategy]]\n")
	fmt.Fprintf(&b, "kind = %s\nname = %s\n", tomlString(spec.Kind), tomlString(spec.Name))
	if len(spec.Params) > 0 {
		b.WriteString("[strategy.params]\n")
		for _, k := range sortedKeys(spec.Params) {
			b.WriteString(tomlKey(k) + " = ")
			writeValue(&b, spec.Params[k])
			b.WriteByte('\n')
		}
	}
	return b.String()
}

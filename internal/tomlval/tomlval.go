// Package tomlval holds the value types every configuration section is
// written with, and the list of problems its validation reports.
//
// A Decimal or Duration that does not parse does not fail the decoding:
// it keeps its error, and the owning section's validation reports it with
// its key path, so one typo does not hide the others. TOML floats are
// refused for decimals (binary floating point cannot hold money exactly)
// and integers for durations (they would silently be nanoseconds).
package tomlval

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"
)

// Decimal is a decimal.Decimal written in TOML as a string ("0.05",
// "250000.50") or an integer. The zero value is an absent zero.
type Decimal struct {
	decimal.Decimal
	set bool
	err error
}

// Dec returns d as a set Decimal.
func Dec(d decimal.Decimal) Decimal { return Decimal{Decimal: d, set: true} }

// MustDec parses s and panics on a malformed literal; for defaults, tests
// and examples.
func MustDec(s string) Decimal { return Dec(decimal.RequireFromString(s)) }

// maxDecimalLen bounds a decimal's text: no amount needs more digits, and
// the bound keeps a hostile value from costing a big-integer parse.
const maxDecimalLen = 64

// ParseDecimal parses s as a decimal within the range configuration uses:
// at most 64 characters, exponent from -40 to 30 (so "1e9999999" is
// refused before any arithmetic expands it).
func ParseDecimal(s string) (decimal.Decimal, error) {
	if len(s) > maxDecimalLen {
		return decimal.Decimal{}, fmt.Errorf("%.20q… is longer than %d characters", s, maxDecimalLen)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%q is not a decimal number", s)
	}
	if e := d.Exponent(); e > 30 || e < -40 {
		return decimal.Decimal{}, fmt.Errorf("%q is outside the supported range", s)
	}
	return d, nil
}

// UnmarshalText implements encoding.TextUnmarshaler: it parses a decimal
// string and returns the error at once.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = Dec(v)
	return nil
}

// UnmarshalTOML implements toml.Unmarshaler; BurntSushi/toml prefers it to
// UnmarshalText, which would accept floats through %f.
func (d *Decimal) UnmarshalTOML(v any) error {
	*d = Decimal{set: true}
	switch x := v.(type) {
	case string:
		p, err := ParseDecimal(x)
		d.Decimal, d.err = p, err
	case int64:
		d.Decimal = decimal.NewFromInt(x)
	default:
		d.err = fmt.Errorf("want a decimal string such as \"1000.50\", got %T %v", v, v)
	}
	return nil
}

// MarshalText writes the decimal text.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.Decimal.String()), nil }

// IsSet reports whether the key was given (or the value built with Dec).
func (d Decimal) IsSet() bool { return d.set }

// Err returns the decoding error kept by UnmarshalTOML, if any.
func (d Decimal) Err() error { return d.err }

// Duration is a time.Duration written in TOML as a string ("90s", "1h").
// The zero value is zero, which many sections read as their default.
type Duration struct {
	time.Duration
	err error
}

// Dur returns d as a Duration.
func Dur(d time.Duration) Duration { return Duration{Duration: d} }

// UnmarshalText implements encoding.TextUnmarshaler with time.ParseDuration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want a form such as \"500ms\", \"30s\", \"5m\" or \"1h\"", b)
	}
	*d = Dur(v)
	return nil
}

// UnmarshalTOML implements toml.Unmarshaler.
func (d *Duration) UnmarshalTOML(v any) error {
	*d = Duration{}
	s, ok := v.(string)
	if !ok {
		d.err = fmt.Errorf("duration must be a string such as \"5m\", got %T %v", v, v)
		return nil
	}
	if err := d.UnmarshalText([]byte(s)); err != nil {
		d.err = err
	}
	return nil
}

// MarshalText writes the duration in Go's form ("5m0s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Err returns the decoding error kept by UnmarshalTOML, if any.
func (d Duration) Err() error { return d.err }

// Or returns the duration, or def when it is zero.
func (d Duration) Or(def time.Duration) time.Duration {
	if d.Duration == 0 {
		return def
	}
	return d.Duration
}

// Problem is one thing wrong with a configuration, under its key path
// ("risk.max_slippage", "strategy[1].params.pair").
type Problem struct {
	Key string
	Msg string
}

func (p Problem) String() string { return p.Key + ": " + p.Msg }

// Problems collects a section's problems. The zero value is empty and
// ready to use.
type Problems []Problem

// Add records a problem under key.
func (ps *Problems) Add(key, format string, args ...any) {
	*ps = append(*ps, Problem{key, fmt.Sprintf(format, args...)})
}

// Under records others, each key prefixed with prefix and a dot (a
// section's problems into the file's).
func (ps *Problems) Under(prefix string, others []Problem) {
	for _, p := range others {
		*ps = append(*ps, Problem{prefix + "." + p.Key, p.Msg})
	}
}

// Decimal records d's decoding error under key and reports whether d is
// usable.
func (ps *Problems) Decimal(key string, d Decimal) bool {
	if d.err != nil {
		ps.Add(key, "%v", d.err)
		return false
	}
	return true
}

// Positive records a problem unless d decoded and is greater than zero.
func (ps *Problems) Positive(key string, d Decimal) {
	if ps.Decimal(key, d) && !d.IsPositive() {
		ps.Add(key, "must be greater than zero, got %s", d.Decimal)
	}
}

// NonNegative records a problem unless d decoded and is zero or more.
func (ps *Problems) NonNegative(key string, d Decimal) {
	if ps.Decimal(key, d) && d.IsNegative() {
		ps.Add(key, "must not be negative, got %s", d.Decimal)
	}
}

// Duration records d's decoding error under key and reports whether d is
// usable.
func (ps *Problems) Duration(key string, d Duration) bool {
	if d.err != nil {
		ps.Add(key, "%v", d.err)
		return false
	}
	return true
}

// DurationIn records a problem unless d decoded and lies in [min, max].
// A duration beyond any sensible bound (time.Duration's maximum,
// "2562047h") would switch off what it times.
func (ps *Problems) DurationIn(key string, d Duration, min, max time.Duration) {
	if !ps.Duration(key, d) {
		return
	}
	switch {
	case d.Duration < min:
		ps.Add(key, "must be at least %s, got %s", min, d.Duration)
	case d.Duration > max:
		ps.Add(key, "must be at most %s, got %s", max, d.Duration)
	}
}

// Finite records a problem unless f is a finite number in [min, max]: NaN
// compares false with everything and would pass a plain range check.
func (ps *Problems) Finite(key string, f, min, max float64) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		ps.Add(key, "must be a finite number, got %v", f)
	case f < min || f > max:
		ps.Add(key, "must be from %v to %v, got %v", min, max, f)
	}
}

// Err returns the problems as an *Error named name, or nil if there are
// none.
func (ps Problems) Err(name string) error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Name: name, Problems: ps}
}

// Error lists every problem of a file or section.
type Error struct {
	Name     string // the file or section
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s):", e.Name, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// DecodeProblem is the problem a TOML decoding error reports. It never
// quotes the file: a syntax error's message names the offending token,
// which may be a secret written unquoted, so only its position is given.
func DecodeProblem(err error) Problem {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return Problem{Key: fmt.Sprintf("line %d", pe.Position.Line),
			Msg: fmt.Sprintf("not valid TOML at column %d (the text is not shown: it may hold a secret)", pe.Position.Col)}
	}
	return Problem{Key: "(file)", Msg: "cannot be decoded: " + err.Error()}
}

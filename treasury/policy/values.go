package policy

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Amount is a decimal written in TOML as a string ("0.25", "100000") or an
// integer. A TOML float is refused: it is binary floating point and cannot
// hold money exactly. A bad value is kept and reported by Problems under
// its key, so one typo does not hide the others. The zero value is an
// absent amount, which reads as zero.
type Amount struct {
	decimal.Decimal
	set bool
	err error
}

// A returns d as a set Amount.
func A(d decimal.Decimal) Amount { return Amount{Decimal: d, set: true} }

// MustAmount parses s and panics on a malformed literal; for tests and
// examples.
func MustAmount(s string) Amount { return A(decimal.RequireFromString(s)) }

// maxAmountLen bounds an amount's text: no amount needs more digits, and
// the bound keeps a hostile value from costing a big-integer parse.
const maxAmountLen = 64

// UnmarshalTOML implements toml.Unmarshaler.
func (a *Amount) UnmarshalTOML(v any) error {
	*a = Amount{set: true}
	switch x := v.(type) {
	case string:
		d, err := parseAmount(x)
		if err != nil {
			a.err = err
			return nil
		}
		a.Decimal = d
	case int64:
		a.Decimal = decimal.NewFromInt(x)
	default:
		a.err = fmt.Errorf("want a decimal string such as \"1000.50\", got %T %v", v, v)
	}
	return nil
}

func parseAmount(s string) (decimal.Decimal, error) {
	if len(s) > maxAmountLen {
		return decimal.Decimal{}, fmt.Errorf("amount %.20q… is longer than %d characters", s, maxAmountLen)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("amount %q is not a decimal number", s)
	}
	// An exponent form such as "1e9999999" parses; refuse it before any
	// arithmetic has to expand its digits.
	if e := d.Exponent(); e > 30 || e < -40 {
		return decimal.Decimal{}, fmt.Errorf("amount %q is outside the supported range", s)
	}
	return d, nil
}

// MarshalText writes the decimal text.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.Decimal.String()), nil }

// IsSet reports whether the key was given.
func (a Amount) IsSet() bool { return a.set }

// Err returns the decoding error kept by UnmarshalTOML, if any.
func (a Amount) Err() error { return a.err }

// Duration is a time.Duration written in TOML as a string ("90s", "10m").
// A TOML integer is refused: it would silently be nanoseconds. Bad values
// are kept and reported by Problems, like Amount. The zero value is zero,
// which every Duration field reads as its default.
type Duration struct {
	time.Duration
	err error
}

// D returns d as a Duration.
func D(d time.Duration) Duration { return Duration{Duration: d} }

// UnmarshalTOML implements toml.Unmarshaler.
func (d *Duration) UnmarshalTOML(v any) error {
	*d = Duration{}
	s, ok := v.(string)
	if !ok {
		d.err = fmt.Errorf("duration must be a string such as \"5m\", got %T %v", v, v)
		return nil
	}
	p, err := time.ParseDuration(s)
	if err != nil {
		d.err = fmt.Errorf("duration %q: want a form such as \"30s\", \"5m\" or \"1h\"", s)
		return nil
	}
	d.Duration = p
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

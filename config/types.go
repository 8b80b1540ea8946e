package config

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Duration is a time.Duration written in TOML as a string such as "5s" or
// "1m30s". A value that does not parse is kept as an error and reported by
// Validate with its key path, so one bad value does not hide the others.
type Duration struct {
	time.Duration
	err error
}

// D returns d as a Duration.
func D(d time.Duration) Duration { return Duration{Duration: d} }

// UnmarshalTOML implements toml.Unmarshaler.
func (d *Duration) UnmarshalTOML(v any) error {
	s, ok := v.(string)
	if !ok {
		d.err = fmt.Errorf("duration must be a string such as \"5s\", got %T %v", v, v)
		return nil
	}
	p, err := time.ParseDuration(s)
	if err != nil {
		d.err = fmt.Errorf("duration %q: want a form such as \"500ms\", \"5s\" or \"1h\"", s)
		return nil
	}
	d.Duration, d.err = p, nil
	return nil
}

// MarshalText writes the duration in Go's form ("5s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Amount is a decimal amount written in TOML as a string such as "250000.50".
// TOML floats are refused: they are binary floating point and cannot hold
// money exactly.
type Amount struct {
	decimal.Decimal
	err error
}

// A returns d as an Amount.
func A(d decimal.Decimal) Amount { return Amount{Decimal: d} }

// UnmarshalTOML implements toml.Unmarshaler.
func (a *Amount) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		d, err := decimal.NewFromString(x)
		if err != nil {
			a.err = fmt.Errorf("amount %q is not a decimal number", x)
			return nil
		}
		a.Decimal, a.err = d, nil
	case int64:
		a.Decimal, a.err = decimal.NewFromInt(x), nil
	default:
		a.err = fmt.Errorf("amount must be a decimal string such as \"1000.50\", got %T %v", v, v)
	}
	return nil
}

// MarshalText writes the decimal text.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.Decimal.String()), nil }

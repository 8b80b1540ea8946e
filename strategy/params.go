package strategy

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Decimal is a decimal.Decimal read from TOML as a string ("0.05",
// "250000.50") or an integer. A TOML float is refused: it is binary floating
// point and cannot hold money exactly. A bad value is kept as an error and
// reported by the owning Params' Validate with its key, so one typo does not
// hide the others. The zero value is zero.
type Decimal struct {
	decimal.Decimal
	err error
}

// Dec returns d as a Decimal.
func Dec(d decimal.Decimal) Decimal { return Decimal{Decimal: d} }

// UnmarshalText implements encoding.TextUnmarshaler: it parses a decimal
// string and returns the error at once.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := decimal.NewFromString(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a decimal number", b)
	}
	d.Decimal, d.err = v, nil
	return nil
}

// UnmarshalTOML implements toml.Unmarshaler; BurntSushi/toml prefers it to
// UnmarshalText, which would accept floats through %f.
func (d *Decimal) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		if err := d.UnmarshalText([]byte(x)); err != nil {
			d.err = err
		}
	case int64:
		d.Decimal, d.err = decimal.NewFromInt(x), nil
	default:
		d.err = fmt.Errorf("want a decimal string such as \"1000.50\", got %T %v", v, v)
	}
	return nil
}

// MarshalText writes the decimal text.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.Decimal.String()), nil }

// Err returns the decoding error kept by UnmarshalTOML, if any.
func (d Decimal) Err() error { return d.err }

// Duration is a time.Duration read from TOML as a string ("90s", "1h").
// A TOML integer is refused: it would silently be nanoseconds. Bad values
// are kept and reported by Validate, like Decimal. The zero value is zero.
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
		return fmt.Errorf("duration %q: want a form such as \"30s\", \"5m\" or \"1h\"", b)
	}
	d.Duration, d.err = v, nil
	return nil
}

// UnmarshalTOML implements toml.Unmarshaler.
func (d *Duration) UnmarshalTOML(v any) error {
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

// Problems collects validation errors, each prefixed with its key. The zero
// value is empty and ready to use.
type Problems struct {
	errs []error
}

// Addf records a problem with key.
func (p *Problems) Addf(key, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

// Decimal records d's decoding error under key and reports whether d is usable.
func (p *Problems) Decimal(key string, d Decimal) bool {
	if d.err != nil {
		p.Addf(key, "%v", d.err)
		return false
	}
	return true
}

// Duration records d's decoding error under key and reports whether d is usable.
func (p *Problems) Duration(key string, d Duration) bool {
	if d.err != nil {
		p.Addf(key, "%v", d.err)
		return false
	}
	return true
}

// Positive records a problem unless d decoded and is greater than zero.
func (p *Problems) Positive(key string, d Decimal) {
	if p.Decimal(key, d) && !d.IsPositive() {
		p.Addf(key, "must be greater than zero, got %s", d.Decimal)
	}
}

// NonNegative records a problem unless d decoded and is zero or more.
func (p *Problems) NonNegative(key string, d Decimal) {
	if p.Decimal(key, d) && d.IsNegative() {
		p.Addf(key, "must not be negative, got %s", d.Decimal)
	}
}

// Err joins every problem, or returns nil.
func (p *Problems) Err() error { return errors.Join(p.errs...) }

// common checks the fields every built-in shares.
func (p *Problems) common(path Path, slippage Decimal, precision int32) {
	if path != RFQ && path != OTC {
		p.Addf("path", "must be \"rfq\" or \"otc\", got %q", path)
	}
	p.NonNegative("max_slippage", slippage)
	if precision < 0 || precision > 18 {
		p.Addf("precision", "must be 0 to 18 decimal places, got %d", precision)
	}
}

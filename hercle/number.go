package hercle

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// Number is a decimal amount, price, size, fee or slippage as Hercle carries
// it on the wire: a JSON number. It marshals as a bare number and unmarshals
// from the number's text without going through float64, so 0.1, 26844.07 and
// 18-decimal values survive unchanged. A quoted decimal string is accepted
// on input as well; null leaves the value unchanged, like encoding/json.
//
// Number embeds decimal.Decimal, so arithmetic is available directly. The zero
// value is 0.
//
// Number exists because shopspring/decimal's MarshalJSONWithoutQuotes is a
// process-wide switch; this type keeps the wire format local to the models.
type Number struct {
	decimal.Decimal
}

// N wraps a decimal.Decimal as a Number.
func N(d decimal.Decimal) Number { return Number{d} }

// MustNumber parses s; it panics on a malformed literal and is meant for
// constants in tests and examples.
func MustNumber(s string) Number { return Number{decimal.RequireFromString(s)} }

// MarshalJSON writes the decimal as a JSON number.
func (n Number) MarshalJSON() ([]byte, error) {
	return []byte(n.Decimal.String()), nil
}

// UnmarshalJSON reads a JSON number, or a string holding a decimal.
func (n *Number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	if !isJSONNumber(b) {
		return fmt.Errorf("hercle: %q is not a decimal number", truncate(b, 40))
	}
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return fmt.Errorf("hercle: decimal %q: %w", truncate(b, 40), err)
	}
	n.Decimal = d
	return nil
}

// String returns the decimal's text.
func (n Number) String() string { return n.Decimal.String() }

// maxNumberLen bounds a number's text. No amount needs more than a few
// dozen digits; the bound keeps a hostile megabyte of digits from costing
// a big-integer parse.
const maxNumberLen = 100

// isJSONNumber reports whether b is a number in JSON's grammar. It keeps
// decimal.NewFromString from accepting forms JSON does not have (".5", "1.",
// "+1") and bounds the length and the exponent, so a hostile "1e999999999"
// cannot make later arithmetic allocate without limit.
func isJSONNumber(b []byte) bool {
	if len(b) > maxNumberLen {
		return false
	}
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start || i-start > 3 {
			return false
		}
	}
	return i == len(b)
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

var errNotNumber = errors.New("hercle: not a decimal number")

// ParseNumber reads the raw JSON value v into n: a number literal or a
// string holding one, parsed from its text without float64; null leaves n
// unchanged. It is the allocation-light path for stream decoders (the hub's
// price updates): numbers whose digits fit an int64 skip the big-number
// parse. It accepts what Number.UnmarshalJSON accepts, except white space
// around v.
func ParseNumber(v []byte, n *Number) error {
	if string(v) == "null" {
		return nil
	}
	if len(v) > 0 && v[0] == '"' {
		v = v[1 : len(v)-1]
	}
	if !isJSONNumber(v) {
		return errNotNumber
	}
	if d, ok := smallDecimal(v); ok {
		n.Decimal = d
		return nil
	}
	d, err := decimal.NewFromString(string(v))
	if err != nil {
		return errNotNumber
	}
	n.Decimal = d
	return nil
}

// smallDecimal parses a JSON number (already checked by isJSONNumber)
// whose digits fit an int64 without the string conversion and big-number
// parse of decimal.NewFromString; ok is false for anything else.
func smallDecimal(v []byte) (decimal.Decimal, bool) {
	var mant int64
	var exp int32
	neg, digits, frac := false, 0, false
	i := 0
	if i < len(v) && v[i] == '-' {
		neg = true
		i++
	}
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 18 {
				return decimal.Decimal{}, false
			}
			if mant != 0 || c != '0' {
				digits++
			}
			mant = mant*10 + int64(c-'0')
			if frac {
				exp--
			}
		case c == '.':
			frac = true
		default: // an exponent: leave it to decimal.NewFromString
			return decimal.Decimal{}, false
		}
	}
	if neg {
		mant = -mant
	}
	return decimal.New(mant, exp), true
}

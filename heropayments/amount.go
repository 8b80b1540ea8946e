package heropayments

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/shopspring/decimal"
)

// Amount is a decimal amount as Heropayments carries it: a JSON number.
//
// It unmarshals from the number's text (or from a quoted decimal string)
// without going through float64; null leaves it unchanged.
//
// It marshals as the JSON number JSON.stringify would print for it, and
// refuses (ErrInexactAmount) an amount that JavaScript cannot carry
// exactly: the request signature covers JSON.stringify(JSON.parse(body)),
// which rounds every number to a double, so such an amount would either be
// signed as a different value or sent as one. 0.1, 1.1, 1e-7 and
// 12345678.12345678 go through; 0.12345678901234567890 does not. An
// amount whose JavaScript form differs only in notation is sent in that
// form (0.0000001 as 1e-7), which is the same value.
//
// The zero value is 0.
type Amount struct {
	decimal.Decimal
}

// A wraps d as an Amount.
func A(d decimal.Decimal) Amount { return Amount{d} }

// MustAmount parses s and panics if it is malformed; for constants in tests
// and examples.
func MustAmount(s string) Amount { return Amount{decimal.RequireFromString(s)} }

// JSNumber returns the JSON.stringify text of d, or an error wrapping
// ErrInexactAmount when that text would denote a different value.
func JSNumber(d decimal.Decimal) (string, error) {
	s := d.String()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", fmt.Errorf("%w: %s is out of range for a JavaScript number", ErrInexactAmount, s)
	}
	js := string(appendJSNumber(nil, f))
	back, err := decimal.NewFromString(js)
	if err != nil || !back.Equal(d) {
		return "", fmt.Errorf("%w: %s would be signed and read as %s; round it to at most 15 significant digits", ErrInexactAmount, s, js)
	}
	return js, nil
}

// MarshalJSON writes the amount as JSON.stringify prints it.
func (a Amount) MarshalJSON() ([]byte, error) {
	s, err := JSNumber(a.Decimal)
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// UnmarshalJSON reads a JSON number, or a string holding one.
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	if !isJSONNumber(b) {
		return fmt.Errorf("%w: amount is not a decimal number", ErrMalformedResponse)
	}
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return fmt.Errorf("%w: amount: %w", ErrMalformedResponse, err)
	}
	a.Decimal = d
	return nil
}

// String returns the decimal's text.
func (a Amount) String() string { return a.Decimal.String() }

// maxNumberLen bounds a number's text, so a hostile megabyte of digits
// cannot cost a big-integer parse.
const maxNumberLen = 100

// isJSONNumber reports whether b is a number in JSON's grammar with at most
// maxNumberLen characters and a three-digit exponent, so a hostile
// "1e999999999" cannot make later decimal arithmetic allocate without limit.
func isJSONNumber(b []byte) bool {
	if len(b) > maxNumberLen {
		return false
	}
	p := parser{data: b}
	if _, err := p.number(); err != nil || p.pos != len(b) {
		return false
	}
	if i := bytes.IndexAny(b, "eE"); i >= 0 {
		exp := bytes.TrimLeft(b[i+1:], "+-")
		if len(bytes.TrimLeft(exp, "0")) > 3 {
			return false
		}
	}
	return true
}

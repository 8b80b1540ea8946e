package heropayments

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func TestJSNumber(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" means refused
	}{
		{"1.10", "1.1"},
		{"100.0", "100"},
		{"0.1", "0.1"},
		{"0.0000001", "1e-7"},
		{"0.000001", "0.000001"},
		{"1000000000000000000000", "1e+21"},
		{"100000000000000000000", "100000000000000000000"},
		{"12345678.12345678", "12345678.12345678"},
		{"999999999999999.9", "999999999999999.9"},
		{"-2.5", "-2.5"},
		{"0", "0"},
		{"123456789012345678901", ""},  // JSON.stringify: 123456789012345680000
		{"0.12345678901234567890", ""}, // more digits than a double holds
		{"9007199254740993", ""},       // 2^53+1
		{"1e400", ""},
	} {
		got, err := JSNumber(decimal.RequireFromString(c.in))
		switch {
		case c.want == "" && !errors.Is(err, ErrInexactAmount):
			t.Errorf("JSNumber(%s) = %q, %v; want ErrInexactAmount", c.in, got, err)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("JSNumber(%s) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if c.want != "" {
			// What we send must be what Node's normalisation gives back.
			n, err := Normalize([]byte(got))
			if err != nil || string(n) != got {
				t.Errorf("Normalize(%s) = %q, %v; want it unchanged", got, n, err)
			}
		}
	}
}

func TestAmountJSON(t *testing.T) {
	var v struct {
		A Amount `json:"a"`
		B Amount `json:"b"`
		C Amount `json:"c"`
	}
	v.C = MustAmount("7")
	if err := json.Unmarshal([]byte(`{"a": 0.123456789012345678901234, "b": "26844.07", "c": null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "0.123456789012345678901234" || v.B.String() != "26844.07" || v.C.String() != "7" {
		t.Errorf("decoded %s %s %s; want exact text, and null to leave 7", v.A, v.B, v.C)
	}
	for _, bad := range []string{`"1e99999"`, `".5"`, `"+1"`, `"abc"`, `true`, `01`} {
		var a Amount
		if err := a.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("Amount.UnmarshalJSON(%s) = %s, want an error", bad, a)
		}
	}
	if _, err := json.Marshal(struct{ A Amount }{MustAmount("0.12345678901234567890")}); !errors.Is(err, ErrInexactAmount) {
		t.Errorf("json.Marshal(inexact) error = %v, want ErrInexactAmount", err)
	}
}

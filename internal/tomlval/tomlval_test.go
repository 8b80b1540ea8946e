package tomlval

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestDecimal(t *testing.T) {
	tests := []struct {
		in      any
		want    string
		wantErr string
	}{
		{"0.1", "0.1", ""},
		{"26844.07", "26844.07", ""},
		{"0.000000000000000001", "0.000000000000000001", ""},
		{int64(5), "5", ""},
		{1.5, "", "want a decimal string"},
		{"abc", "", "is not a decimal number"},
		{"1e99", "", "outside the supported range"},
		{strings.Repeat("1", 65), "", "longer than 64 characters"},
	}
	for _, tt := range tests {
		var d Decimal
		if err := d.UnmarshalTOML(tt.in); err != nil {
			t.Fatalf("UnmarshalTOML(%v) returned %v; errors are kept for the section's validation", tt.in, err)
		}
		if !d.IsSet() {
			t.Errorf("UnmarshalTOML(%v): not set", tt.in)
		}
		switch {
		case tt.wantErr == "" && d.Err() != nil:
			t.Errorf("Decimal(%v).Err() = %v", tt.in, d.Err())
		case tt.wantErr != "" && (d.Err() == nil || !strings.Contains(d.Err().Error(), tt.wantErr)):
			t.Errorf("Decimal(%v).Err() = %v, want %q", tt.in, d.Err(), tt.wantErr)
		case tt.wantErr == "" && d.String() != tt.want:
			t.Errorf("Decimal(%v) = %s, want %s", tt.in, d.String(), tt.want)
		}
	}
	if (Decimal{}).IsSet() {
		t.Error("the zero Decimal is set")
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	if _ = d.UnmarshalTOML("90s"); d.Err() != nil || d.Duration != 90*time.Second {
		t.Fatalf("90s = %v, %v", d.Duration, d.Err())
	}
	if _ = d.UnmarshalTOML(int64(60)); d.Err() == nil {
		t.Fatal("an integer duration (nanoseconds) was accepted")
	}
	if _ = d.UnmarshalTOML("soon"); d.Err() == nil || d.Duration != 0 {
		t.Fatalf("soon = %v, %v; want an error and zero", d.Duration, d.Err())
	}
	if got := (Duration{}).Or(time.Minute); got != time.Minute {
		t.Fatalf("zero.Or(1m) = %s", got)
	}
}

// Each check names its key, and NaN or infinity never pass a range.
func TestProblems(t *testing.T) {
	var ps Problems
	var bad Decimal
	_ = bad.UnmarshalTOML(0.5)
	ps.Positive("a", MustDec("0"))
	ps.NonNegative("b", bad)
	ps.DurationIn("c", Dur(2562047*time.Hour), 0, time.Hour)
	ps.Finite("d", math.NaN(), 0, 1)
	ps.Finite("e", math.Inf(1), 0, 1)
	ps.Finite("f", 0.5, 0, 1)
	ps.Under("sec", []Problem{{Key: "g", Msg: "bad"}})
	want := []string{"a: must be greater than zero", "b: want a decimal", "c: must be at most 1h0m0s", "d: must be a finite number",
		"e: must be a finite number", "sec.g: bad"}
	if len(ps) != len(want) {
		t.Fatalf("problems %v, want %d", ps, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(ps[i].String(), w) {
			t.Errorf("problem %d = %q, want %q", i, ps[i], w)
		}
	}
	var e *Error
	if err := ps.Err("x.toml"); !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "x.toml: 6 problem(s):\n  a: ") {
		t.Fatalf("Err = %v", err)
	}
	if (Problems{}).Err("x") != nil {
		t.Fatal("no problems, but an error")
	}
}

// A syntax error reports where, never what: the token may be a secret.
func TestDecodeProblemHidesTheText(t *testing.T) {
	var v struct{ Token string }
	_, err := toml.Decode("token = s3cr3t-value-unquoted\n", &v)
	if err == nil {
		t.Fatal("decoded an unquoted value")
	}
	p := DecodeProblem(err)
	if strings.Contains(p.String(), "s3cr3t") || p.Key != "line 1" {
		t.Fatalf("DecodeProblem = %q, want line 1 and no text of the file", p)
	}
}

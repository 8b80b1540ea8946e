package hercle

import "testing"

func TestSmallDecimalMatchesDecimal(t *testing.T) {
	for _, in := range []string{"0", "-0", "1", "0.0001", "-1.50", "26798.5", "26794.575", "123456789012345678",
		"0.000000000000000000001", "99999999999999999.9", "1234567890123456789", "1e3", "-2.5E-3", "10.000"} {
		var got Number
		if err := ParseNumber([]byte(in), &got); err != nil {
			t.Fatalf("ParseNumber(%s): %v", in, err)
		}
		want := MustNumber(in)
		if !got.Equal(want.Decimal) {
			t.Fatalf("ParseNumber(%s) = %s, want %s", in, got, want)
		}
	}
}

func FuzzSmallDecimal(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-0.001", "123456789012345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !isJSONNumber([]byte(s)) {
			return
		}
		d, ok := smallDecimal([]byte(s))
		if !ok {
			return
		}
		if want := MustNumber(s); !d.Equal(want.Decimal) {
			t.Fatalf("smallDecimal(%s) = %s, want %s", s, d, want)
		}
	})
}

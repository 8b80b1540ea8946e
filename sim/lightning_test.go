package sim

import (
	"testing"

	"github.com/shopspring/decimal"
)

// TestParseBolt11Amount reads the amount of hand-written prefixes.
func TestParseBolt11Amount(t *testing.T) {
	for _, tc := range []struct {
		pr   string
		want string // empty: refused
	}{
		{"lnbc2500u1pvjluez", "0.0025"},
		{"LNBC20M1PVJLUEZ", "0.02"},
		{"lntbs10n1pvjluez", "0.00000001"},
		{"lnbcrt3p1pvjluez", ""}, // not a whole millisatoshi
		{"lnbc30p1pvjluez", "0.00000000003"},
		{"lnbc1pvjluez", ""},    // no amount
		{"lnbc01u1pvjluez", ""}, // leading zero
		{"lnxy1u1pvjluez", ""},
		{"bc1qcold", ""},
	} {
		got, err := parseBolt11Amount(tc.pr)
		if tc.want == "" {
			if err == nil {
				t.Errorf("parseBolt11Amount(%s) = %s, want a refusal", tc.pr, got)
			}
		} else if err != nil || !got.Equal(decimal.RequireFromString(tc.want)) {
			t.Errorf("parseBolt11Amount(%s) = %s, %v, want %s", tc.pr, got, err, tc.want)
		}
	}
}

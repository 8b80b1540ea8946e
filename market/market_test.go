package market

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestCheckSize(t *testing.T) {
	p := Pair{Symbol: "BTCUSDT", Base: "BTC", Quote: "USDT", MinSize: d("0.0001"), MaxSize: d("20")}
	tests := []struct {
		size string
		ok   bool
	}{
		{"0.0001", true},
		{"20", true},
		{"1.23456789", true},
		{"0.00009999", false},
		{"20.00000001", false},
		{"0", false},
		{"-1", false},
	}
	for _, tt := range tests {
		err := p.CheckSize(d(tt.size))
		if (err == nil) != tt.ok {
			t.Errorf("CheckSize(%s) = %v, want ok=%v", tt.size, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrSizeOutOfRange) {
			t.Errorf("CheckSize(%s) = %v, want ErrSizeOutOfRange", tt.size, err)
		}
	}
	unlimited := Pair{Symbol: "X"}
	if err := unlimited.CheckSize(d("1e9")); err != nil {
		t.Errorf("CheckSize on a pair without limits = %v, want nil", err)
	}
}

func TestParseSide(t *testing.T) {
	for in, want := range map[string]Side{"buy": Buy, "SELL": Sell, "Buy": Buy} {
		if got, err := ParseSide(in); err != nil || got != want {
			t.Errorf("ParseSide(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseSide("hold"); err == nil {
		t.Error("ParseSide(hold) = nil error, want error")
	}
	if Buy.Opposite() != Sell || Sell.Opposite() != Buy {
		t.Error("Opposite is not an involution")
	}
}

func TestMid(t *testing.T) {
	tk := Tick{BuyPrice: d("50000"), SellPrice: d("49950")}
	if got := tk.Mid(); !got.Equal(d("49975")) {
		t.Errorf("Mid() = %s, want 49975", got)
	}
}

// TestMidAsDivision: Mid equals the sum divided by two with Div, the way it
// was computed before it multiplied by 0.5, in value and in text, on random
// prices from 0 to 20 places (past Div's 16, where Div rounds).
func TestMidAsDivision(t *testing.T) {
	const seed = 22
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	price := func() decimal.Decimal {
		return decimal.New(rng.Int64N(1e12)+1, -rng.Int32N(21))
	}
	for range 100_000 {
		tk := Tick{BuyPrice: price(), SellPrice: price()}
		want := tk.BuyPrice.Add(tk.SellPrice).Div(decimal.NewFromInt(2))
		if got := tk.Mid(); !got.Equal(want) || got.String() != want.String() {
			t.Fatalf("Mid() of %s and %s = %s, want %s", tk.BuyPrice, tk.SellPrice, got, want)
		}
	}
}

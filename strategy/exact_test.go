package strategy

import (
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// sameDecimal fails unless got and want are the same number with the same
// exponent, as decimal's own arithmetic would have left it.
func sameDecimal(t *testing.T, what string, got, want decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) || got.Exponent() != want.Exponent() {
		t.Fatalf("%s = %s (exponent %d), decimal gives %s (exponent %d)", what, got, got.Exponent(), want, want.Exponent())
	}
}

// calc's operations are decimal's: the same numbers at the same
// exponents, with operands of one and several words, of either sign, and
// results written over an operand.
func TestExactAsDecimal(t *testing.T) {
	const seed = 22
	rng := rand.New(rand.NewPCG(seed, seed))
	random := func() decimal.Decimal {
		var v decimal.Decimal
		switch rng.IntN(3) {
		case 0:
			v = decimal.New(rng.Int64N(1e6), -rng.Int32N(8))
		case 1:
			v = decimal.New(rng.Int64(), -rng.Int32N(25)).Mul(decimal.New(rng.Int64(), 0))
		default:
			v = decimal.New(rng.Int64N(1e18), rng.Int32N(40)-30)
		}
		if rng.IntN(4) == 0 {
			v = v.Neg()
		}
		return v
	}
	var c calc
	c.init()
	var x, y, z exact
	for i := range 50_000 {
		a, b := random(), random()
		c.set(&x, a)
		c.set(&y, b)
		sameDecimal(t, "set", x.decimal(), a)
		c.add(&z, &x, &y)
		sameDecimal(t, a.String()+" + "+b.String(), z.decimal(), a.Add(b))
		c.sub(&z, &x, &y)
		sameDecimal(t, a.String()+" − "+b.String(), z.decimal(), a.Sub(b))
		c.mul(&z, &x, &y)
		sameDecimal(t, a.String()+" × "+b.String(), z.decimal(), a.Mul(b))
		if want := a.Abs().Cmp(b.Abs()); c.cmpAbs(&x, &exact{v: *new(big.Int).Abs(b.Coefficient()), exp: b.Exponent()}) != want {
			t.Fatalf("case %d: |%s| against |%s| is not %d", i, a, b, want)
		}
		if want := a.Cmp(b); c.cmp(&x, &y) != want {
			t.Fatalf("case %d: %s against %s is not %d", i, a, b, want)
		}
		switch i % 3 { // the result over an operand
		case 0:
			c.add(&x, &x, &y)
			sameDecimal(t, "x += y", x.decimal(), a.Add(b))
		case 1:
			c.sub(&y, &x, &y)
			sameDecimal(t, "y = x − y", y.decimal(), a.Sub(b))
		default:
			c.mul(&x, &x, &x)
			sameDecimal(t, "x ×= x", x.decimal(), a.Mul(a))
		}
	}
	c.set(&x, decimal.New(7, -100))
	c.set(&y, decimal.New(3, 100))
	c.add(&z, &x, &y)
	sameDecimal(t, "exponents 200 apart", z.decimal(), decimal.New(7, -100).Add(decimal.New(3, 100)))
}

// legsExact, where it answers, answers as legsDecimal does, with the same
// legs at the same exponents, on seeded random portfolios: balances with
// up to 18 places as fills leave them, prices of one to eight places, some
// stale or missing, an inverted pair, a sum of prices Tick.Mid divides,
// weights placed at the band's edge. It must answer most of them.
func TestLegsExact(t *testing.T) {
	const seed = 22
	rng := rand.New(rand.NewPCG(seed, seed))
	amount := func() string {
		return decimal.New(rng.Int64N(1e18)+1, -rng.Int32N(19)).String()
	}
	price := func() (string, string) {
		mid := rng.Int64N(1e9) + 1
		places := -rng.Int32N(9)
		if rng.IntN(50) == 0 {
			places = -17 // the sum has 17 places: Tick.Mid divides
		}
		spread := rng.Int64N(mid/100 + 1)
		return decimal.New(mid+spread, places).String(), decimal.New(mid, places).String()
	}
	answered, fellBack := 0, 0
	for i := range 20_000 {
		p := rebalanceParams(map[string]string{"EUR": "0.5", "BTC": "0.25", "ETH": "0.25"})
		p.Band = dp([]string{"0.002", "0.05", "0.3"}[rng.IntN(3)])
		r, err := NewRebalance("mix", p)
		if err != nil {
			t.Fatal(err)
		}
		s := newState().pair("BTCEUR", "BTC", "EUR", "", "")
		if rng.IntN(20) == 0 {
			s.pair("EURETH", "EUR", "ETH", "", "") // only the inverted pair
		} else {
			s.pair("ETHEUR", "ETH", "EUR", "", "")
		}
		for _, sym := range []string{"BTCEUR", "ETHEUR", "EURETH"} {
			if rng.IntN(30) > 0 {
				b, a := price()
				s.price(sym, b, a)
			}
		}
		if rng.IntN(30) == 0 {
			s.Clock = s.Clock.Add(time.Minute) // every price stale
		}
		for _, a := range []market.Asset{"EUR", "BTC", "ETH"} {
			x := amount()
			s.bal(a, x, x)
		}
		for range 1 + rng.IntN(3) { // again, with some of it read before
			if rng.IntN(2) == 0 {
				b, a := price()
				s.price("BTCEUR", b, a)
			}
			sells, buys, drifted, ok := r.legsExact(s)
			wantSells, wantBuys, wantDrifted, why := r.legsDecimal(s)
			if !ok {
				fellBack++
				continue
			}
			answered++
			if why != "" || drifted != wantDrifted || len(sells) != len(wantSells) || len(buys) != len(wantBuys) {
				t.Fatalf("case %d: exact %v %v %v, decimal %v %v %v %q", i, sells, buys, drifted, wantSells, wantBuys, wantDrifted, why)
			}
			for j := range sells {
				if sells[j].asset != wantSells[j].asset {
					t.Fatalf("case %d: sells %v, decimal %v", i, sells, wantSells)
				}
				sameDecimal(t, "sell", sells[j].value.decimal(), wantSells[j].value.decimal())
			}
			for j := range buys {
				if buys[j].asset != wantBuys[j].asset {
					t.Fatalf("case %d: buys %v, decimal %v", i, buys, wantBuys)
				}
				sameDecimal(t, "buy", buys[j].value.decimal(), wantBuys[j].value.decimal())
			}
		}
	}
	t.Logf("answered %d, left to decimal %d", answered, fellBack)
	if answered < 4*fellBack || fellBack == 0 {
		t.Fatalf("answered %d and left %d to decimal: the cases do not cover both", answered, fellBack)
	}
}

// A weight exactly at the band's edge is left to legsDecimal, which
// divides: EUR at 0.502 against 0.5 with a 0.002 band has not drifted.
func TestLegsExactLeavesTheEdge(t *testing.T) {
	p := rebalanceParams(map[string]string{"EUR": "0.5", "BTC": "0.25", "ETH": "0.25"})
	p.Band = dp("0.002")
	r, err := NewRebalance("mix", p)
	if err != nil {
		t.Fatal(err)
	}
	s := newState().pair("BTCEUR", "BTC", "EUR", "", "").pair("ETHEUR", "ETH", "EUR", "", "").
		price("BTCEUR", "1.01", "0.99").price("ETHEUR", "2.02", "1.98").
		bal("EUR", "502", "502").bal("BTC", "249", "249").bal("ETH", "124.5", "124.5")
	if _, _, _, ok := r.legsExact(s); ok {
		t.Fatal("legsExact answered for a weight at the band's edge")
	}
	if _, _, drifted, why := r.legs(s); drifted || why != "" {
		t.Fatalf("legs: drifted %v (%q) at exactly the band", drifted, why)
	}
	s.bal("EUR", "502.000000001", "502.000000001")
	if _, _, drifted, ok := r.legsExact(s); !ok || !drifted {
		t.Fatalf("legsExact: drifted %v, answered %v, just past the band", drifted, ok)
	}
}

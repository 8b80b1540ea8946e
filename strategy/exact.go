package strategy

import (
	"math/big"

	"github.com/shopspring/decimal"
)

// exact is a decimal, v × 10^exp, in a big.Int that is kept and reused.
// calc's operations on it are shopspring/decimal's Add, Sub and Mul, giving
// the same numbers with the same exponents, without allocating once the
// big.Ints have grown to their size. A rebalance check values its assets
// with them: with decimal.Decimal, whose every operation returns a new
// big.Int, one check allocated about 40 times, and a backtest checking
// every 5 s over four days makes 60,000 checks.
type exact struct {
	v   big.Int
	exp int32
}

// sign returns -1, 0 or +1.
func (x *exact) sign() int { return x.v.Sign() }

// decimal returns x as a decimal.Decimal, with x's exponent.
func (x *exact) decimal() decimal.Decimal { return decimal.NewFromBigInt(&x.v, x.exp) }

// calc holds the scratch and the powers of ten exact arithmetic rescales by.
type calc struct {
	tmp  big.Int
	pow  []*big.Int // pow[k] is 10^k, made on first use
	half exact      // 0.5, as decimal.New(5, -1)
}

// init readies c; the zero calc lacks half.
func (c *calc) init() {
	c.half.v.SetInt64(5)
	c.half.exp = -1
}

// maxPow is the largest power of ten calc keeps: exponents this far apart
// come only from numbers no feed or balance holds, and each is made anew.
const maxPow = 64

// pow10 returns 10^k (k ≥ 0), shared: callers must not change it.
func (c *calc) pow10(k int32) *big.Int {
	if k > maxPow {
		return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
	}
	for int32(len(c.pow)) <= k {
		p := big.NewInt(1)
		if n := len(c.pow); n > 0 {
			p.Mul(c.pow[n-1], big.NewInt(10))
		}
		c.pow = append(c.pow, p)
	}
	return c.pow[k]
}

// set sets z to d, with d's exponent.
func (c *calc) set(z *exact, d decimal.Decimal) {
	if d.NumDigits() <= 18 {
		// Fits an int64: read without the copy Coefficient makes.
		z.v.SetInt64(d.CoefficientInt64())
	} else {
		z.v.Set(d.Coefficient())
	}
	z.exp = d.Exponent()
}

// copy sets z to x.
func (c *calc) copy(z, x *exact) {
	z.v.Set(&x.v)
	z.exp = x.exp
}

// add sets z to x + y, as decimal's Add: at the smaller exponent. z may be
// x or y.
func (c *calc) add(z, x, y *exact) { c.addSub(z, x, y, false) }

// sub sets z to x − y, as decimal's Sub. z may be x or y.
func (c *calc) sub(z, x, y *exact) { c.addSub(z, x, y, true) }

func (c *calc) addSub(z, x, y *exact, neg bool) {
	op := (*big.Int).Add
	if neg {
		op = (*big.Int).Sub
	}
	switch {
	case x.exp < y.exp:
		c.tmp.Mul(&y.v, c.pow10(y.exp-x.exp))
		op(&z.v, &x.v, &c.tmp)
		z.exp = x.exp
	case x.exp > y.exp:
		c.tmp.Mul(&x.v, c.pow10(x.exp-y.exp))
		op(&z.v, &c.tmp, &y.v)
		z.exp = y.exp
	default:
		op(&z.v, &x.v, &y.v)
		z.exp = x.exp
	}
}

// mul sets z to x × y, as decimal's Mul: at the sum of the exponents. Like
// Mul it panics if that sum overflows an int32. z may be x or y, but then
// big.Int allocates the product anew.
func (c *calc) mul(z, x, y *exact) {
	exp := int64(x.exp) + int64(y.exp)
	if exp != int64(int32(exp)) {
		panic("strategy: exponent overflows an int32")
	}
	z.v.Mul(&x.v, &y.v)
	z.exp = int32(exp)
}

// cmp compares x with y. It and cmpAbs are written out apiece: sharing
// one body through a func value makes their operands escape, and every
// check's sort allocates again.
func (c *calc) cmp(x, y *exact) int {
	switch {
	case x.exp < y.exp:
		c.tmp.Mul(&y.v, c.pow10(y.exp-x.exp))
		return x.v.Cmp(&c.tmp)
	case x.exp > y.exp:
		c.tmp.Mul(&x.v, c.pow10(x.exp-y.exp))
		return c.tmp.Cmp(&y.v)
	}
	return x.v.Cmp(&y.v)
}

// cmpAbs compares |x| with y, which is not negative.
func (c *calc) cmpAbs(x, y *exact) int {
	switch {
	case x.exp < y.exp:
		c.tmp.Mul(&y.v, c.pow10(y.exp-x.exp))
		return x.v.CmpAbs(&c.tmp)
	case x.exp > y.exp:
		c.tmp.Mul(&x.v, c.pow10(x.exp-y.exp))
		return c.tmp.CmpAbs(&y.v)
	}
	return x.v.CmpAbs(&y.v)
}

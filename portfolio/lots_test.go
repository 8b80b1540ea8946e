package portfolio

import (
	"fmt"
	"testing"

	"github.com/otcdesk/engine/market"
)

type trade struct {
	side         market.Side
	size, amount string // BTC, and EUR paid or received
}

type costs struct{ realised, qty, basis string }

// TestCostMethods checks FIFO and average cost against cases computed by
// hand. Trades are in the reference, so no price is involved.
func TestCostMethods(t *testing.T) {
	buy := func(size, amount string) trade { return trade{market.Buy, size, amount} }
	sell := func(size, amount string) trade { return trade{market.Sell, size, amount} }
	for _, c := range []struct {
		name          string
		trades        []trade
		fifo, average costs
	}{
		{"two buys, one sell", []trade{buy("1", "100"), buy("1", "200"), sell("1", "300")},
			costs{"200", "1", "200"}, costs{"150", "1", "150"}},
		{"part of a lot", []trade{buy("2", "200"), sell("0.5", "75")},
			costs{"25", "1.5", "150"}, costs{"25", "1.5", "150"}},
		{"across two lots", []trade{buy("1", "100"), buy("1", "200"), buy("1", "400"), sell("1.5", "900")},
			costs{"700", "1.5", "500"}, costs{"550", "1.5", "350"}},
		{"sell everything", []trade{buy("1", "100"), buy("3", "200"), sell("4", "1000")},
			costs{"700", "0", "0"}, costs{"700", "0", "0"}},
		{"short, then cover", []trade{sell("1", "100"), buy("1", "80")},
			costs{"20", "0", "0"}, costs{"20", "0", "0"}},
		{"through zero", []trade{buy("1", "100"), sell("2", "300"), buy("1", "120")},
			costs{"80", "0", "0"}, costs{"80", "0", "0"}},
		{"still short", []trade{buy("1", "100"), sell("3", "450")},
			costs{"50", "-2", "-300"}, costs{"50", "-2", "-300"}},
		{"a third, rounded once", []trade{buy("3", "100"), sell("1", "50")},
			costs{"16.666666666666666666666667", "2", "66.666666666666666666666667"},
			costs{"16.666666666666666666666667", "2", "66.666666666666666666666667"}},
		{"18 decimals", []trade{buy("1.000000000000000001", "3"), sell("0.000000000000000001", "1")},
			costs{"0.999999999999999997", "1", "2.999999999999999997"},
			costs{"0.999999999999999997", "1", "2.999999999999999997"}},
		{"average moves, FIFO does not", []trade{buy("1", "100"), sell("0.5", "60"), buy("1", "300"), sell("1", "400")},
			costs{"10+200", "0.5", "150"}, costs{"10+166.666666666666666666666667", "0.5", "116.666666666666666666666667"}},
	} {
		for _, m := range []Method{FIFO, Average} {
			t.Run(fmt.Sprintf("%s/%s", c.name, m), func(t *testing.T) {
				want := c.fifo
				if m == Average {
					want = c.average
				}
				cfg := Default()
				cfg.Method = m
				b := mustBook(t, cfg, Inputs{Pairs: []market.Pair{btceur}})
				for i, tr := range c.trades {
					mustApply(t, b, fill(fmt.Sprint(i), at(float64(i)), "c", btceur, tr.side, tr.size, tr.amount))
				}
				r := b.Report(mids("BTCEUR", "1000"), at(24))
				btc := assetOf(r, "BTC")
				eq(t, "Realised", r.Totals.Realised, sum(want.realised))
				eq(t, "BTC realised", btc.Realised, sum(want.realised))
				eq(t, "BTC quantity", btc.Quantity, want.qty)
				eq(t, "BTC basis", btc.Basis, want.basis)
				eq(t, "BTC unrealised", btc.Unrealised.Decimal, btc.Quantity.Mul(d("1000")).Sub(d(want.basis)).String())
				// Trades move value and create none: the basis held is
				// what was realised, EUR included.
				eq(t, "Basis", r.Basis, sum(want.realised))
			})
		}
	}
}

// sum adds "a+b" decimal strings, so the table can show where a figure
// comes from.
func sum(s string) string {
	var cur []byte
	acc := d("0")
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '+' {
			acc = acc.Add(d(string(cur)))
			cur = cur[:0]
			continue
		}
		cur = append(cur, s[i])
	}
	return acc.String()
}

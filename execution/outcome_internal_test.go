package execution

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

func TestSumTrades(t *testing.T) {
	n := func(s string) hercle.Number { return hercle.N(decimal.RequireFromString(s)) }
	tr := func(id, cid, qty, price string) hercle.Trade {
		return hercle.Trade{ID: id, ClientID: cid, QuantityFilled: n(qty), Price: n(price)}
	}
	for _, c := range []struct {
		name   string
		trades []hercle.Trade
		ok     bool
		id     string
		size   string
		amount string
	}{
		{"one", []hercle.Trade{tr("t1", "c", "0.1", "60000")}, true, "t1", "0.1", "6000"},
		{"partial fills summed", []hercle.Trade{tr("t1", "c", "0.1", "60000"), tr("t2", "c", "0.2", "60030")}, true, "t1", "0.3", "18006"},
		{"a trade listed twice counts once", []hercle.Trade{tr("t1", "c", "0.1", "60000"), tr("t1", "c", "0.1", "60000")}, true, "t1", "0.1", "6000"},
		{"another client's trade is left out", []hercle.Trade{tr("t0", "other", "5", "1"), tr("t1", "c", "0.1", "60000")}, true, "t1", "0.1", "6000"},
		{"a trade without an id is left out", []hercle.Trade{tr("", "c", "0.1", "60000"), tr("t2", "c", "0.2", "60000")}, true, "t2", "0.2", "12000"},
		{"only trades without an id: none", []hercle.Trade{tr("", "c", "0.1", "60000")}, false, "", "", ""},
		{"none", nil, false, "", "", ""},
	} {
		f, ok := sumTrades(c.trades, "c")
		if ok != c.ok {
			t.Errorf("%s: ok = %v, want %v", c.name, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if f.tradeID != c.id || !f.size.Equal(decimal.RequireFromString(c.size)) || !f.amount.Equal(decimal.RequireFromString(c.amount)) {
			t.Errorf("%s: fill %s size %s amount %s, want %s %s %s", c.name, f.tradeID, f.size, f.amount, c.id, c.size, c.amount)
		}
	}
}

func TestQuoteMismatch(t *testing.T) {
	n := func(s string) hercle.Number { return hercle.N(decimal.RequireFromString(s)) }
	bySize := strategy.Intent{Side: market.Buy, Size: decimal.RequireFromString("0.5")}
	byAmount := strategy.Intent{Side: market.Sell, Amount: decimal.RequireFromString("1000")}
	for _, c := range []struct {
		name string
		in   strategy.Intent
		q    hercle.RFQ
		ok   bool
	}{
		{"same size", bySize, hercle.RFQ{Side: market.Buy, Size: n("0.5"), Amount: n("30000")}, true},
		{"smaller size (rounded)", bySize, hercle.RFQ{Side: market.Buy, Size: n("0.49999999")}, true},
		{"larger size", bySize, hercle.RFQ{Side: market.Buy, Size: n("5")}, false},
		{"other side", bySize, hercle.RFQ{Side: market.Sell, Size: n("0.5")}, false},
		{"side not given", bySize, hercle.RFQ{Size: n("0.5")}, true},
		{"same amount", byAmount, hercle.RFQ{Side: market.Sell, Size: n("0.0166"), Amount: n("1000")}, true},
		{"larger amount", byAmount, hercle.RFQ{Side: market.Sell, Amount: n("1000.01")}, false},
	} {
		if got := quoteMismatch(c.in, c.q); (got == "") != c.ok {
			t.Errorf("%s: quoteMismatch = %q, want ok %v", c.name, got, c.ok)
		}
	}
}

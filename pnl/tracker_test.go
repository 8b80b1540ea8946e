package pnl

import (
	"context"
	"strings"
	"testing"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/portfolio"
)

// deskJournal posts a small day: 100000 EUR and 1 BTC opening (the BTC
// before BTC ever traded), two buys of 1 BTC at 40000 and 50000 by
// "dip", a sell of 1.5 BTC at 60000 by "take", and a 30 EUR fee.
func deskJournal(t *testing.T) *ledger.Store {
	t.Helper()
	s := openStore(t)
	order(t, s, "c1", "dip")
	order(t, s, "c2", "dip")
	order(t, s, "c3", "take")
	post(t, s,
		opening(hour(0), "EUR", "100000"),
		opening(hour(0), "BTC", "1"),
		trade("1", hour(1), "c1", btceur, market.Buy, "1", "40000"),
		trade("2", hour(2), "c2", btceur, market.Buy, "1", "50000"),
		trade("3", hour(3), "c3", btceur, market.Sell, "1.5", "90000"),
		fee("hercle:fee:f1", hour(3), "EUR", "30"),
	)
	return s
}

// TestCostMethodsByHand checks the book fed from a real ledger against
// figures computed by hand. The opening BTC is valued at BTC's first
// fill, 40000 (it traded later). FIFO sells the opening BTC and 0.5 of
// the first buy: 1.5 × 60000 − (40000 + 20000) = 30000; 0.5 of the first
// buy and the second buy are left, 1.5 BTC costing 20000 + 50000, worth
// 90000 at the last fill: unrealised 20000. Average cost: 3 BTC cost
// 130000, 43333.33…/BTC; 1.5 sold cost 65000: realised 25000; the 1.5
// left cost 65000: unrealised 25000. Both: equity 100000 − 90000 + 90000
// − 30 + 90000 = 190000 − 30 (the fee) = 189970.
func TestCostMethodsByHand(t *testing.T) {
	for _, c := range []struct {
		m                    portfolio.Method
		realised, unrealised string
		dipUnrealised        string
	}{
		{portfolio.FIFO, "30000", "20000", "20000"},
		{portfolio.Average, "25000", "25000", "25000"},
	} {
		t.Run(string(c.m), func(t *testing.T) {
			s := deskJournal(t)
			tr, err := Load(context.Background(), s, Options{Config: config(c.m)})
			if err != nil {
				t.Fatal(err)
			}
			if st := tr.Status(); st.Pending != 0 || st.Refused != 0 {
				t.Fatalf("Status = %+v, want every entry booked", st)
			}
			r := tr.Report(tr.Prices(nil), hour(4))
			eq(t, "Realised", r.Totals.Realised, c.realised)
			eq(t, "Unrealised", r.Totals.Unrealised, c.unrealised)
			eq(t, "Fees", r.Totals.Fees, "30")
			eq(t, "Inflows", r.Totals.Inflows, "140000")
			eq(t, "Equity", r.Equity, "189970")
			eq(t, "take realised", keyOf(r, "take").Realised, c.realised)
			eq(t, "dip unrealised", keyOf(r, "dip").Unrealised, c.dipUnrealised)
			eq(t, "unattributed fees", keyOf(r, portfolio.Unattributed).Fees, "30")
			got := r.Totals.Realised.Add(r.Totals.Unrealised).Sub(r.Totals.Fees).Add(r.Totals.Inflows).Sub(r.Totals.Outflows)
			eq(t, "realised + unrealised - fees + inflows - outflows", got, r.Equity.String())
		})
	}
}

// TestWindowReconciles: the PnL of a window starting mid-day is the
// difference of the book at its start and now, and the change of equity
// equals realised + unrealised − fees + inflows − outflows exactly.
func TestWindowReconciles(t *testing.T) {
	s := deskJournal(t)
	ctx := context.Background()
	tr, err := Load(ctx, s, Options{Config: config(portfolio.FIFO)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := tr.PnL(ctx, s, Query{Since: hour(2.5), By: ByStrategy}, nil, hour(4))
	if err != nil {
		t.Fatal(err)
	}
	// At 2.5h (BTC 50000): 3 BTC (cost 130000) and 10000 EUR: equity
	// 160000. Now: 189970. The sale realised 30000 over the window; the
	// unrealised fell from 20000 to 20000 − … : 160000 + 30000 − 30 + Δu.
	eq(t, "EquityChange", v.EquityChange, "29970")
	eq(t, "Residual", v.Residual, "0")
	eq(t, "Realised", v.Totals.Realised, "30000")
	sum := v.Totals.Realised.Add(v.Totals.Unrealised).Sub(v.Totals.Fees).Add(v.Totals.Inflows).Sub(v.Totals.Outflows)
	eq(t, "sum of the window's PnL", sum, v.EquityChange.String())
	if len(v.Rows) == 0 || v.Rows[len(v.Rows)-1].Key != "unattributed" {
		t.Errorf("Rows = %+v, want dip, take, unattributed", v.Rows)
	}
	day, err := tr.PnL(ctx, s, Query{By: ByDay}, nil, hour(4))
	if err != nil {
		t.Fatal(err)
	}
	if len(day.Rows) != 1 || day.Rows[0].Key != "2025-03-04" || day.Rows[0].Unrealised.Valid {
		t.Errorf("by day = %+v, want one day without unrealised", day.Rows)
	}
}

// TestEntryWaitsForAPrice: an entry no fill or fallback can value waits,
// holding up only the entries of its assets, and is booked once a price
// comes.
func TestEntryWaitsForAPrice(t *testing.T) {
	s := openStore(t)
	both := opening(hour(0), "EUR", "500") // with GBP, which has no pair: split, EUR goes on
	both.Key = "opening"
	both.Postings = append(both.Postings, opening(hour(0), "GBP", "100").Postings...)
	post(t, s, opening(hour(0), "ETH", "10"), both)
	var live portfolio.PriceSource
	tr, err := Load(context.Background(), s, Options{Config: config(portfolio.FIFO),
		Pairs:    []market.Pair{{Symbol: "ETHEUR", Base: "ETH", Quote: "EUR"}},
		Fallback: func() portfolio.PriceSource { return live }})
	if err != nil {
		t.Fatal(err)
	}
	if st := tr.Status(); st.Pending != 2 || !strings.Contains(st.Reason, "GBP") {
		t.Fatalf("Status = %+v, want the ETH and GBP openings waiting, with the reason", st)
	}
	eq(t, "Equity without ETH's price", tr.Report(tr.Prices(live), hour(1)).Equity, "500")
	live = portfolio.Prices{"ETHEUR": {Bid: d("2000"), Ask: d("2000")}}
	if !tr.Retry() {
		t.Fatal("Retry booked nothing once the price came")
	}
	r := tr.Report(tr.Prices(live), hour(1))
	eq(t, "Equity", r.Equity, "20500")
	if st := tr.Status(); st.Pending != 1 {
		t.Errorf("Status = %+v, want GBP's opening still waiting", st)
	}
	eq(t, "Inflows", r.Totals.Inflows, "20500")
}

package portfolio

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// checkReport checks what must hold of any complete report: the identity
// in its two forms, and breakdowns that add up to the totals exactly.
func checkReport(t testing.TB, r Report) {
	t.Helper()
	if !r.Complete {
		t.Fatalf("report incomplete: %v unvalued", r.Unvalued)
	}
	tot := r.Totals
	booked := tot.Inflows.Sub(tot.Outflows).Add(tot.Realised).Sub(tot.Fees)
	if !r.Basis.Equal(booked) {
		t.Errorf("Basis %s != Inflows - Outflows + Realised - Fees = %s", r.Basis, booked)
	}
	if want := booked.Add(tot.Unrealised); !r.Equity.Equal(want) {
		t.Errorf("Equity %s != Inflows - Outflows + Realised - Fees + Unrealised = %s", r.Equity, want)
	}
	var byKey, byAsset PnL
	var byDay Amounts
	for _, k := range r.ByKey {
		byKey.Amounts, byKey.Unrealised = byKey.plus(k.Amounts), byKey.Unrealised.Add(k.Unrealised)
	}
	for _, x := range r.ByDay {
		byDay = byDay.plus(x.Amounts)
	}
	var equity, basis decimal.Decimal
	for _, a := range r.Assets {
		byAsset.Amounts, byAsset.Unrealised = byAsset.plus(a.Amounts), byAsset.Unrealised.Add(a.Unrealised.Decimal)
		equity, basis = equity.Add(a.Value.Decimal), basis.Add(a.Basis)
	}
	for what, got := range map[string]PnL{"ByKey": byKey, "Assets": byAsset, "ByDay": {Amounts: byDay, Unrealised: tot.Unrealised}} {
		if !samePnL(got, tot) {
			t.Errorf("%s sums to %+v, want the totals %+v", what, got, tot)
		}
	}
	if !equity.Equal(r.Equity) || !basis.Equal(r.Basis) {
		t.Errorf("assets sum to equity %s, basis %s; want %s, %s", equity, basis, r.Equity, r.Basis)
	}
}

func samePnL(a, b PnL) bool {
	return a.Realised.Equal(b.Realised) && a.Fees.Equal(b.Fees) && a.Inflows.Equal(b.Inflows) &&
		a.Outflows.Equal(b.Outflows) && a.Unrealised.Equal(b.Unrealised)
}

// TestIdentity scripts a book with amounts at 18 decimals and prices whose
// quotients do not terminate, takes a report after every entry at the
// prices of that instant, and checks that between any two of them the
// change of equity is realised + unrealised - fees + inflows - outflows,
// to the last digit.
func TestIdentity(t *testing.T) {
	ethbtc := market.Pair{Symbol: "ETHBTC", Base: "ETH", Quote: "BTC"}
	prices := schedule{
		{at(0), mids("BTCEUR", "43210.987654321", "BTCUSDT", "46789.0123456789", "ETHBTC", "0.0531234567")},
		{at(3), mids("BTCEUR", "43999.1", "BTCUSDT", "47001.33", "ETHBTC", "0.05299")},
		{at(6), Prices{"BTCEUR": {Bid: d("44100.01"), Ask: d("44100.04")}, "BTCUSDT": {Bid: d("47100.3"), Ask: d("47100.9")}, "ETHBTC": {Bid: d("0.0527"), Ask: d("0.0529")}}},
		{at(9), mids("BTCEUR", "41234.5678", "BTCUSDT", "44444.4444", "ETHBTC", "0.0555555")},
	}
	addr := ledger.ExternalAddress("ETH", "0xabc")
	entries := []ledger.Entry{
		opening("o", at(1), map[market.Asset]string{"BTC": "1.234567890123456789", "ETH": "10.000000000000000001", "USDT": "5000", "EUR": "1000"}),
		fill("1", at(2), "a", btcusdt, market.Buy, "0.012345678901234567", "577.777777777777777777"),
		venueFee("f1", at(2), "USDT", "0.577777777777777778"),
		fill("2", at(4), "b", btceur, market.Sell, "0.333333333333333333", "14666.666666666666666652"),
		fill("3", at(5), "treasury:convert", ethbtc, market.Sell, "3.141592653589793238", "0.166666666666666667"),
		venueFee("f2", at(5), "ETH", "0.000000000000000001"),
		sent("W1", at(6), ledger.KindWithdrawal, ledger.TransitWithdrawal, ledger.Hercle, addr, "ETH", "2.5"),
		settled("W1", at(7), ledger.TransitWithdrawal, ledger.Hercle, addr, "ETH", "2.5", "0.002100000000000001"),
		deposit("D1", at(8), ledger.Hercle, "USDT", "1234.567890123456789"),
		fill("4", at(10), "a", btcusdt, market.Sell, "0.5", "22222.2222"),
		fill("5", at(11), "b", btceur, market.Buy, "0.7", "28864.19746"),
	}
	for _, m := range []Method{FIFO, Average} {
		t.Run(string(m), func(t *testing.T) {
			cfg := Default()
			cfg.Method = m
			b := mustBook(t, cfg, Inputs{Pairs: []market.Pair{btceur, btcusdt, ethbtc}, History: prices,
				Attribution: func(cid string) string { return cid }})
			var reports []Report
			for _, e := range entries {
				mustApply(t, b, e)
				r := b.Report(prices.At(e.Time), e.Time)
				checkReport(t, r)
				reports = append(reports, r)
			}
			for i := range reports {
				for j := i + 1; j < len(reports); j++ {
					c, err := Between(reports[i], reports[j])
					if err != nil {
						t.Fatal(err)
					}
					if !c.Residual.IsZero() {
						t.Errorf("from entry %d to %d: equity moved %s, realised %s + unrealised %s - fees %s + in %s - out %s; residual %s",
							i, j, c.Equity, c.Realised, c.Unrealised, c.Fees, c.Inflows, c.Outflows, c.Residual)
					}
				}
			}
			last := reports[len(reports)-1]
			if last.Totals.Realised.IsZero() || last.Totals.Fees.IsZero() || last.Totals.Outflows.IsZero() {
				t.Errorf("totals %+v: the script should realise, pay fees and send out", last.Totals)
			}
		})
	}
}

func TestBetweenMismatch(t *testing.T) {
	a, b := Report{Reference: "EUR", Method: FIFO}, Report{Reference: "USD", Method: FIFO}
	if _, err := Between(a, b); !errors.Is(err, ErrMismatch) {
		t.Error("Between(EUR, USD) = nil error, want ErrMismatch")
	}
	b.Reference, b.Method = "EUR", Average
	if _, err := Between(a, b); !errors.Is(err, ErrMismatch) {
		t.Error("Between(fifo, average) = nil error, want ErrMismatch")
	}
}

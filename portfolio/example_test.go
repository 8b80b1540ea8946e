package portfolio_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/portfolio"
)

// A caller builds the attribution from the intents (execution.StrategyOf,
// treasury's policy), feeds the book the journal in order, and asks for a
// report at the current prices.
func ExampleBook() {
	pairs := []market.Pair{
		{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"},
		{Symbol: "BTCUSDT", Base: "BTC", Quote: "USDT"},
	}
	prices := portfolio.Prices{
		"BTCEUR":  {Bid: decimal.RequireFromString("39990"), Ask: decimal.RequireFromString("40010")},
		"BTCUSDT": {Bid: decimal.RequireFromString("50000"), Ask: decimal.RequireFromString("50000")},
	}
	strategies := map[string]string{"c1": "momentum"}
	book, err := portfolio.New(portfolio.Default(), portfolio.Inputs{
		Pairs:       pairs,
		History:     portfolio.HistoryFunc(func(time.Time) portfolio.PriceSource { return prices }),
		Attribution: func(clientID string) string { return strategies[clientID] },
	})
	if err != nil {
		panic(err)
	}
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	avail, cp := ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle)
	amount := decimal.RequireFromString
	for _, e := range []ledger.Entry{
		{Key: "hercle:opening", Kind: ledger.KindOpening, Time: at, Postings: []ledger.Posting{
			{Account: avail, Asset: "USDT", Amount: amount("10000")},
			{Account: ledger.OpeningBalance(), Asset: "USDT", Amount: amount("-10000")},
		}},
		{Key: "hercle:trade:1", Kind: ledger.KindTrade, Time: at, ClientID: "c1",
			Refs: map[string]string{"pair": "BTCUSDT"}, Postings: []ledger.Posting{
				{Account: avail, Asset: "BTC", Amount: amount("0.1")},
				{Account: cp, Asset: "BTC", Amount: amount("-0.1")},
				{Account: avail, Asset: "USDT", Amount: amount("-4900")},
				{Account: cp, Asset: "USDT", Amount: amount("4900")},
			}},
	} {
		if err := book.Apply(e); err != nil {
			panic(err)
		}
	}
	r := book.Report(prices, at.Add(time.Hour))
	for _, a := range r.Assets {
		fmt.Printf("%-4s %6s worth %5s EUR via %s\n", a.Asset, a.Quantity, a.Value.Decimal, a.Path)
	}
	fmt.Println("equity", r.Equity, "unrealised", r.Totals.Unrealised)
	for _, k := range r.ByKey {
		fmt.Println(k.Key, "unrealised", k.Unrealised)
	}
	// Output:
	// BTC     0.1 worth  4000 EUR via BTC→EUR (BTCEUR)
	// USDT   5100 worth  4080 EUR via USDT→BTC (BTCUSDT) →EUR (BTCEUR)
	// equity 8080 unrealised 80
	// momentum unrealised 80
	// unattributed unrealised 0
}

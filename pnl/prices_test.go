package pnl

import (
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

func TestReadPrices(t *testing.T) {
	prices, pairs, err := ReadPrices(strings.NewReader("# prices\nBTCEUR 60000\n\nETH/EUR 1999 2001\n"))
	if err != nil {
		t.Fatal(err)
	}
	if q := prices["BTCEUR"]; !q.Bid.Equal(d("60000")) || !q.Ask.Equal(d("60000")) {
		t.Errorf("BTCEUR = %+v", q)
	}
	if q := prices["ETHEUR"]; !q.Bid.Equal(d("1999")) || !q.Ask.Equal(d("2001")) {
		t.Errorf("ETHEUR = %+v", q)
	}
	if len(pairs) != 1 || pairs[0] != (market.Pair{Symbol: "ETHEUR", Base: "ETH", Quote: "EUR"}) {
		t.Errorf("pairs = %+v, want ETH/EUR", pairs)
	}
	for _, bad := range []string{"BTCEUR", "BTCEUR -1", "BTCEUR x", "BTC/ 1", "A B C D"} {
		if _, _, err := ReadPrices(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("ReadPrices(%q) = %v, want an error naming line 1", bad, err)
		}
	}
}

// TestFillsLearnPairs: a trade on a pair the venue did not list teaches
// its base and quote, from the symbol or else the side; prices are by
// time whatever the journal order.
func TestFillsLearnPairs(t *testing.T) {
	f := NewFills(nil)
	f.Add(trade("1", hour(2), "", btcusdt, market.Buy, "1", "50000"))
	f.Add(trade("2", hour(1), "", btcusdt, market.Sell, "2", "90000")) // imported late, older
	odd := market.Pair{Symbol: "XBT-EURO", Base: "BTC", Quote: "EUR"}
	f.Add(trade("3", hour(1), "", odd, market.Buy, "2", "80000"))
	f.Add(ledger.Entry{Kind: ledger.KindTrade, Refs: map[string]string{"pair": "NOPE"}})
	if p, ok := f.Pair("BTCUSDT"); !ok || p.Base != "BTC" || p.Quote != "USDT" {
		t.Errorf("BTCUSDT = %+v, %v", p, ok)
	}
	if p, ok := f.Pair("XBT-EURO"); !ok || p.Base != "BTC" || p.Quote != "EUR" {
		t.Errorf("XBT-EURO (by side) = %+v, %v", p, ok)
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{{hour(0), "45000"}, {hour(1.5), "45000"}, {hour(2), "50000"}, {hour(9), "50000"}} {
		if p, ok := f.Last("BTCUSDT", c.at); !ok || !p.Equal(d(c.want)) {
			t.Errorf("Last(BTCUSDT, %s) = %s, %v; want %s", c.at.Format(time.Kitchen), p, ok, c.want)
		}
	}
	if _, ok := f.Last("ETHEUR", hour(1)); ok {
		t.Error("a pair never filled has a price")
	}
}

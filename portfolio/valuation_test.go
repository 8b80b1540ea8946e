package portfolio

import (
	"errors"
	"testing"

	"github.com/otcdesk/engine/market"
)

func TestRoute(t *testing.T) {
	pairs := []market.Pair{
		btceur, btcusdt,
		{Symbol: "EURUSDT", Base: "EUR", Quote: "USDT"},
		{Symbol: "SOLBTC", Base: "SOL", Quote: "BTC"},
		{Symbol: "SOLUSDC", Base: "SOL", Quote: "USDC"},
		{Symbol: "USDCEUR", Base: "USDC", Quote: "EUR"},
		{Symbol: "XYZABC", Base: "XYZ", Quote: "ABC"},
	}
	v, err := NewValuer("EUR", pairs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		prices Prices
		asset  market.Asset
		path   string // "" when unvalued
		rate   string
	}{
		{"the reference", nil, "EUR", "EUR", "1"},
		{"direct", mids("BTCEUR", "40000"), "BTC", "BTC→EUR (BTCEUR)", "40000"},
		{"mid of bid and ask", Prices{"BTCEUR": {Bid: d("39990"), Ask: d("40010")}}, "BTC", "BTC→EUR (BTCEUR)", "40000"},
		{"ask alone", Prices{"BTCEUR": {Ask: d("40010")}}, "BTC", "BTC→EUR (BTCEUR)", "40010"},
		{"inverted", mids("EURUSDT", "1.08"), "USDT", "USDT→EUR (EURUSDT)", "0.925925925925925925925926"},
		{"shortest path wins", mids("EURUSDT", "1.25", "BTCUSDT", "60000", "BTCEUR", "55000"), "USDT", "USDT→EUR (EURUSDT)", "0.8"},
		{"two hops, one inverted", mids("BTCUSDT", "60000", "BTCEUR", "55000"), "USDT", "USDT→BTC (BTCUSDT) →EUR (BTCEUR)", "0.916666666666666666666667"},
		{"tie broken by symbol", mids("SOLBTC", "0.002", "BTCEUR", "50000", "SOLUSDC", "99", "USDCEUR", "0.9"), "SOL", "SOL→BTC (SOLBTC) →EUR (BTCEUR)", "100"},
		{"unpriced pair skipped", mids("BTCEUR", "50000", "SOLUSDC", "99", "USDCEUR", "0.9"), "SOL", "SOL→USDC (SOLUSDC) →EUR (USDCEUR)", "89.1"},
		{"zero price is no price", Prices{"BTCEUR": {}}, "BTC", "", ""},
		{"no pair", mids("XYZABC", "2"), "XYZ", "", ""},
		{"unknown asset", mids("BTCEUR", "1"), "DOGE", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, ok := v.Route(c.prices, c.asset)
			if c.path == "" {
				if ok {
					t.Fatalf("Route(%s) = %s, want no path", c.asset, r.Path)
				}
				return
			}
			if !ok {
				t.Fatalf("Route(%s): no path, want %s", c.asset, c.path)
			}
			if got := r.Path.String(); got != c.path {
				t.Errorf("path = %s, want %s", got, c.path)
			}
			eq(t, "rate", r.Rate, c.rate)
		})
	}
}

func TestNewValuerRefusesBadPairs(t *testing.T) {
	for name, pairs := range map[string][]market.Pair{
		"no symbol":       {{Base: "BTC", Quote: "EUR"}},
		"no quote":        {{Symbol: "BTC", Base: "BTC"}},
		"base is quote":   {{Symbol: "EUREUR", Base: "EUR", Quote: "EUR"}},
		"symbol repeated": {btceur, {Symbol: "BTCEUR", Base: "ETH", Quote: "EUR"}},
	} {
		if _, err := NewValuer("EUR", pairs); !errors.Is(err, ErrInvalidPair) {
			t.Errorf("%s: NewValuer = %v, want ErrInvalidPair", name, err)
		}
		if _, err := New(Default(), Inputs{Pairs: pairs}); !errors.Is(err, ErrInvalidPair) {
			t.Errorf("%s: New = %v, want ErrInvalidPair", name, err)
		}
	}
}

// TestUnvaluedNotZero: an asset with no path is reported unvalued, and
// the report says it is incomplete, instead of valuing it at zero.
func TestUnvaluedNotZero(t *testing.T) {
	b := mustBook(t, Default(), Inputs{Pairs: []market.Pair{btceur}, History: schedule{{at(0), mids("BTCEUR", "40000", "XYZEUR", "1")}}})
	mustApply(t, b,
		deposit("D1", at(1), "hercle", "EUR", "100"),
		fill("T1", at(2), "c", market.Pair{Symbol: "XYZEUR", Base: "XYZ", Quote: "EUR"}, market.Buy, "10", "50"))
	r := b.Report(mids("BTCEUR", "40000"), at(3))
	x := assetOf(r, "XYZ")
	if r.Complete || len(r.Unvalued) != 1 || r.Unvalued[0] != "XYZ" {
		t.Errorf("Complete, Unvalued = %v, %v; want false, [XYZ]", r.Complete, r.Unvalued)
	}
	if x.Value.Valid || x.Unrealised.Valid || x.Path != "" {
		t.Errorf("XYZ = %+v, want no value, no unrealised, no path", x)
	}
	eq(t, "XYZ basis", x.Basis, "50") // bought for 50 EUR: the reference leg needs no price
	eq(t, "Equity", r.Equity, "50")   // the 50 EUR left; XYZ left out, not zero
	eq(t, "Basis", r.Basis, "100")    // both
	for _, h := range r.Balances {
		if h.Asset == "XYZ" && h.Value.Valid {
			t.Errorf("balance %s XYZ valued at %s, want null", h.Account, h.Value.Decimal)
		}
	}
}

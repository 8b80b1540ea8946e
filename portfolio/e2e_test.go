package portfolio

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// desk is a day of the desk, entry by entry as the engine posts them, with
// the prices in force. USDT has no EUR pair: it is valued through BTC, and
// BTCUSDT/BTCEUR is 0.8 throughout so its figures stay round.
type desk struct {
	prices  schedule
	entries []ledger.Entry
	attrib  map[string]string
}

func newDesk() desk {
	bank := ledger.ExternalBank("DE89370400440532013000")
	addr := ledger.ExternalAddress("BTC", "bc1qxy")
	return desk{
		prices: schedule{
			{at(0), mids("BTCEUR", "40000", "BTCUSDT", "50000")},
			{at(9), mids("BTCEUR", "41600", "BTCUSDT", "52000")},
			{at(10), mids("BTCEUR", "44000", "BTCUSDT", "55000")},
			{at(11), mids("BTCEUR", "44800", "BTCUSDT", "56000")},
			{at(13), mids("BTCEUR", "45000", "BTCUSDT", "56250")},
			{at(30), mids("BTCEUR", "50000", "BTCUSDT", "62500")},
		},
		attrib: map[string]string{"c1": "momentum", "c2": "meanrev", "c3": "treasury:autoconvert",
			"W1": "treasury:sweep", "W2": "treasury:sweep", "S1": "treasury:settle"},
		entries: []ledger.Entry{
			opening("hercle:opening", at(8), map[market.Asset]string{"BTC": "1", "EUR": "10000", "USDT": "20000"}),
			fill("T1", at(9), "c1", btcusdt, market.Buy, "0.25", "13000"),
			venueFee("F1", at(9), "USDT", "6.5"),
			fill("T2", at(10), "c2", btceur, market.Sell, "0.5", "22000"),
			fill("T3", at(11), "c3", btcusdt, market.Sell, "0.25", "14000"), // a treasury conversion
			sent("W1", at(12), ledger.KindWithdrawal, ledger.TransitWithdrawal, ledger.Hercle, addr, "BTC", "0.1"),
			allocation("A1", at(12), "EUR", "1000"),
			sent("W2", at(12), ledger.KindWithdrawal, ledger.TransitBank, ledger.Hercle, bank, "EUR", "500"),
			failed("W2", at(12.5), ledger.TransitBank, ledger.Hercle, "EUR", "500"),
			settled("W1", at(13), ledger.TransitWithdrawal, ledger.Hercle, addr, "BTC", "0.1", "0.0001"),
			deposit("hercle:deposit:D1", at(23.5), ledger.Hercle, "USDT", "500"), // 00:30 on the 2nd in Paris
			deposit("heropayments:deposit:o1:original", at(24), ledger.Heropayments, "USDT", "500"),
			sent("S1", at(25), ledger.KindTransfer, ledger.TransitSettlement, ledger.Heropayments, ledger.VenueAvailable(ledger.Hercle), "USDT", "500"),
			settled("S1", at(26), ledger.TransitSettlement, ledger.Heropayments, ledger.VenueAvailable(ledger.Hercle), "USDT", "500", "1"),
		},
	}
}

func (k desk) book(t *testing.T, m Method) *Book {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.Method, cfg.DayZone = m, paris
	return mustBook(t, cfg, Inputs{
		Pairs: []market.Pair{btceur, btcusdt}, History: k.prices,
		Attribution: func(cid string) string { return k.attrib[cid] },
	})
}

// TestDesk checks a day of the desk against figures computed by hand.
// BTC lots (FIFO): opening 1 @ 40000; bought 0.25 for 13000 USDT = 10400;
// sold 0.5 for 22000 (basis 20000, +2000); converted 0.25 to 14000 USDT =
// 11200 (basis 10000, +1200); withdrew 0.1 at 45000: fee 0.0001 = 4.5
// (basis 4, +0.5), 0.0999 out = 4495.5 (basis 3996, +499.5). Left: 0.15 @
// 6000 and 0.25 @ 10400, worth 20000 at 50000: unrealised 3600.
func TestDesk(t *testing.T) {
	k := newDesk()
	b := k.book(t, FIFO)
	mustApply(t, b, k.entries[:5]...)
	mid := b.Report(k.prices.At(at(11)), at(11))
	mustApply(t, b, k.entries[5:9]...)
	transit := b.Report(k.prices.At(at(12.5)), at(12.5))
	mustApply(t, b, k.entries[9:]...)
	r := b.Report(k.prices.At(at(30)), at(30))

	eq(t, "transit report InTransit", transit.InTransit, "4480") // 0.1 BTC at 44800
	eq(t, "transit report BTC in transit", assetOf(transit, "BTC").InTransit, "0.1")

	for _, c := range []struct {
		what      string
		got, want string
	}{
		{"Equity", r.Equity.String(), "69594"},
		{"Basis", r.Basis.String(), "65994"},
		{"Realised", r.Totals.Realised.String(), "3700"},
		{"Unrealised", r.Totals.Unrealised.String(), "3600"},
		{"Fees", r.Totals.Fees.String(), "10.5"},
		{"Inflows", r.Totals.Inflows.String(), "66800"},
		{"Outflows", r.Totals.Outflows.String(), "4495.5"},
		{"BTC quantity", assetOf(r, "BTC").Quantity.String(), "0.4"},
		{"BTC basis", assetOf(r, "BTC").Basis.String(), "16400"},
		{"BTC fees paid", assetOf(r, "BTC").FeesPaid.String(), "0.0001"},
		{"USDT quantity", assetOf(r, "USDT").Quantity.String(), "21992.5"},
		{"USDT basis", assetOf(r, "USDT").Basis.String(), "17594"},
		{"USDT value", assetOf(r, "USDT").Value.Decimal.String(), "17594"},
		{"USDT path", assetOf(r, "USDT").Path, "USDT→BTC (BTCUSDT) →EUR (BTCEUR)"},
		{"EUR quantity", assetOf(r, "EUR").Quantity.String(), "32000"},
		{"momentum unrealised", keyOf(r, "momentum").Unrealised.String(), "2100"},
		{"meanrev realised", keyOf(r, "meanrev").Realised.String(), "2000"},
		{"autoconvert realised", keyOf(r, "treasury:autoconvert").Realised.String(), "1200"},
		{"sweep realised", keyOf(r, "treasury:sweep").Realised.String(), "500"},
		{"sweep fees", keyOf(r, "treasury:sweep").Fees.String(), "4.5"},
		{"sweep outflows", keyOf(r, "treasury:sweep").Outflows.String(), "4495.5"},
		{"settle fees", keyOf(r, "treasury:settle").Fees.String(), "0.8"},
		{"unattributed fees", keyOf(r, Unattributed).Fees.String(), "5.2"},
		{"unattributed inflows", keyOf(r, Unattributed).Inflows.String(), "66800"},
		{"unattributed unrealised", keyOf(r, Unattributed).Unrealised.String(), "1500"},
		{"1 March realised", dayOf(r, "2024-03-01").Realised.String(), "3700"},
		{"1 March fees", dayOf(r, "2024-03-01").Fees.String(), "9.7"},
		{"2 March inflows", dayOf(r, "2024-03-02").Inflows.String(), "800"},
		{"2 March fees", dayOf(r, "2024-03-02").Fees.String(), "0.8"},
		{"mid-day Equity", mid.Equity.String(), "71194.8"},
		{"mid-day Unrealised", mid.Totals.Unrealised.String(), "2000"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.what, c.got, c.want)
		}
	}
	if !r.Complete || len(r.Unvalued) != 0 {
		t.Errorf("Complete = %v, Unvalued = %v; want every asset valued", r.Complete, r.Unvalued)
	}
	checkVenues(t, r, []VenueHolding{
		{Venue: "hercle", Asset: "BTC", Available: d("0.4")},
		{Venue: "hercle", Asset: "EUR", Available: d("31000"), Allocated: d("1000")},
		{Venue: "hercle", Asset: "USDT", Available: d("21992.5")},
	})
	if r.Entries.Applied != len(k.entries) {
		t.Errorf("Applied = %d, want %d", r.Entries.Applied, len(k.entries))
	}

	c, err := Between(mid, r)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Change.Equity", c.Equity, "-1600.8")
	eq(t, "Change.Residual", c.Residual, "0")
	eq(t, "Change.Realised", c.Realised, "500")
	eq(t, "Change.Unrealised", c.Unrealised, "1600")
}

func checkVenues(t *testing.T, r Report, want []VenueHolding) {
	t.Helper()
	if len(r.Venues) != len(want) {
		t.Fatalf("Venues = %+v, want %+v", r.Venues, want)
	}
	for i, w := range want {
		g := r.Venues[i]
		if g.Venue != w.Venue || g.Asset != w.Asset || !g.Available.Equal(w.Available) || !g.Allocated.Equal(w.Allocated) {
			t.Errorf("Venues[%d] = %+v, want %+v", i, g, w)
		}
	}
}

// TestDeskAverage runs the same day at average cost. BTC's average is
// 50400 / 1.25 = 40320 after the buy; every disposal is costed at it, so
// the 0.4 BTC left cost 16128.
func TestDeskAverage(t *testing.T) {
	k := newDesk()
	b := k.book(t, Average)
	mustApply(t, b, k.entries...)
	r := b.Report(k.prices.At(at(30)), at(30))
	// Realised: 0.5 sold 22000 - 20160 = 1840; 0.25 converted 11200 -
	// 10080 = 1120; fee 4.5 - 4.032 = 0.468; 0.0999 out 4495.5 - 4027.968
	// = 467.532. USDT stays at 0.8 throughout: no gain there.
	eq(t, "Realised", r.Totals.Realised, "3428")
	eq(t, "BTC basis", assetOf(r, "BTC").Basis, "16128")
	eq(t, "Unrealised", r.Totals.Unrealised, "3872")
	eq(t, "Equity", r.Equity, "69594")
	eq(t, "Fees", r.Totals.Fees, "10.5")
}

// TestReportDeterministic: the same book and prices give the same JSON.
func TestReportDeterministic(t *testing.T) {
	k := newDesk()
	var first []byte
	for i := range 5 {
		b := k.book(t, FIFO)
		mustApply(t, b, k.entries...)
		got, err := json.Marshal(b.Report(k.prices.At(at(30)), at(30)))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
		} else if string(got) != string(first) {
			t.Fatalf("report %d differs:\n%s\nwant\n%s", i, got, first)
		}
	}
}

package portfolio

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// figures is a report's JSON without the entry counts and the time: what
// two books that hold the same entries must agree on.
func figures(t *testing.T, r Report) string {
	t.Helper()
	r.Entries, r.At = Counts{}, time.Time{}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReversal: a reversal leaves the book as if the entry it reverses
// had never been applied, even with later disposals costed from its lots;
// reversing the reversal brings it back.
func TestReversal(t *testing.T) {
	final := at(30)
	for _, m := range []Method{FIFO, Average} {
		for _, victim := range []string{"hercle:trade:T1", "hercle:trade:T2", "hercle:fee:F1", "W1:settled", "hercle:deposit:D1", "hercle:opening"} {
			t.Run(string(m)+"/"+victim, func(t *testing.T) {
				k := newDesk()
				with, without := k.book(t, m), k.book(t, m)
				var orig ledger.Entry
				for _, e := range k.entries {
					mustApply(t, with, e)
					if e.Key == victim {
						orig = e
						continue
					}
					mustApply(t, without, e)
				}
				rev := ledger.Reverse(orig, final, "booked in error")
				mustApply(t, with, rev)
				got, want := with.Report(k.prices.At(final), final), without.Report(k.prices.At(final), final)
				if g, w := figures(t, got), figures(t, want); g != w {
					t.Fatalf("after the reversal:\n%s\nwant, as if never applied:\n%s", g, w)
				}
				if got.Entries.Reversed != 1 || got.Entries.Applied != len(k.entries)+1 {
					t.Errorf("Entries = %+v, want 1 reversed, %d applied", got.Entries, len(k.entries)+1)
				}

				mustApply(t, with, ledger.Reverse(rev, final, "the reversal was the error"))
				all := k.book(t, m)
				mustApply(t, all, k.entries...)
				if g, w := figures(t, with.Report(k.prices.At(final), final)), figures(t, all.Report(k.prices.At(final), final)); g != w {
					t.Fatalf("after reversing the reversal:\n%s\nwant, as if both never happened:\n%s", g, w)
				}
			})
		}
	}
}

// TestRefused: what Apply refuses leaves the book as it was.
func TestRefused(t *testing.T) {
	k := newDesk()
	trade := k.entries[1]
	unbalanced := trade
	unbalanced.Key = "hercle:trade:bad"
	unbalanced.Postings = append([]ledger.Posting(nil), trade.Postings[:3]...)
	wrongAmount := ledger.Reverse(trade, at(30), "")
	wrongAmount.Postings = append([]ledger.Posting(nil), wrongAmount.Postings...)
	wrongAmount.Postings[0].Amount, wrongAmount.Postings[1].Amount = d("-1"), d("1") // balanced, not a negation
	wrongKey := ledger.Reverse(trade, at(30), "")
	wrongKey.Key = "correction:T1"
	for _, c := range []struct {
		name  string
		entry ledger.Entry
		want  error
	}{
		{"unbalanced", unbalanced, ledger.ErrUnbalanced},
		{"unbalanced is an invalid entry", unbalanced, ErrInvalidEntry},
		{"no key", ledger.Entry{Kind: ledger.KindDeposit, Postings: trade.Postings}, ErrInvalidEntry},
		{"reversal of an entry never applied", ledger.Reverse(fill("T9", at(1), "c", btceur, market.Buy, "1", "1"), at(30), ""), ErrUnknownReversal},
		{"reversal that does not negate", wrongAmount, ErrInvalidReversal},
		{"reversal under another key", wrongKey, ErrInvalidReversal},
		{"BTC deposit with no price at its time", deposit("D9", at(-1), "hercle", "BTC", "1"), ErrUnpriced},
		{"ETH with no pair", deposit("D9", at(20), "hercle", "ETH", "1"), ErrUnpriced},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := k.book(t, FIFO)
			mustApply(t, b, k.entries...)
			before := figures(t, b.Report(k.prices.At(at(30)), at(30)))
			err := b.Apply(c.entry)
			if !errors.Is(err, c.want) {
				t.Fatalf("Apply = %v, want %v", err, c.want)
			}
			if after := figures(t, b.Report(k.prices.At(at(30)), at(30))); after != before {
				t.Errorf("the book changed:\n%s\nwas\n%s", after, before)
			}
			if errors.Is(c.want, ErrUnpriced) {
				var ue *UnpricedError
				if !errors.As(err, &ue) || ue.Entry != c.entry.Key || ue.Asset != c.entry.Postings[0].Asset {
					t.Errorf("Apply = %#v, want an *UnpricedError naming %s and %s", err, c.entry.Key, c.entry.Postings[0].Asset)
				}
			}
		})
	}
}

// TestIgnoredAndDuplicates: unknown kinds are counted and ignored, and so
// are their reversals; an entry given twice counts once.
func TestIgnoredAndDuplicates(t *testing.T) {
	k := newDesk()
	b := k.book(t, FIFO)
	mustApply(t, b, k.entries...)
	before := figures(t, b.Report(k.prices.At(at(30)), at(30)))
	odd := deposit("rebate:1", at(20), ledger.Hercle, "EUR", "7")
	odd.Kind = "rebate" // a kind of a newer version
	odd2 := odd
	odd2.Key, odd2.Kind = "x:2", ""
	mustApply(t, b, odd, odd2, ledger.Reverse(odd, at(21), ""), k.entries[3], k.entries[0], odd)
	r := b.Report(k.prices.At(at(30)), at(30))
	if after := figures(t, r); after != before {
		t.Errorf("ignored entries changed the book:\n%s\nwas\n%s", after, before)
	}
	want := []Ignored{{Reason: ReasonUnknownKind, Count: 2, First: "rebate:1"}, {Reason: ReasonReversesIgnored, Count: 1, First: "reversal:rebate:1"}}
	if len(r.Entries.Ignored) != 2 || r.Entries.Ignored[0] != want[0] || r.Entries.Ignored[1] != want[1] {
		t.Errorf("Ignored = %+v, want %+v", r.Entries.Ignored, want)
	}
	if r.Entries.Duplicates != 3 {
		t.Errorf("Duplicates = %d, want 3", r.Entries.Duplicates)
	}
}

// TestMerchantDeposit: a Heropayments deposit the customer paid in BTC and
// the merchant account received in EUR is an inflow of the BTC at its
// value and a conversion of it: 0.01 BTC worth 410 fetched 400.
func TestMerchantDeposit(t *testing.T) {
	b := mustBook(t, Default(), Inputs{Pairs: []market.Pair{btceur}, History: schedule{{at(0), mids("BTCEUR", "41000")}}})
	venue, cp, ext := ledger.VenueAvailable(ledger.Heropayments), ledger.Counterparty(ledger.Heropayments), ledger.ExternalUnknown()
	mustApply(t, b, ledger.Entry{Key: "heropayments:deposit:o1:original", Kind: ledger.KindDeposit, Time: at(1), Postings: []ledger.Posting{
		{Account: venue, Asset: "EUR", Amount: d("400")},
		{Account: cp, Asset: "EUR", Amount: d("-400")},
		{Account: cp, Asset: "BTC", Amount: d("0.01")},
		{Account: ext, Asset: "BTC", Amount: d("-0.01")},
	}})
	r := b.Report(mids("BTCEUR", "41000"), at(2))
	eq(t, "Inflows", r.Totals.Inflows, "410")
	eq(t, "Realised", r.Totals.Realised, "-10")
	eq(t, "Equity", r.Equity, "400")
	eq(t, "BTC quantity", assetOf(r, "BTC").Quantity, "0")
	eq(t, "EUR basis", assetOf(r, "EUR").Basis, "400")
}

// TestTradeShapes: a fee inside a trade entry, a trade of three assets,
// and a trade with one side only.
func TestTradeShapes(t *testing.T) {
	avail, cp, fees := ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle), ledger.Fees(ledger.Hercle)
	entry := func(key string, ps ...ledger.Posting) ledger.Entry {
		return ledger.Entry{Key: key, Kind: ledger.KindTrade, Time: at(1), ClientID: "c", Postings: ps}
	}
	p := func(a ledger.Account, asset market.Asset, amt string) ledger.Posting {
		return ledger.Posting{Account: a, Asset: asset, Amount: d(amt)}
	}
	for _, c := range []struct {
		name  string
		entry ledger.Entry
		check func(t *testing.T, r Report)
	}{
		{"fee inside", entry("a",
			p(avail, "BTC", "1"), p(cp, "BTC", "-1"), p(avail, "EUR", "-40000"), p(cp, "EUR", "40000"),
			p(avail, "EUR", "-40"), p(fees, "EUR", "40")),
			func(t *testing.T, r Report) {
				eq(t, "Fees", r.Totals.Fees, "40")
				eq(t, "BTC basis", assetOf(r, "BTC").Basis, "40000")
				eq(t, "EUR quantity", assetOf(r, "EUR").Quantity, "59960")
			}},
		{"three assets", entry("b",
			p(avail, "BTC", "-1"), p(cp, "BTC", "1"), p(avail, "EUR", "20000"), p(cp, "EUR", "-20000"),
			p(avail, "ETH", "0.5"), p(cp, "ETH", "-0.5")),
			func(t *testing.T, r Report) {
				// V is the BTC given, 40000; EUR keeps its face value, ETH
				// costs the other 20000 (at 2000 it is worth 1000).
				eq(t, "EUR basis", assetOf(r, "EUR").Basis, "120000")
				eq(t, "ETH basis", assetOf(r, "ETH").Basis, "20000")
				eq(t, "Realised", r.Totals.Realised, "0")
				eq(t, "Unrealised", r.Totals.Unrealised, "-19000")
			}},
		{"nothing given", entry("c", p(avail, "BTC", "0.1"), p(cp, "BTC", "-0.1")),
			func(t *testing.T, r Report) {
				eq(t, "BTC basis", assetOf(r, "BTC").Basis, "0")
				eq(t, "Unrealised", r.Totals.Unrealised, "4000")
			}},
		{"nothing got", entry("d", p(avail, "EUR", "-10"), p(cp, "EUR", "10")),
			func(t *testing.T, r Report) { eq(t, "Realised", r.Totals.Realised, "-10") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := mustBook(t, Default(), Inputs{Pairs: []market.Pair{btceur, etheur},
				History: schedule{{at(0), mids("BTCEUR", "40000", "ETHEUR", "2000")}}})
			mustApply(t, b, opening("o", at(0), map[market.Asset]string{"EUR": "100000"}), c.entry)
			r := b.Report(mids("BTCEUR", "40000", "ETHEUR", "2000"), at(2))
			c.check(t, r)
			if res := r.Equity.Sub(r.Totals.Inflows.Sub(r.Totals.Outflows).Add(r.Totals.Realised).Sub(r.Totals.Fees).Add(r.Totals.Unrealised)); !res.IsZero() {
				t.Errorf("identity off by %s", res)
			}
		})
	}
}

func TestAttributionDefaults(t *testing.T) {
	for name, attrib := range map[string]func(string) string{
		"no function":    nil,
		"unknown client": func(string) string { return "" },
	} {
		b := mustBook(t, Default(), Inputs{Pairs: []market.Pair{btceur}, Attribution: attrib})
		mustApply(t, b, fill("1", at(1), "c9", btceur, market.Buy, "1", "100"), fill("2", at(2), "c9", btceur, market.Sell, "1", "150"))
		r := b.Report(nil, at(3))
		if len(r.ByKey) != 1 || r.ByKey[0].Key != Unattributed || !r.ByKey[0].Realised.Equal(d("50")) {
			t.Errorf("%s: ByKey = %+v, want 50 realised, unattributed", name, r.ByKey)
		}
	}
}

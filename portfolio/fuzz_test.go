package portfolio

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// choices reads a fuzz input as a stream of small choices; past its end
// every choice is zero.
type choices struct {
	b []byte
	i int
}

func (c *choices) next(n int) int {
	if c.i >= len(c.b) {
		return 0
	}
	c.i++
	return int(c.b[c.i-1]) % n
}

var (
	fuzzAssets   = []market.Asset{"EUR", "BTC", "USDT", "ETH"}
	fuzzAccounts = []ledger.Account{
		ledger.VenueAvailable(ledger.Hercle), ledger.VenueAllocated(ledger.Hercle),
		ledger.VenueAvailable(ledger.Heropayments), ledger.Transit(ledger.TransitWithdrawal, "W1"),
		ledger.Transit(ledger.TransitSettlement, "S1"), ledger.ExternalUnknown(), ledger.ExternalBank("X1"),
		ledger.Counterparty(ledger.Hercle), ledger.Counterparty(ledger.Heropayments), ledger.Fees(ledger.Hercle),
		ledger.OpeningBalance(), ledger.Adjustment(),
	}
	fuzzKinds = append(ledger.Kinds(), "mystery")
	fuzzPairs = []market.Pair{btceur, btcusdt, {Symbol: "ETHBTC", Base: "ETH", Quote: "BTC"}}
)

// fuzzPrices prices every asset at every time, differently each hour.
func fuzzPrices(t time.Time) PriceSource {
	h := decimal.NewFromInt(int64(t.Sub(at(0)) / time.Hour))
	return Prices{
		"BTCEUR":  {Bid: d("40000").Add(h.Mul(d("17.3"))), Ask: d("40000.07").Add(h.Mul(d("17.3")))},
		"BTCUSDT": {Bid: d("43333.3").Sub(h.Mul(d("3.7"))), Ask: d("43333.3").Sub(h.Mul(d("3.7")))},
		"ETHBTC":  {Bid: d("0.0513").Add(h.Mul(d("0.00007"))), Ask: d("0.0513").Add(h.Mul(d("0.00007")))},
	}
}

// amount is a positive amount of 1 to 30 digits with up to 18 decimals.
func (c *choices) amount() decimal.Decimal {
	n := int64(1 + c.next(250))
	for range c.next(4) {
		n = n*251 + int64(c.next(251))
	}
	return decimal.New(n, -int32(c.next(19)))
}

// entry makes a balanced entry: one to three assets, each moved between
// two or three accounts.
func (c *choices) entry(i int, when time.Time) ledger.Entry {
	e := ledger.Entry{Key: fmt.Sprintf("e%d", i), Kind: fuzzKinds[c.next(len(fuzzKinds))], Time: when}
	if e.Kind == ledger.KindReversal {
		e.Kind = ledger.KindTrade
	}
	if n := c.next(5); n > 0 {
		e.ClientID = fmt.Sprintf("c%d", n)
	}
	for range 1 + c.next(3) {
		asset, x := fuzzAssets[c.next(len(fuzzAssets))], c.amount()
		from, to := fuzzAccounts[c.next(len(fuzzAccounts))], fuzzAccounts[c.next(len(fuzzAccounts))]
		if c.next(3) == 0 {
			y := x.Mul(decimal.New(int64(1+c.next(9)), -1)).Truncate(18) // 10% to 90% of x
			third := fuzzAccounts[c.next(len(fuzzAccounts))]
			if y.IsZero() {
				y, third = x, to
			}
			e.Postings = append(e.Postings, ledger.Posting{Account: third, Asset: asset, Amount: y})
			if rest := x.Sub(y); !rest.IsZero() {
				e.Postings = append(e.Postings, ledger.Posting{Account: to, Asset: asset, Amount: rest})
			}
		} else {
			e.Postings = append(e.Postings, ledger.Posting{Account: to, Asset: asset, Amount: x})
		}
		e.Postings = append(e.Postings, ledger.Posting{Account: from, Asset: asset, Amount: x.Neg()})
	}
	return e
}

// runBook applies the entries the input describes, with reversals and
// repeats among them, and checks the book after each step against the
// postings it accepted and against the identity.
func runBook(t *testing.T, input []byte, m Method) {
	c := &choices{b: input}
	cfg := Default()
	cfg.Method = m
	b := mustBook(t, cfg, Inputs{Pairs: fuzzPairs, History: HistoryFunc(fuzzPrices),
		Attribution: func(cid string) string { return strings.ToUpper(cid) }})
	held := map[accountAsset]decimal.Decimal{} // what the accepted entries posted
	var applied []ledger.Entry
	var prev *Report
	when := at(0)
	for i := 0; i < 40 && c.i < len(c.b); i++ {
		when = when.Add(time.Duration(c.next(7)-1) * time.Hour)
		var e ledger.Entry
		switch op := c.next(10); {
		case op == 0 && len(applied) > 0:
			e = ledger.Reverse(applied[c.next(len(applied))], when, "")
		case op == 1 && len(applied) > 0:
			e = applied[c.next(len(applied))]
		default:
			e = c.entry(i, when)
		}
		probe := e
		if probe.Kind == "mystery" {
			probe.Kind = ledger.KindDeposit // the book ignores the kind, not the postings' checks
		}
		if probe.Validate() != nil {
			continue // one account on both sides of a leg: the ledger refuses it too
		}
		n := b.counts.Applied
		if err := b.Apply(e); err != nil {
			t.Fatalf("step %d: Apply(%s %s): %v", i, e.Kind, e.Key, err)
		}
		if b.counts.Applied > n {
			applied = append(applied, e)
			for _, p := range e.Postings {
				k := accountAsset{p.Account.String(), p.Asset}
				held[k] = held[k].Add(p.Amount)
			}
		}
		r := b.Report(fuzzPrices(when), when)
		checkReport(t, r)
		checkBalances(t, r, held)
		if e.Kind == "mystery" && len(r.Entries.Ignored) == 0 {
			t.Fatalf("step %d: entry of kind mystery not counted as ignored", i)
		}
		if prev != nil {
			if ch, err := Between(*prev, r); err != nil || !ch.Residual.IsZero() {
				t.Fatalf("step %d: Between = %+v, %v; want a zero residual", i, ch, err)
			}
		}
		prev = &r
	}
}

// checkBalances compares the report's balances and quantities with the
// sums of the accepted postings.
func checkBalances(t *testing.T, r Report, held map[accountAsset]decimal.Decimal) {
	t.Helper()
	want := map[accountAsset]decimal.Decimal{}
	qty := map[market.Asset]decimal.Decimal{}
	for k, v := range held {
		if !v.IsZero() {
			want[k] = v
		}
		if c, _, _ := strings.Cut(k.account, ":"); c == "venue" || c == "transit" {
			qty[k.asset] = qty[k.asset].Add(v)
		}
	}
	if len(r.Balances) != len(want) {
		t.Fatalf("%d balances, want %d", len(r.Balances), len(want))
	}
	for _, h := range r.Balances {
		if w := want[accountAsset{h.Account, h.Asset}]; !h.Amount.Equal(w) {
			t.Errorf("balance %s %s = %s, want %s", h.Account, h.Asset, h.Amount, w)
		}
	}
	for _, a := range r.Assets {
		if !a.Quantity.Equal(qty[a.Asset]) {
			t.Errorf("%s quantity %s, want the venue and transit postings' %s", a.Asset, a.Quantity, qty[a.Asset])
		}
	}
}

func FuzzBook(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("opening balances, trades, fees, reversals and repeats"))
	f.Add([]byte{2, 3, 10, 200, 4, 0, 7, 5, 2, 9, 9, 0, 0, 3, 1, 17, 4, 8, 2, 250, 3, 0, 11, 1, 0, 5, 5, 6, 0, 2})
	f.Fuzz(func(t *testing.T, input []byte) {
		runBook(t, input, FIFO)
		runBook(t, input, Average)
	})
}

// TestRandomBooks runs the fuzz body over seeded random inputs, so that
// go test covers more than the seed corpus. The seed is printed.
func TestRandomBooks(t *testing.T) {
	const seed = 20240301
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	for i := range 200 {
		input := make([]byte, 40+rng.IntN(400))
		for j := range input {
			input[j] = byte(rng.UintN(256))
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			runBook(t, input, FIFO)
			runBook(t, input, Average)
		})
	}
}

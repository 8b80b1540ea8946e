package portfolio

import (
	"sort"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// The builders below copy the shapes of the entries the engine posts
// (execution's fills, treasury's movements, inbound's deposits,
// reconciliation's fees, the daemon's opening balances), not their code.

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var (
	btceur  = market.Pair{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"}
	btcusdt = market.Pair{Symbol: "BTCUSDT", Base: "BTC", Quote: "USDT"}
	etheur  = market.Pair{Symbol: "ETHEUR", Base: "ETH", Quote: "EUR"}
)

// at is 2024-03-01 plus h hours, UTC.
func at(h float64) time.Time {
	return time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h * float64(time.Hour)))
}

// opening is the daemon's opening-balance entry: every asset at once.
func opening(key string, t time.Time, amounts map[market.Asset]string) ledger.Entry {
	e := ledger.Entry{Key: key, Kind: ledger.KindOpening, Time: t, Memo: "opening balances"}
	assets := make([]market.Asset, 0, len(amounts))
	for a := range amounts {
		assets = append(assets, a)
	}
	sort.Slice(assets, func(i, j int) bool { return assets[i] < assets[j] })
	for _, a := range assets {
		e.Postings = append(e.Postings,
			ledger.Posting{Account: ledger.VenueAvailable(ledger.Hercle), Asset: a, Amount: d(amounts[a])},
			ledger.Posting{Account: ledger.OpeningBalance(), Asset: a, Amount: d(amounts[a]).Neg()})
	}
	return e
}

// fill is execution's trade entry: size of the base for amount of the
// quote, at Hercle.
func fill(tradeID string, t time.Time, clientID string, p market.Pair, side market.Side, size, amount string) ledger.Entry {
	baseSign, quoteSign := decimal.NewFromInt(1), decimal.NewFromInt(-1)
	if side == market.Sell {
		baseSign, quoteSign = quoteSign, baseSign
	}
	avail, cp := ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle)
	return ledger.Entry{
		Key:      "hercle:trade:" + tradeID,
		Kind:     ledger.KindTrade,
		Time:     t,
		ClientID: clientID,
		Refs:     map[string]string{"trade_id": tradeID, "pair": p.Symbol, "side": string(side)},
		Memo:     "strategy ref",
		Postings: []ledger.Posting{
			{Account: avail, Asset: p.Base, Amount: d(size).Mul(baseSign)},
			{Account: cp, Asset: p.Base, Amount: d(size).Mul(baseSign).Neg()},
			{Account: avail, Asset: p.Quote, Amount: d(amount).Mul(quoteSign)},
			{Account: cp, Asset: p.Quote, Amount: d(amount).Mul(quoteSign).Neg()},
		},
	}
}

// venueFee is reconciliation's fee entry: no Client-Id.
func venueFee(id string, t time.Time, asset market.Asset, amount string) ledger.Entry {
	return ledger.Entry{
		Key: "hercle:fee:" + id, Kind: ledger.KindFee, Time: t,
		Refs: map[string]string{"transaction_id": id},
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(ledger.Hercle), Asset: asset, Amount: d(amount).Neg()},
			{Account: ledger.Fees(ledger.Hercle), Asset: asset, Amount: d(amount)},
		},
	}
}

// sent is treasury's "<cid>:sent": the source's available balance into
// the movement's transit account, naming the destination.
func sent(cid string, t time.Time, kind ledger.Kind, tk ledger.TransitKind, src ledger.Venue, to ledger.Account, asset market.Asset, amount string) ledger.Entry {
	return ledger.Entry{
		Key: ledger.SentKey(cid), Kind: kind, Time: t, ClientID: cid,
		Refs: map[string]string{"policy": "p", "destination": "d", "method": string(tk), ledger.RefTo: to.String()},
		Memo: "treasury p",
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(src), Asset: asset, Amount: d(amount).Neg()},
			{Account: ledger.Transit(tk, cid), Asset: asset, Amount: d(amount)},
		},
	}
}

// settled is treasury's "<cid>:settled": transit to the destination, the
// fee to the source's fees account.
func settled(cid string, t time.Time, tk ledger.TransitKind, src ledger.Venue, to ledger.Account, asset market.Asset, amount, fee string) ledger.Entry {
	ps := []ledger.Posting{{Account: ledger.Transit(tk, cid), Asset: asset, Amount: d(amount).Neg()}}
	if f := d(fee); f.IsPositive() {
		ps = append(ps,
			ledger.Posting{Account: to, Asset: asset, Amount: d(amount).Sub(f)},
			ledger.Posting{Account: ledger.Fees(src), Asset: asset, Amount: f})
	} else {
		ps = append(ps, ledger.Posting{Account: to, Asset: asset, Amount: d(amount)})
	}
	return ledger.Entry{Key: ledger.SettledKey(cid), Kind: ledger.KindWithdrawalSettled, Time: t, ClientID: cid, Postings: ps}
}

// failed is treasury's "<cid>:failed": transit back to the source.
func failed(cid string, t time.Time, tk ledger.TransitKind, src ledger.Venue, asset market.Asset, amount string) ledger.Entry {
	return ledger.Entry{
		Key: ledger.FailedKey(cid), Kind: ledger.KindWithdrawalFailed, Time: t, ClientID: cid,
		Refs: map[string]string{"policy": "p", "source": "treasury"},
		Postings: []ledger.Posting{
			{Account: ledger.Transit(tk, cid), Asset: asset, Amount: d(amount).Neg()},
			{Account: ledger.VenueAvailable(src), Asset: asset, Amount: d(amount)},
		},
	}
}

// deposit is inbound's deposit entry at a venue, from an unknown sender.
func deposit(key string, t time.Time, v ledger.Venue, asset market.Asset, amount string) ledger.Entry {
	return ledger.Entry{
		Key: key, Kind: ledger.KindDeposit, Time: t,
		Refs: map[string]string{"event_id": "ev", "transaction_id": key},
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(v), Asset: asset, Amount: d(amount)},
			{Account: ledger.ExternalUnknown(), Asset: asset, Amount: d(amount).Neg()},
		},
	}
}

// allocation moves amount between a venue's available and allocated
// balances (negative: released).
func allocation(key string, t time.Time, asset market.Asset, amount string) ledger.Entry {
	return ledger.Entry{
		Key: key, Kind: ledger.KindAllocation, Time: t,
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(ledger.Hercle), Asset: asset, Amount: d(amount).Neg()},
			{Account: ledger.VenueAllocated(ledger.Hercle), Asset: asset, Amount: d(amount)},
		},
	}
}

// schedule is a History of price snapshots taking effect at given times:
// At returns the last snapshot at or before t.
type schedule []struct {
	from   time.Time
	prices Prices
}

func (s schedule) At(t time.Time) PriceSource {
	var p Prices
	for _, x := range s {
		if !x.from.After(t) {
			p = x.prices
		}
	}
	return p
}

// mids builds Prices from mid prices, bid = ask = mid.
func mids(kv ...string) Prices {
	p := Prices{}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = Quote{Bid: d(kv[i+1]), Ask: d(kv[i+1])}
	}
	return p
}

func mustBook(t testing.TB, cfg Config, in Inputs) *Book {
	t.Helper()
	b, err := New(cfg, in)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func mustApply(t testing.TB, b *Book, es ...ledger.Entry) {
	t.Helper()
	for _, e := range es {
		if err := b.Apply(e); err != nil {
			t.Fatalf("Apply(%s): %v", e.Key, err)
		}
	}
}

func assetOf(r Report, a market.Asset) AssetReport {
	for _, x := range r.Assets {
		if x.Asset == a {
			return x
		}
	}
	return AssetReport{Asset: a}
}

func keyOf(r Report, k string) KeyPnL {
	for _, x := range r.ByKey {
		if x.Key == k {
			return x
		}
	}
	return KeyPnL{Key: k}
}

func dayOf(r Report, day string) DayPnL {
	for _, x := range r.ByDay {
		if x.Day == day {
			return x
		}
	}
	return DayPnL{Day: day}
}

// eq fails the test unless got equals want (a decimal string).
func eq(t testing.TB, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(d(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

package pnl

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/portfolio"
)

var (
	btceur  = market.Pair{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"}
	btcusdt = market.Pair{Symbol: "BTCUSDT", Base: "BTC", Quote: "USDT"}
	t0      = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func hour(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

func openStore(t *testing.T) *ledger.Store {
	t.Helper()
	s, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func post(t *testing.T, s *ledger.Store, es ...ledger.Entry) {
	t.Helper()
	for _, e := range es {
		if _, _, err := s.Post(context.Background(), e); err != nil {
			t.Fatalf("Post(%s) = %v", e.Key, err)
		}
	}
}

var avail, cp = ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle)

func opening(at time.Time, asset market.Asset, amount string) ledger.Entry {
	return ledger.Entry{Key: "opening:" + string(asset), Kind: ledger.KindOpening, Time: at, Postings: []ledger.Posting{
		{Account: avail, Asset: asset, Amount: d(amount)},
		{Account: ledger.OpeningBalance(), Asset: asset, Amount: d(amount).Neg()},
	}}
}

// trade is a fill as execution posts it: size of the base for amount of
// the quote.
func trade(id string, at time.Time, cid string, p market.Pair, side market.Side, size, amount string) ledger.Entry {
	b, q := d(size), d(amount).Neg()
	if side == market.Sell {
		b, q = b.Neg(), q.Neg()
	}
	return ledger.Entry{Key: ledger.TradeKey(id), Kind: ledger.KindTrade, Time: at, ClientID: cid,
		Refs: map[string]string{"trade_id": id, "pair": p.Symbol, "side": string(side)},
		Postings: []ledger.Posting{
			{Account: avail, Asset: p.Base, Amount: b}, {Account: cp, Asset: p.Base, Amount: b.Neg()},
			{Account: avail, Asset: p.Quote, Amount: q}, {Account: cp, Asset: p.Quote, Amount: q.Neg()},
		}}
}

func fee(key string, at time.Time, asset market.Asset, amount string) ledger.Entry {
	return ledger.Entry{Key: key, Kind: ledger.KindFee, Time: at, Postings: []ledger.Posting{
		{Account: avail, Asset: asset, Amount: d(amount).Neg()},
		{Account: ledger.Fees(ledger.Hercle), Asset: asset, Amount: d(amount)},
	}}
}

// order records an order intent of strategy under cid, as execution does.
func order(t *testing.T, s *ledger.Store, cid, strategy string) {
	t.Helper()
	_, _, err := s.CreateIntent(context.Background(), ledger.Intent{ClientID: cid, Kind: ledger.IntentOrder, Venue: ledger.Hercle,
		Request: []byte(`{"strategy":"` + strategy + `","pair":"BTCEUR","side":"buy","size":"1","amount":"0","path":"otc"}`)})
	if err != nil {
		t.Fatal(err)
	}
}

func config(m portfolio.Method) portfolio.Config {
	c := portfolio.Default()
	c.Method = m
	return c
}

func eq(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(d(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func keyOf(r portfolio.Report, k string) portfolio.KeyPnL {
	for _, x := range r.ByKey {
		if x.Key == k {
			return x
		}
	}
	return portfolio.KeyPnL{}
}

package trader

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// openBooks returns a ledger holding balances at Hercle, as opening
// balances.
func openBooks(t testing.TB, balances map[market.Asset]decimal.Decimal) *ledger.Store {
	t.Helper()
	s, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	post(t, s, opening("open", ledger.Hercle, balances))
	return s
}

func opening(key string, v ledger.Venue, balances map[market.Asset]decimal.Decimal) ledger.Entry {
	e := ledger.Entry{Key: key, Kind: ledger.KindOpening}
	assets := make([]market.Asset, 0, len(balances))
	for a := range balances {
		assets = append(assets, a)
	}
	sort.Slice(assets, func(i, j int) bool { return assets[i] < assets[j] })
	for _, a := range assets {
		e.Postings = append(e.Postings,
			ledger.Posting{Account: ledger.VenueAvailable(v), Asset: a, Amount: balances[a]},
			ledger.Posting{Account: ledger.OpeningBalance(), Asset: a, Amount: balances[a].Neg()})
	}
	return e
}

func post(t testing.TB, s *ledger.Store, e ledger.Entry) {
	t.Helper()
	if len(e.Postings) == 0 {
		return
	}
	if _, _, err := s.Post(context.Background(), e); err != nil {
		t.Fatalf("post %s: %v", e.Key, err)
	}
}

// fillAtTick is an in-process venue model: it fills every trade at price
// and posts the fill to the ledger, as execution does; movements it
// records as sent. It reports each intent on seen.
type fillAtTick struct {
	price decimal.Decimal
	seen  chan strategy.Intent
	store *ledger.Store
	pairs map[string]market.Pair
}

func (f *fillAtTick) Execute(ctx context.Context, in strategy.Intent) execution.Result {
	if f.seen != nil {
		f.seen <- in
	}
	size := in.Size
	if size.IsZero() {
		size = in.Amount.DivRound(f.price, 8)
	}
	amount := size.Mul(f.price)
	if f.store != nil {
		p := f.pairs[in.Pair]
		sign := decimal.NewFromInt(1)
		if in.Side == market.Sell {
			sign = sign.Neg()
		}
		avail, cp := ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle)
		if _, _, err := f.store.Post(context.WithoutCancel(ctx), ledger.Entry{Key: ledger.TradeKey("t-" + in.ID), Kind: ledger.KindTrade, ClientID: in.ID, Postings: []ledger.Posting{
			{Account: avail, Asset: p.Base, Amount: size.Mul(sign)}, {Account: cp, Asset: p.Base, Amount: size.Mul(sign).Neg()},
			{Account: avail, Asset: p.Quote, Amount: amount.Mul(sign).Neg()}, {Account: cp, Asset: p.Quote, Amount: amount.Mul(sign)},
		}}); err != nil {
			return execution.Result{Intent: in, Status: execution.Unresolved, Detail: err.Error()}
		}
	}
	return execution.Result{Intent: in, Status: execution.Filled, TradeID: "t-" + in.ID, Size: size, Amount: amount, Price: f.price}
}

func (f *fillAtTick) Move(ctx context.Context, m execution.Movement) execution.Result {
	if f.store != nil {
		if _, _, err := f.store.Post(ctx, m.SentEntry()); err != nil {
			return execution.Result{Movement: m, Status: execution.Failed, Detail: err.Error()}
		}
	}
	return execution.Result{Movement: m, Status: execution.Sent}
}

// loaded builds a loop over books and loads it.
func loaded(t testing.TB, o Options) *Loop {
	t.Helper()
	l, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// TestBalancesFollowTheLedger: whatever posts to the ledger (a deposit, a
// movement sent, an adjustment, a fill by another path), the loop's view
// has it before the next event is handled, with no tally of its own; a
// movement of another venue does not touch Hercle's.
func TestBalancesFollowTheLedger(t *testing.T) {
	store := openBooks(t, map[market.Asset]decimal.Decimal{"EUR": d("1000"), "BTC": d("1")})
	post(t, store, opening("open-hp", ledger.Heropayments, map[market.Asset]decimal.Decimal{"USDT": d("500")}))
	clk := clock.NewManual(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	rk, _ := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	l := loaded(t, Options{Risk: rk, Exec: &fillAtTick{}, Clock: clk.Clock(), Books: store, NewID: func() (string, error) { return "x", nil }})
	check := func(what string, asset market.Asset, want string) {
		t.Helper()
		l.process(context.Background(), timerEvent{}) // any event
		if got := l.state.Balances[asset].Total; !got.Equal(d(want)) {
			t.Errorf("after %s: %s total = %s, want %s", what, asset, got, want)
		}
		if got := l.state.Balances[asset].Available; !got.Equal(d(want)) {
			t.Errorf("after %s: %s available = %s, want %s", what, asset, got, want)
		}
	}
	check("load", "EUR", "1000")
	post(t, store, ledger.Entry{Key: "hercle:deposit:1", Kind: ledger.KindDeposit, Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "EUR", Amount: d("250")}, {Account: ledger.ExternalUnknown(), Asset: "EUR", Amount: d("-250")}}})
	check("a deposit", "EUR", "1250")
	m := execution.Movement{ID: "W1", Origin: "treasury", Policy: "p", Method: execution.MethodWithdrawal, Destination: "cold",
		Account: "external:unknown", Source: ledger.Hercle, Asset: "BTC", Amount: d("0.4")}
	post(t, store, m.SentEntry())
	check("a withdrawal sent", "BTC", "0.6")
	post(t, store, ledger.Entry{Key: ledger.FailedKey("W1"), Kind: ledger.KindWithdrawalFailed, Postings: []ledger.Posting{
		{Account: m.Transit(), Asset: "BTC", Amount: d("-0.4")}, {Account: ledger.VenueAvailable(ledger.Hercle), Asset: "BTC", Amount: d("0.4")}}})
	check("a withdrawal failed", "BTC", "1")
	post(t, store, ledger.Entry{Key: "adj", Kind: ledger.KindAdjustment, Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "EUR", Amount: d("-50")}, {Account: ledger.Adjustment(), Asset: "EUR", Amount: d("50")}}})
	check("an adjustment", "EUR", "1200")
	post(t, store, ledger.Entry{Key: "allocate", Kind: ledger.KindAllocation, Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "EUR", Amount: d("-200")}, {Account: ledger.VenueAllocated(ledger.Hercle), Asset: "EUR", Amount: d("200")}}})
	l.process(context.Background(), timerEvent{})
	if b := l.state.Balances["EUR"]; !b.Total.Equal(d("1200")) || !b.Available.Equal(d("1000")) {
		t.Errorf("after an allocation EUR = %+v, want total 1200, available 1000", b)
	}
	if got := l.venueView(ledger.Heropayments).Available("USDT"); !got.Equal(d("500")) {
		t.Errorf("Heropayments USDT available = %s, want 500", got)
	}
	if _, ok := l.state.Balances["USDT"]; ok {
		t.Errorf("Heropayments' USDT shows in Hercle's balances: %v", l.state.Balances)
	}
}

// A movement submitted to the loop passes risk's transfer check against
// the source's balance, holds it until its result, and is answered.
func TestMoveThroughTheLoop(t *testing.T) {
	store := openBooks(t, map[market.Asset]decimal.Decimal{"BTC": d("1")})
	clk := clock.NewManual(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	limits := risk.DefaultLimits()
	limits.Reference = "BTC"
	limits.Transfers.MaxDaily = tomlval.Dec(d("10"))
	limits.Transfers.Destinations = map[string]tomlval.Decimal{"cold": tomlval.Dec(d("10"))}
	rk, _ := risk.New(limits, risk.Options{Counters: &risk.MemoryCounters{}})
	n := 0
	l := loaded(t, Options{Risk: rk, Exec: &fillAtTick{store: store}, Clock: clk.Clock(), Books: store, Inline: true,
		NewID: func() (string, error) { n++; return "W" + string(rune('0'+n)), nil }})
	move := func(amount string) execution.Result {
		return l.StepMove(context.Background(), execution.Movement{Origin: "treasury", Policy: "p", Method: execution.MethodWithdrawal,
			Destination: "cold", Account: "external:unknown", Source: ledger.Hercle, Asset: "BTC", Amount: d(amount)})
	}
	if r := move("0.7"); r.Status != execution.Sent || r.Movement.ID != "W1" {
		t.Fatalf("first movement: %v %s (%s)", r.Status, r.Movement.ID, r.Detail)
	}
	// The ledger's transit entry took 0.7: 0.3 is left, so 0.5 is refused.
	if r := move("0.5"); r.Status != execution.Rejected {
		t.Fatalf("a movement over the balance left: %v (%s), want rejected", r.Status, r.Detail)
	}
	if got := l.state.Balances["BTC"].Available; !got.Equal(d("0.3")) {
		t.Errorf("BTC available = %s, want 0.3", got)
	}
	if len(l.open) != 0 {
		t.Errorf("holds left after the result: %v", l.open)
	}
}

package trader

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// A sell by quote amount may spend base up to the amount at the sell price
// less its slippage: that is what risk approved it for, so that is what it
// must hold. Holding less shows the next intent more base than is really
// free, and both together can break the minimum balance.
func TestSellByAmountHoldsItsWorstCase(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	threshold := func(name string, size, amount string) strategy.Strategy {
		p := strategy.DefaultThresholdParams() // 0.5% slippage
		p.Pair, p.Side, p.Order, p.Path = "BTCEUR", market.Sell, "limit", strategy.OTC
		p.Price = tomlval.Dec(d("50000"))
		p.Size, p.Amount = tomlval.Dec(d(size)), tomlval.Dec(d(amount))
		s, err := strategy.NewThreshold(name, p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// At a sell price of 59990 and 0.5% slippage, 9000 EUR may take
	// 9000 / (59990 × 0.995) = 0.150779 BTC. With 1.5 BTC and 1 BTC to
	// keep, 0.3496 BTC more would leave 0.99962.
	byAmount := threshold("by-amount", "0", "9000")
	bySize := threshold("by-size", "0.3496", "0")
	limits := risk.DefaultLimits()
	limits.MaxOrderNotional = tomlval.Dec(d("100000"))
	limits.Assets = map[string]risk.AssetLimits{"BTC": {MinBalance: tomlval.Dec(d("1"))}}
	rk, err := risk.New(limits, risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	l, err := New(Options{
		Strategies: []strategy.Strategy{byAmount, bySize}, Risk: rk, Exec: &fillAtTick{}, Clock: clk.Clock(), MaxAge: 5 * time.Second,
		Pairs: []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR", MinSize: d("0.0001"), MaxSize: d("10")}},
		Books: openBooks(t, map[market.Asset]decimal.Decimal{"BTC": d("1.5")}),
		NewID: func() (string, error) { n++; return fmt.Sprintf("cid-%d", n), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	l.process(context.Background(), tickEvent{market.Tick{Pair: "BTCEUR", Size: d("0.1"), BuyPrice: d("60010"), SellPrice: d("59990"), Time: now, Received: now}})
	if len(l.dispatch) != 1 || l.dispatch[0].trade.Strategy != "by-amount" {
		t.Fatalf("approved %v, want only the sell by amount: both together may leave less than the minimum BTC", l.dispatch)
	}
	want := d("9000").DivRound(d("59990").Mul(d("0.995")), 18)
	if got := l.state.Balances["BTC"].Available; !got.Equal(d("1.5").Sub(want)) {
		t.Errorf("BTC available = %s, want 1.5 - %s", got, want)
	}
}

// An OTC buy by quote amount holds the amount plus its slippage, as risk
// approved it for; an RFQ by amount holds the amount.
func TestBuyByAmountHoldsWhatRiskApproved(t *testing.T) {
	for _, tt := range []struct {
		path strategy.Path
		want string
	}{{strategy.OTC, "90955"}, {strategy.RFQ, "91000"}} {
		clk := clock.NewManual(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
		p := strategy.DefaultThresholdParams() // 0.5% slippage
		p.Pair, p.Side, p.Order, p.Path = "BTCEUR", market.Buy, "limit", tt.path
		p.Price, p.Amount = tomlval.Dec(d("70000")), tomlval.Dec(d("9000"))
		th, err := strategy.NewThreshold("buy", p)
		if err != nil {
			t.Fatal(err)
		}
		rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
		if err != nil {
			t.Fatal(err)
		}
		l, err := New(Options{
			Strategies: []strategy.Strategy{th}, Risk: rk, Exec: &fillAtTick{}, Clock: clk.Clock(), MaxAge: 5 * time.Second,
			Pairs: []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR", MinSize: d("0.0001"), MaxSize: d("10")}},
			Books: openBooks(t, map[market.Asset]decimal.Decimal{"EUR": d("100000")}),
			NewID: func() (string, error) { return "cid-1", nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		l.process(context.Background(), tickEvent{market.Tick{Pair: "BTCEUR", Size: d("0.1"), BuyPrice: d("60010"), SellPrice: d("59990"), Time: now, Received: now}})
		if len(l.dispatch) != 1 {
			t.Fatalf("%s: approved %v", tt.path, l.dispatch)
		}
		if got := l.state.Balances["EUR"].Available; !got.Equal(d(tt.want)) {
			t.Errorf("%s: EUR available = %s, want %s", tt.path, got, tt.want)
		}
	}
}

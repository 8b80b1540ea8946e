package backtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/market"
)

// tape is a prices source over a fixed list of ticks.
type tape struct {
	at    time.Time
	ticks []market.Tick
}

func (p *tape) now() time.Time { return p.at }

func (p *tape) priceAt(pair string, at time.Time) (market.Tick, bool) {
	var last market.Tick
	ok := false
	for _, t := range p.ticks {
		if t.Pair == pair && !t.Received.After(at) {
			last, ok = t, true
		}
	}
	return last, ok
}

var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func btcTick(at time.Duration, buy, sell string) market.Tick {
	return market.Tick{Pair: "BTCEUR", Size: d("0.0001"), BuyPrice: d(buy), SellPrice: d(sell), Time: t0.Add(at), Received: t0.Add(at)}
}

func newTestVenue(m VenueModel) (*venue, *tape) {
	px := &tape{at: t0, ticks: []market.Tick{
		btcTick(0, "50010", "49990"),
		btcTick(100*time.Millisecond, "50110", "50090"), // +0.2%
		btcTick(time.Second, "51010", "50990"),          // +2%
	}}
	pair := market.Pair{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR", MinSize: d("0.001"), MaxSize: d("2"), MinQuoteSize: d("15"), MaxQuoteSize: d("60000")}
	return newVenue(m, px, map[string]market.Pair{"BTCEUR": pair}, map[market.Asset]decimal.Decimal{"EUR": d("100000"), "BTC": d("1")}), px
}

func order(t *testing.T, v *venue, side market.Side, size, slippage string) (hercle.Execution, error) {
	t.Helper()
	q, err := v.Price(context.Background(), "BTCEUR", d(size))
	if err != nil {
		return hercle.Execution{}, err
	}
	ex, _, err := v.PlaceOrder(context.Background(), hercle.OrderRequest{PriceID: q.ID, Side: side, Slippage: hercle.N(d(slippage))}, "cid")
	return ex, err
}

func refusedWith(t *testing.T, v *venue, err error, reason string) {
	t.Helper()
	var api *hercle.APIError
	if !errors.As(err, &api) || api.Code != reason || !errors.Is(err, hercle.ErrBadRequest) {
		t.Fatalf("err = %v, want a definitive refusal %q", err, reason)
	}
	if v.refusals[reason] != 1 {
		t.Fatalf("refusals = %v, want one %s", v.refusals, reason)
	}
}

func TestVenueOTC(t *testing.T) {
	cases := []struct {
		name       string
		m          VenueModel
		side       market.Side
		price, fee string
		amount     string // what the quote leg moves
	}{
		{"buy at the recorded ask", VenueModel{}, market.Buy, "50010", "0", "5001"},
		{"sell at the recorded bid", VenueModel{}, market.Sell, "49990", "0", "4999"},
		{"latency meets a later price", VenueModel{Latency: 100 * time.Millisecond}, market.Buy, "50110", "0", "5011"},
		{"slippage against a buy", VenueModel{SlippageBps: d("10")}, market.Buy, "50060.01", "0", "5006.001"},
		{"slippage against a sell", VenueModel{SlippageBps: d("10")}, market.Sell, "49940.01", "0", "4994.001"},
		{"fee on a buy is paid on top", VenueModel{FeeBps: d("5")}, market.Buy, "50010", "2.5005", "5003.5005"},
		{"fee on a sell is kept back", VenueModel{FeeBps: d("5")}, market.Sell, "49990", "2.4995", "4996.5005"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, _ := newTestVenue(c.m)
			ex, err := order(t, v, c.side, "0.1", "0.5")
			if err != nil {
				t.Fatal(err)
			}
			if ex.Status != hercle.OrderExecuted || !ex.Price.Equal(d(c.price)) || !ex.Notional.Equal(d(c.amount)) || !ex.Size.Equal(d("0.1")) {
				t.Fatalf("execution = %+v, want 0.1 at %s moving %s", ex, c.price, c.amount)
			}
			f, ok := v.take(ex.TradeID)
			if !ok || !f.fee.Equal(d(c.fee)) || !f.at.Equal(t0.Add(c.m.Latency)) {
				t.Fatalf("fill = %+v, want fee %s at %s", f, c.fee, t0.Add(c.m.Latency))
			}
			eur, btc := d("100000").Sub(d(c.amount)), d("1.1")
			if c.side == market.Sell {
				eur, btc = d("100000").Add(d(c.amount)), d("0.9")
			}
			if !v.balances["EUR"].Equal(eur) || !v.balances["BTC"].Equal(btc) {
				t.Fatalf("balances = %v, want EUR %s BTC %s", v.balances, eur, btc)
			}
		})
	}
}

// An order meeting a price further than its slippage allows is cancelled
// and moves nothing, as at the venue.
func TestVenueOTCPriceMoved(t *testing.T) {
	v, _ := newTestVenue(VenueModel{Latency: time.Second}) // +2% by then
	ex, err := order(t, v, market.Buy, "0.1", "0.5")
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != hercle.OrderCancelled || ex.StatusError == "" {
		t.Fatalf("execution = %+v, want cancelled for slippage", ex)
	}
	if v.refusals[refusedMoved] != 1 || !v.balances["EUR"].Equal(d("100000")) {
		t.Fatalf("refusals %v, balances %v: want one price_moved and nothing moved", v.refusals, v.balances)
	}
	ex, err = order(t, v, market.Buy, "0.1", "3")
	if err != nil || ex.Status != hercle.OrderExecuted || !ex.Price.Equal(d("51010")) {
		t.Fatalf("with 3%% slippage allowed: %+v, %v, want a fill at 51010", ex, err)
	}
}

func TestVenueRFQ(t *testing.T) {
	ctx := context.Background()
	v, _ := newTestVenue(VenueModel{RFQMarkupBps: d("20"), RFQExpiry: 10 * time.Second, FeeBps: d("1")})
	q, err := v.CreateRFQ(ctx, hercle.RFQRequest{Pair: "BTCEUR", Side: market.Buy, Size: hercle.N(d("0.2"))})
	if err != nil {
		t.Fatal(err)
	}
	if !q.Price.Equal(d("50110.02")) || !q.ExpireDateTime.Time.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("quote = %+v, want 50010 + 20 bp = 50110.02 expiring in 10 s", q)
	}
	ex, _, err := v.AcceptRFQ(ctx, q.RequestForQuoteID, "cid")
	if err != nil || !ex.Price.Equal(d("50110.02")) || !ex.Notional.Equal(d("10022.004").Add(d("1.0022004"))) {
		t.Fatalf("accept = %+v, %v: want a fill at the quoted price, fee on top", ex, err)
	}
	if _, _, err := v.AcceptRFQ(ctx, q.RequestForQuoteID, "cid2"); err == nil {
		t.Fatal("an RFQ was accepted twice")
	}

	// Sized by amount, sell side.
	q, err = v.CreateRFQ(ctx, hercle.RFQRequest{Pair: "BTCEUR", Side: market.Sell, Amount: hercle.N(d("1000"))})
	if err != nil || !q.Price.Equal(d("49890.02")) || !q.Size.Equal(d("0.02004408")) {
		t.Fatalf("quote by amount = %+v, %v, want 49990 - 20 bp = 49890.02 for 0.02004408", q, err)
	}
}

// An accept that reaches the venue at or after the quote's expiry fails.
func TestVenueRFQExpiry(t *testing.T) {
	ctx := context.Background()
	v, _ := newTestVenue(VenueModel{RFQExpiry: time.Second, Latency: time.Second})
	q, err := v.CreateRFQ(ctx, hercle.RFQRequest{Pair: "BTCEUR", Side: market.Buy, Size: hercle.N(d("0.1"))})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = v.AcceptRFQ(ctx, q.RequestForQuoteID, "cid")
	refusedWith(t, v, err, refusedExpired)
	if !v.balances["EUR"].Equal(d("100000")) {
		t.Fatalf("an expired RFQ moved money: %v", v.balances)
	}
}

func TestVenuePairLimits(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		call func(v *venue) error
	}{
		{"price below min size", func(v *venue) error { _, err := v.Price(ctx, "BTCEUR", d("0.0005")); return err }},
		{"price above max size", func(v *venue) error { _, err := v.Price(ctx, "BTCEUR", d("3")); return err }},
		{"price above max quote size", func(v *venue) error { _, err := v.Price(ctx, "BTCEUR", d("1.5")); return err }},
		{"RFQ above max size", func(v *venue) error {
			_, err := v.CreateRFQ(ctx, hercle.RFQRequest{Pair: "BTCEUR", Side: market.Buy, Size: hercle.N(d("2.5"))})
			return err
		}},
		{"size by amount below min quote size", func(v *venue) error {
			_, err := v.PairSizeByAmount(ctx, "BTCEUR", market.Buy, d("10"))
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, _ := newTestVenue(VenueModel{})
			refusedWith(t, v, c.call(v), refusedPairSize)
		})
	}
}

func TestVenueRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("insufficient funds", func(t *testing.T) {
		v, _ := newTestVenue(VenueModel{})
		_, err := order(t, v, market.Sell, "1.1", "0.5") // 1 BTC held
		refusedWith(t, v, err, refusedFunds)
		if !v.balances["BTC"].Equal(d("1")) {
			t.Fatalf("a refused sell moved BTC: %v", v.balances)
		}
	})
	t.Run("unknown pair", func(t *testing.T) {
		v, _ := newTestVenue(VenueModel{})
		_, err := v.Price(ctx, "DOGEEUR", d("1"))
		refusedWith(t, v, err, refusedUnknown)
	})
	t.Run("no price yet", func(t *testing.T) {
		v, px := newTestVenue(VenueModel{})
		px.at = t0.Add(-time.Second)
		_, err := v.Price(ctx, "BTCEUR", d("0.1"))
		refusedWith(t, v, err, refusedNoPrice)
	})
	t.Run("unknown quote", func(t *testing.T) {
		v, _ := newTestVenue(VenueModel{})
		_, _, err := v.PlaceOrder(ctx, hercle.OrderRequest{PriceID: "nope", Side: market.Buy}, "cid")
		refusedWith(t, v, err, refusedNotFound)
	})
}

// Lookups by Client-Id find recent fills, so execution's recovery path
// works against the model too.
func TestVenueLookups(t *testing.T) {
	v, _ := newTestVenue(VenueModel{})
	ex, err := order(t, v, market.Buy, "0.1", "0.5")
	if err != nil {
		t.Fatal(err)
	}
	trades, _ := v.TradesByClientID(context.Background(), "cid")
	orders, _ := v.OrdersByClientID(context.Background(), "cid")
	if len(trades) != 1 || trades[0].ID != ex.TradeID || len(orders) != 1 || orders[0].OrderStatus != hercle.OrderExecuted {
		t.Fatalf("lookups = %+v / %+v, want the one fill", trades, orders)
	}
	if other, _ := v.TradesByClientID(context.Background(), "other"); len(other) != 0 {
		t.Fatalf("lookup of another Client-Id = %+v", other)
	}
}

// An order that reaches the venue (decision plus latency) when its price
// quote has expired is refused, as Hercle (and the simulator) refuse it,
// and nothing moves.
func TestVenueOTCQuoteExpired(t *testing.T) {
	v, _ := newTestVenue(VenueModel{Latency: quoteTTL})
	_, err := order(t, v, market.Buy, "0.1", "100")
	refusedWith(t, v, err, refusedQuoteExpired)
	if !v.balances["EUR"].Equal(d("100000")) || !v.balances["BTC"].Equal(d("1")) {
		t.Fatalf("an order on an expired quote moved money: %v", v.balances)
	}
}

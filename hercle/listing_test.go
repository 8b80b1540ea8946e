package hercle_test

import (
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// TestListingKeepsSubSecondBounds: a listing whose range ends a fraction
// of a second after a trade must return it. Dates travel in the path; a
// bound cut to whole seconds moves the end of the range before the trade
// and the listing silently drops it.
func TestListingKeepsSubSecondBounds(t *testing.T) {
	_, c, clk := startSim(t, sim.Options{Seed: seed})
	ctx := t.Context()
	start := clk.Now()
	clk.Advance(300 * time.Millisecond)
	q, err := c.Price(ctx, "BTCUSDT", d("0.01"))
	if err != nil {
		t.Fatal(err)
	}
	ex, _, err := c.PlaceOrder(ctx, hercle.OrderRequest{PriceID: q.ID, Side: market.Buy, Slippage: hercle.MustNumber("1")}, "")
	if err != nil || ex.Status != hercle.OrderExecuted {
		t.Fatalf("PlaceOrder = %+v, %v", ex, err)
	}
	to := clk.Now().Add(200 * time.Millisecond) // the trade is at start+300ms, inside [start, to]
	page := hercle.PageQuery{From: start, To: to, PageSize: 5}
	for name, seq := range map[string]func(func(hercle.Trade, error) bool){
		"Trades":           c.Trades(ctx, page),
		"HistoricalTrades": c.HistoricalTrades(ctx, page),
	} {
		if got := collect(t, name, seq); len(got) != 1 || got[0].ID != ex.TradeID {
			t.Errorf("%s(%s .. %s) = %d trades, want the trade %s", name, start.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), len(got), ex.TradeID)
		}
	}
	if got := collect(t, "Orders", c.Orders(ctx, page)); len(got) != 1 {
		t.Errorf("Orders = %d, want 1", len(got))
	}
	if got := collect(t, "Transactions", c.Transactions(ctx, page)); len(got) != 2 {
		t.Errorf("Transactions = %d, want 2", len(got))
	}
}

package strategy

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

// TestTWAPRestoreAfterRestart: a TWAP restarted halfway through its plan
// sends only what is left, not the whole total again.
func TestTWAPRestoreAfterRestart(t *testing.T) {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	p := DefaultTWAPParams()
	p.Pair, p.Side, p.Size, p.Start, p.Period, p.Every = "BTCEUR", "buy", tomlval.Dec(decimal.NewFromInt(10)), start, tomlval.Dur(10*time.Hour), tomlval.Dur(time.Hour)
	tw, err := NewTWAP("t", p)
	if err != nil {
		t.Fatal(err)
	}
	// Five slices of 1 filled before the restart; one from an older plan.
	for i := range 5 {
		tw.Restore(Outcome{Intent: Intent{Strategy: "t", Size: decimal.NewFromInt(1)}, Status: Filled, Time: start.Add(time.Duration(i) * time.Hour)})
	}
	tw.Restore(Outcome{Intent: Intent{Strategy: "t", Size: decimal.NewFromInt(7)}, Status: Filled, Time: start.Add(-time.Hour)})
	if !tw.Filled().Equal(decimal.NewFromInt(5)) {
		t.Fatalf("filled after restore = %s, want 5", tw.Filled())
	}
	now := start.Add(5*time.Hour + time.Minute)
	v := newState().pair("BTCEUR", "BTC", "EUR", "0.0001", "100").price("BTCEUR", "55000", "54900").bal("EUR", "10000000", "10000000")
	v.Clock = now
	v.Ticks["BTCEUR"] = marketTick(now)
	d := tw.Handle(v, Timer{Due: now})
	total := decimal.Zero
	for _, in := range d.Intents {
		total = total.Add(in.Size)
	}
	// 5 left over the remaining activations: one slice of 1, not 2.
	if !total.Equal(decimal.NewFromInt(1)) {
		t.Fatalf("slice after restart = %s (%v), want 1", total, d)
	}
}

func marketTick(at time.Time) market.Tick {
	return market.Tick{Pair: "BTCEUR", BuyPrice: d("55000"), SellPrice: d("54900"), Time: at, Received: at}
}

// TestTWAPRestoreCountsFillsAfterThePeriod: a slice sent after the period
// ended (activations continue until the total is done) and filled before a
// restart is counted again after it; otherwise the restarted TWAP would
// send it a second time and trade more than its total.
func TestTWAPRestoreCountsFillsAfterThePeriod(t *testing.T) {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	p := DefaultTWAPParams()
	p.Pair, p.Side, p.Size, p.Start, p.Period, p.Every = "BTCEUR", "buy", tomlval.Dec(decimal.NewFromInt(10)), start, tomlval.Dur(10*time.Hour), tomlval.Dur(time.Hour)
	tw, err := NewTWAP("t", p)
	if err != nil {
		t.Fatal(err)
	}
	// Nine slices in the period, the tenth (a failed slice resent) one
	// hour after it ended.
	for i := range 9 {
		tw.Restore(Outcome{Intent: Intent{Strategy: "t", Size: decimal.NewFromInt(1)}, Status: Filled, Time: start.Add(time.Duration(i) * time.Hour)})
	}
	tw.Restore(Outcome{Intent: Intent{Strategy: "t", Size: decimal.NewFromInt(1)}, Status: Filled, Time: start.Add(11 * time.Hour)})
	if !tw.Done() {
		t.Fatalf("Done() after restoring all 10 = false (filled %s)", tw.Filled())
	}
	now := start.Add(12*time.Hour + time.Minute)
	v := newState().pair("BTCEUR", "BTC", "EUR", "0.0001", "100").bal("EUR", "10000000", "10000000")
	v.Clock = now
	v.Ticks["BTCEUR"] = marketTick(now)
	if next := tw.NextTimer(now); !next.IsZero() {
		t.Errorf("NextTimer after restoring the whole total = %v, want zero", next)
	}
	if got := tw.Handle(v, Timer{Due: now}); len(got.Intents) != 0 {
		t.Fatalf("restarted TWAP sent %s more after its total filled: %v", sumQty(got.Intents), got.Intents)
	}
}

// TestNoTradeOnATickWithoutPrice: a tick that carries no price (zero buy
// or sell, as a feed sends for a halted pair) is a missing price: TWAP and
// autoconvert wait instead of proposing a trade they cannot value.
func TestNoTradeOnATickWithoutPrice(t *testing.T) {
	tw, err := NewTWAP("t", twapParams("1", 2*time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s := newState().pair("BTCEUR", "BTC", "EUR", "", "").price("BTCEUR", "0", "0")
	if dec := tw.Handle(s, Timer{Due: t0}); len(dec.Intents) != 0 {
		t.Errorf("TWAP on a tick without price: intents %v, want none", dec.Intents)
	}

	a := autoconvert(t, "0")
	s = usdtEUR().price("USDTEUR", "0.93", "0")
	if dec := a.Handle(s, deposit("100")); len(dec.Intents) != 0 {
		t.Errorf("autoconvert on a tick without price: intents %v, want none", dec.Intents)
	}
}

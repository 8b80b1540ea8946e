package strategy

import (
	"testing"
	"time"

	"github.com/otcdesk/engine/market"
)

func autoconvert(t *testing.T, minimum string) *Autoconvert {
	t.Helper()
	p := DefaultAutoconvertParams()
	p.From, p.To, p.Min = "USDT", "EUR", dp(minimum)
	a, err := NewAutoconvert("ac", p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func usdtEUR() *State {
	return newState().pair("USDTEUR", "USDT", "EUR", "", "").price("USDTEUR", "0.93", "0.92").bal("USDT", "1000", "1000")
}

func deposit(amount string) Deposit {
	return Deposit{ID: "dep-" + amount, Asset: "USDT", Amount: d(amount), Time: t0}
}

func one(t *testing.T, dec Decision, side market.Side, size, amount string) Intent {
	t.Helper()
	if len(dec.Intents) != 1 {
		t.Fatalf("intents = %v (skips %v), want one", dec.Intents, dec.Skips)
	}
	in := dec.Intents[0]
	if in.Side != side || !in.Size.Equal(d(size)) || !in.Amount.Equal(d(amount)) || in.Validate() != nil {
		t.Fatalf("intent = %+v, want %s size %s amount %s", in, side, size, amount)
	}
	return in
}

func none(t *testing.T, dec Decision, skip string) {
	t.Helper()
	if len(dec.Intents) != 0 {
		t.Fatalf("intents = %v, want none", dec.Intents)
	}
	if skip != "" {
		checkSkip(t, dec.Skips, skip)
	}
}

func TestAutoconvertAccumulatesBelowMinimum(t *testing.T) {
	a, s := autoconvert(t, "50"), usdtEUR()
	none(t, a.Handle(s, deposit("30")), "accumulating: 30 USDT pending")
	none(t, a.Handle(s, Deposit{Asset: "BTC", Amount: d("30")}), "")
	one(t, a.Handle(s, deposit("20.5")), market.Sell, "50.5", "0")
	if !a.Pending().IsZero() {
		t.Errorf("Pending() = %s after converting, want 0", a.Pending())
	}
}

func TestAutoconvertPairMinimumApplies(t *testing.T) {
	a, s := autoconvert(t, "50"), usdtEUR().pair("USDTEUR", "USDT", "EUR", "100", "")
	none(t, a.Handle(s, deposit("60")), "minimum 100")
	one(t, a.Handle(s, deposit("40")), market.Sell, "100", "0")
}

func TestAutoconvertInvertedPairBuysWithAmount(t *testing.T) {
	a := autoconvert(t, "0")
	s := newState().pair("EURUSDT", "EUR", "USDT", "", "").price("EURUSDT", "1.09", "1.08").bal("USDT", "100", "100")
	one(t, a.Handle(s, deposit("100")), market.Buy, "0", "100")
}

func TestAutoconvertNeverMoreThanAvailable(t *testing.T) {
	a, s := autoconvert(t, "0"), usdtEUR().bal("USDT", "100", "80")
	in := one(t, a.Handle(s, deposit("100")), market.Sell, "80", "0")
	if !a.Pending().Equal(d("20")) {
		t.Errorf("Pending() = %s, want 20", a.Pending())
	}
	a.Handle(s, Outcome{Intent: in, Status: Filled, Time: t0})
	s.bal("USDT", "20", "0")
	none(t, a.Handle(s, Price{Tick: s.Ticks["USDTEUR"]}), "")
}

func TestAutoconvertSplitsAtPairMaximum(t *testing.T) {
	a, s := autoconvert(t, "0"), usdtEUR().pair("USDTEUR", "USDT", "EUR", "", "40")
	in := one(t, a.Handle(s, deposit("100")), market.Sell, "40", "0")
	none(t, a.Handle(s, Price{Tick: s.Ticks["USDTEUR"]}), "") // one at a time
	a.Handle(s, Outcome{Intent: in, Status: Filled, Time: t0})
	in = one(t, a.Handle(s, Price{Tick: s.Ticks["USDTEUR"]}), market.Sell, "40", "0")
	a.Handle(s, Outcome{Intent: in, Status: Filled, Time: t0})
	one(t, a.Handle(s, Price{Tick: s.Ticks["USDTEUR"]}), market.Sell, "20", "0")
}

func TestAutoconvertWaitsForFreshPriceAndRetries(t *testing.T) {
	a, s := autoconvert(t, "0"), usdtEUR()
	delete(s.Ticks, "USDTEUR")
	none(t, a.Handle(s, deposit("100")), "no fresh price")
	s.Ticks["USDTEUR"] = market.Tick{Pair: "USDTEUR", BuyPrice: d("0.93"), SellPrice: d("0.92"), Time: t0.Add(-time.Hour), Received: t0}
	none(t, a.Handle(s, Price{Tick: s.Ticks["USDTEUR"]}), "")
	s.price("USDTEUR", "0.93", "0.92")
	in := one(t, a.Handle(s, Price{Tick: s.Ticks["USDTEUR"]}), market.Sell, "100", "0")

	a.Handle(s, Outcome{Intent: in, Status: Failed, Time: t0})
	if !a.Pending().Equal(d("100")) {
		t.Fatalf("Pending() after a failure = %s, want 100", a.Pending())
	}
	s.Clock = t0.Add(59 * time.Second)
	s.price("USDTEUR", "0.93", "0.92")
	none(t, a.Handle(s, Price{Tick: s.Ticks["USDTEUR"]}), "")
	s.Clock = t0.Add(time.Minute)
	s.price("USDTEUR", "0.93", "0.92")
	one(t, a.Handle(s, Price{Tick: s.Ticks["USDTEUR"]}), market.Sell, "100", "0")
}

func TestAutoconvertParamsValidate(t *testing.T) {
	p := DefaultAutoconvertParams()
	p.From, p.To, p.Min = "usdt", "", dp("-1")
	err := p.Validate()
	for _, k := range []string{"from:", "to:", "min:"} {
		if err == nil || !contains(err.Error(), k) {
			t.Errorf("Validate() = %v, want %q", err, k)
		}
	}
	p.From, p.To, p.Min = "EUR", "EUR", dp("0")
	if err := p.Validate(); err == nil || !contains(err.Error(), "to: must differ") {
		t.Errorf("Validate() = %v, want to: must differ", err)
	}
}

// TestAutoconvertSplitLeavesATradableRemainder: a deposit over the pair's
// maximum converts in steps that all fit the pair's limits; cutting the
// first steps at the maximum left a last step under the pair's minimum,
// which never converted (85 with limits 10..40 went 40, 40, and 5 stuck).
func TestAutoconvertSplitLeavesATradableRemainder(t *testing.T) {
	a, s := autoconvert(t, "0"), usdtEUR().pair("USDTEUR", "USDT", "EUR", "10", "40")
	converted := d("0")
	dec := a.Handle(s, deposit("85"))
	for range 5 {
		if len(dec.Intents) == 0 {
			break
		}
		in := one(t, dec, market.Sell, dec.Intents[0].Size.String(), "0")
		if in.Size.LessThan(d("10")) || in.Size.GreaterThan(d("40")) {
			t.Fatalf("step of %s outside the pair's limits 10..40", in.Size)
		}
		converted = converted.Add(in.Size)
		a.Handle(s, Outcome{Intent: in, Status: Filled, Time: t0})
		dec = a.Handle(s, Price{Tick: s.Ticks["USDTEUR"]})
	}
	if !converted.Equal(d("85")) || !a.Pending().IsZero() {
		t.Fatalf("converted %s of 85, %s left pending", converted, a.Pending())
	}
}

package strategy

import (
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

func thresholdParams(side market.Side, order, price string) ThresholdParams {
	p := DefaultThresholdParams()
	p.Pair, p.Side, p.Order, p.Price, p.Size = "BTCEUR", side, order, dp(price), dp("0.1")
	return p
}

func TestThresholdTriggers(t *testing.T) {
	tests := []struct {
		side      market.Side
		order     string
		buy, sell string
		fire      bool
	}{
		{market.Buy, OrderLimit, "60000", "59990", true}, // buy price at the limit
		{market.Buy, OrderLimit, "59999", "59990", true},
		{market.Buy, OrderLimit, "60001", "59990", false},
		{market.Sell, OrderLimit, "60010", "60000", true},
		{market.Sell, OrderLimit, "60010", "59999", false},
		{market.Buy, OrderStop, "60000", "59990", true}, // breakout
		{market.Buy, OrderStop, "59999", "59990", false},
		{market.Sell, OrderStop, "60010", "60000", true}, // stop-loss
		{market.Sell, OrderStop, "60010", "60001", false},
		{market.Buy, OrderLimit, "0", "0", false}, // no price is no trigger
	}
	for _, tt := range tests {
		th, err := NewThreshold("th", thresholdParams(tt.side, tt.order, "60000"))
		if err != nil {
			t.Fatal(err)
		}
		s := newState().pair("BTCEUR", "BTC", "EUR", "", "").price("BTCEUR", tt.buy, tt.sell)
		dec := th.Handle(s, Price{Tick: s.Ticks["BTCEUR"]})
		if got := len(dec.Intents) == 1; got != tt.fire {
			t.Errorf("%s %s at 60000, buy %s sell %s: fired %v, want %v", tt.order, tt.side, tt.buy, tt.sell, got, tt.fire)
			continue
		}
		if !tt.fire {
			continue
		}
		in := dec.Intents[0]
		if in.Side != tt.side || !in.Size.Equal(d("0.1")) || in.Validate() != nil {
			t.Errorf("%s %s: intent %+v", tt.order, tt.side, in)
		}
		if wantLimit := tt.order == OrderLimit; in.LimitPrice.IsPositive() != wantLimit || (wantLimit && !in.LimitPrice.Equal(d("60000"))) {
			t.Errorf("%s %s: limit price %s, want 60000 for limits and none for stops", tt.order, tt.side, in.LimitPrice)
		}
	}
}

func TestThresholdLifecycle(t *testing.T) {
	tests := []struct {
		name   string
		rearm  bool
		status Status
		// fires reports whether a tick fires at each offset after the outcome.
		at   []time.Duration
		fire []bool
	}{
		{"one-shot stops after a fill", false, Filled, []time.Duration{0, time.Hour}, []bool{false, false}},
		{"re-arming waits for the cooldown", true, Filled, []time.Duration{0, 9 * time.Minute, 10 * time.Minute}, []bool{false, false, true}},
		{"a failure retries after retry_after", false, Failed, []time.Duration{0, 59 * time.Second, time.Minute}, []bool{false, false, true}},
		{"a rejection retries after retry_after", false, Rejected, []time.Duration{30 * time.Second, time.Minute}, []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := thresholdParams(market.Buy, OrderLimit, "60000")
			p.Rearm, p.Cooldown = tt.rearm, tomlval.Dur(10*time.Minute)
			th, err := NewThreshold("th", p)
			if err != nil {
				t.Fatal(err)
			}
			s := newState().pair("BTCEUR", "BTC", "EUR", "", "").price("BTCEUR", "59000", "58990")
			dec := th.Handle(s, Price{Tick: s.Ticks["BTCEUR"]})
			if len(dec.Intents) != 1 {
				t.Fatalf("first tick: %v, want one intent", dec.Intents)
			}
			if again := th.Handle(s, Price{Tick: s.Ticks["BTCEUR"]}); len(again.Intents) != 0 {
				t.Fatalf("second tick with an intent in flight fired %v", again.Intents)
			}
			th.Handle(s, Outcome{Intent: dec.Intents[0], Status: tt.status, Time: t0})
			for i, off := range tt.at {
				s.Clock = t0.Add(off)
				s.price("BTCEUR", "59000", "58990")
				got := th.Handle(s, Price{Tick: s.Ticks["BTCEUR"]})
				if (len(got.Intents) == 1) != tt.fire[i] {
					t.Fatalf("tick at +%v: intents %v, want fire %v", off, got.Intents, tt.fire[i])
				}
				if len(got.Intents) == 1 {
					break
				}
			}
			if th.Done() != (tt.status == Filled && !tt.rearm) {
				t.Errorf("Done() = %v", th.Done())
			}
		})
	}
}

func TestThresholdNeverOnStaleOrBadSize(t *testing.T) {
	th, err := NewThreshold("th", thresholdParams(market.Sell, OrderStop, "50000"))
	if err != nil {
		t.Fatal(err)
	}
	s := newState().pair("BTCEUR", "BTC", "EUR", "", "")
	s.Ticks["BTCEUR"] = market.Tick{Pair: "BTCEUR", BuyPrice: d("40010"), SellPrice: d("40000"), Time: t0.Add(-time.Minute), Received: t0}
	dec := th.Handle(s, Price{Tick: s.Ticks["BTCEUR"]})
	if len(dec.Intents) != 0 {
		t.Fatalf("stale tick fired %v", dec.Intents)
	}
	checkSkip(t, dec.Skips, "stale")

	s.price("BTCEUR", "40010", "40000").pair("BTCEUR", "BTC", "EUR", "0.5", "")
	dec = th.Handle(s, Price{Tick: s.Ticks["BTCEUR"]})
	if len(dec.Intents) != 0 {
		t.Fatalf("size under the pair minimum fired %v", dec.Intents)
	}
	checkSkip(t, dec.Skips, "outside pair limits")

	s.pair("BTCEUR", "BTC", "EUR", "", "")
	if dec = th.Handle(s, Price{Tick: s.Ticks["BTCEUR"]}); len(dec.Intents) != 1 {
		t.Fatalf("fresh tick within limits: %v, want one intent", dec.Intents)
	}
	if other := th.Handle(s, Price{Tick: market.Tick{Pair: "ETHEUR", SellPrice: d("1"), BuyPrice: d("1"), Received: t0}}); len(other.Intents) != 0 {
		t.Errorf("another pair's tick fired %v", other.Intents)
	}
}

func TestThresholdParamsValidate(t *testing.T) {
	p := thresholdParams("hold", "market", "-1")
	p.Amount, p.RetryAfter = dp("5"), tomlval.Dur(0)
	err := p.Validate()
	for _, k := range []string{"side:", "order:", "price:", "size:", "retry_after:"} {
		if err == nil || !contains(err.Error(), k) {
			t.Errorf("Validate() = %v, want %q", err, k)
		}
	}
	if err := thresholdParams(market.Buy, OrderStop, "1").Validate(); err != nil {
		t.Errorf("valid params: %v", err)
	}
}

package strategy

import (
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

// restoredFill is a filled intent as the daemon hands it to Restore after a
// restart: rebuilt from the ledger's request (no limit price, no reason),
// timed at the intent's creation.
func restoredFill(in Intent, at time.Time) Outcome {
	return Outcome{Intent: Intent{Strategy: in.Strategy, Ref: in.Ref, Pair: in.Pair, Side: in.Side, Size: in.Size, Amount: in.Amount, Path: in.Path}, Status: Filled, Time: at}
}

// TestThresholdRestoreAfterRestart: a threshold that filled before a
// restart does not fire again after it while the price still meets its
// condition: a one-shot stays done, a re-arming one keeps its cooldown. An
// order reconfigured under the same name (another price or size) starts
// afresh.
func TestThresholdRestoreAfterRestart(t *testing.T) {
	tests := []struct {
		name  string
		rearm bool
		// the restarted instance's trigger price and size
		price, size string
		at          time.Duration // tick after the fill
		fire        bool
	}{
		{"one-shot stays done", false, "60000", "0.1", time.Hour, false},
		{"re-arming keeps its cooldown", true, "60000", "0.1", 5 * time.Minute, false},
		{"re-arming fires after its cooldown", true, "60000", "0.1", 10 * time.Minute, true},
		{"another trigger price is a new order", false, "59500", "0.1", time.Hour, true},
		{"another size is a new order", false, "60000", "0.2", time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := thresholdParams(market.Buy, OrderLimit, "60000")
			p.Rearm, p.Cooldown = tt.rearm, tomlval.Dur(10*time.Minute)
			before, err := NewThreshold("th", p)
			if err != nil {
				t.Fatal(err)
			}
			s := newState().pair("BTCEUR", "BTC", "EUR", "", "").price("BTCEUR", "59000", "58990")
			dec := before.Handle(s, Price{Tick: s.Ticks["BTCEUR"]})
			if len(dec.Intents) != 1 {
				t.Fatalf("first run: %v, want one intent", dec.Intents)
			}
			in := dec.Intents[0]
			in.Strategy = "th"

			// Restart: a new instance, restored from the ledger.
			p.Price, p.Size = dp(tt.price), dp(tt.size)
			after, err := NewThreshold("th", p)
			if err != nil {
				t.Fatal(err)
			}
			r, ok := Strategy(after).(Restorer)
			if !ok {
				t.Fatal("Threshold does not implement Restorer: a filled order fires again after a restart")
			}
			r.Restore(restoredFill(in, t0))
			s.Clock = t0.Add(tt.at)
			s.price("BTCEUR", "59000", "58990")
			got := after.Handle(s, Price{Tick: s.Ticks["BTCEUR"]})
			if fired := len(got.Intents) == 1; fired != tt.fire {
				t.Fatalf("tick at +%v after restart: intents %v, want fire %v", tt.at, got.Intents, tt.fire)
			}
		})
	}
}

// TestThresholdRestoreLegacyRef: fills recorded before intents carried the
// trigger in their Ref ("fire 1") still count for the same pair, side and
// quantity, so upgrading does not re-fire a one-shot order that filled.
func TestThresholdRestoreLegacyRef(t *testing.T) {
	th, err := NewThreshold("th", thresholdParams(market.Buy, OrderLimit, "60000"))
	if err != nil {
		t.Fatal(err)
	}
	th.Restore(Outcome{Intent: Intent{Strategy: "th", Ref: "fire 1", Pair: "BTCEUR", Side: market.Buy, Size: d("0.1"), Path: RFQ}, Status: Filled, Time: t0})
	if !th.Done() {
		t.Fatal("Done() after restoring a legacy fill = false; the one-shot order would fire again")
	}
}

// TestThresholdRearmNeedsCooldown: rearm without a cooldown (the default is
// zero) would fire again on the very next tick after every fill, trading
// the size over and over while the price stays past the trigger; it is a
// configuration error naming the key.
func TestThresholdRearmNeedsCooldown(t *testing.T) {
	p := thresholdParams(market.Buy, OrderLimit, "60000")
	p.Rearm = true
	if err := p.Validate(); err == nil || !contains(err.Error(), "cooldown:") {
		t.Errorf("Validate(rearm, no cooldown) = %v, want an error naming cooldown", err)
	}
	p.Cooldown = tomlval.Dur(time.Minute)
	if err := p.Validate(); err != nil {
		t.Errorf("Validate(rearm, cooldown 1m) = %v, want nil", err)
	}
	p.Rearm, p.Cooldown = false, tomlval.Dur(0)
	if err := p.Validate(); err != nil {
		t.Errorf("Validate(one-shot, no cooldown) = %v, want nil", err)
	}
}

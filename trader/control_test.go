package trader

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// eachTick buys size on every price, and once more on the outcome of
// that buy, so a disabled or replaced instance that still acted on an
// outcome would show.
type eachTick struct {
	name  string
	size  decimal.Decimal
	again bool
}

func (e *eachTick) Name() string { return e.name }
func (e *eachTick) Handle(v strategy.View, ev strategy.Event) strategy.Decision {
	buy := strategy.Decision{Intents: []strategy.Intent{{Pair: "BTCEUR", Side: market.Buy, Size: e.size, Path: strategy.OTC, MaxSlippage: d("1")}}}
	switch ev.(type) {
	case strategy.Price:
		e.again = true
		return buy
	case strategy.Outcome:
		if e.again {
			e.again = false
			return buy
		}
	}
	return strategy.Decision{}
}

// TestStrategyControl: a disabled strategy decides nothing; enabled again
// it trades; set with new parameters, only the new instance trades; an
// unknown name is refused.
func TestStrategyControl(t *testing.T) {
	manual := clock.NewManual(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	limits := risk.DefaultLimits()
	limits.MaxOpenIntents = 100
	rk, err := risk.New(limits, risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	btceur := market.Pair{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR", MinSize: d("0.0001"), MaxSize: d("10")}
	books := openBooks(t, map[market.Asset]decimal.Decimal{"EUR": d("1000000")})
	venue := &fillAtTick{price: d("50000"), seen: make(chan strategy.Intent, 64), store: books, pairs: map[string]market.Pair{"BTCEUR": btceur}}
	n := 0
	l, err := New(Options{Strategies: []strategy.Strategy{&eachTick{name: "s", size: d("0.01")}}, Risk: rk, Exec: venue, Clock: manual.Clock(),
		MaxAge: 5 * time.Second, Pairs: []market.Pair{btceur}, Books: books, Inline: true,
		NewID: func() (string, error) { n++; return fmt.Sprintf("cid-%d", n), nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() { cancel(); <-done }()
	tick := func() int {
		now := manual.Now()
		l.Tick(ctx, market.Tick{Pair: "BTCEUR", Size: d("0.01"), BuyPrice: d("50000"), SellPrice: d("49990"), Time: now, Received: now})
		if _, err := l.Strategies(ctx); err != nil { // the tick and what it caused are done
			t.Fatal(err)
		}
		got := len(venue.seen)
		for range got {
			<-venue.seen
		}
		return got
	}
	if got := tick(); got != 2 {
		t.Fatalf("running: %d intents executed, want 2 (the tick's and the outcome's)", got)
	}
	if err := l.DisableStrategy(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if got := tick(); got != 0 {
		t.Fatalf("disabled: %d intents executed, want none", got)
	}
	st, _ := l.Strategies(ctx)
	if len(st) != 1 || st[0].Enabled {
		t.Errorf("Strategies = %+v, want s disabled", st)
	}
	if err := l.EnableStrategy(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if got := tick(); got != 2 {
		t.Fatalf("enabled again: %d intents, want 2", got)
	}
	if err := l.SetStrategy(ctx, &eachTick{name: "s", size: d("0.02")}, true); err != nil {
		t.Fatal(err)
	}
	now := manual.Now()
	l.Tick(ctx, market.Tick{Pair: "BTCEUR", Size: d("0.01"), BuyPrice: d("50000"), SellPrice: d("49990"), Time: now, Received: now})
	if _, err := l.Strategies(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if in := <-venue.seen; !in.Size.Equal(d("0.02")) {
			t.Errorf("after SetStrategy an intent of size %s, want the new instance's 0.02", in.Size)
		}
	}
	for _, err := range []error{l.DisableStrategy(ctx, "nope"), l.EnableStrategy(ctx, "nope")} {
		if !errors.Is(err, ErrUnknownStrategy) {
			t.Errorf("unknown strategy: %v, want ErrUnknownStrategy", err)
		}
	}
}

package trader

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// Step and StepTimers return only once what they caused has executed and
// its outcome is applied, with the clock where the caller put it.
func TestStepDrivesTicksAndTimers(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	p := strategy.DefaultRebalanceParams()
	p.Reference = "EUR"
	p.Weights = map[string]tomlval.Decimal{"EUR": tomlval.Dec(d("0.5")), "BTC": tomlval.Dec(d("0.5"))}
	p.Every, p.Path = tomlval.Dur(time.Minute), strategy.OTC
	rb, err := strategy.NewRebalance("rb", p)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	books := openBooks(t, map[market.Asset]decimal.Decimal{"EUR": d("10000")})
	btceur := market.Pair{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR", MinSize: d("0.0001"), MaxSize: d("10")}
	venue := &fillAtTick{price: d("50000"), seen: make(chan strategy.Intent, 4), store: books, pairs: map[string]market.Pair{"BTCEUR": btceur}}
	n := 0
	l, err := New(Options{
		Strategies: []strategy.Strategy{rb}, Risk: rk, Exec: venue, Clock: clk.Clock(), MaxAge: 10 * time.Second,
		Pairs: []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR", MinSize: d("0.0001"), MaxSize: d("10")}},
		Books: books,
		NewID: func() (string, error) { n++; return fmt.Sprintf("cid-%d", n), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Load(ctx); err != nil {
		t.Fatal(err)
	}
	tick := func() {
		now := clk.Now()
		l.Step(ctx, market.Tick{Pair: "BTCEUR", Size: d("0.01"), BuyPrice: d("50000"), SellPrice: d("50000"), Time: now, Received: now})
	}
	if _, ok := l.NextTimer(); ok {
		t.Fatal("a timer before any event")
	}
	tick()
	due, ok := l.NextTimer()
	if !ok || !due.Equal(start.Add(time.Minute)) {
		t.Fatalf("NextTimer after the first tick = %v %v, want %v", due, ok, start.Add(time.Minute))
	}
	clk.Set(due.Add(-time.Second))
	tick()
	clk.Set(due)
	l.StepTimers(ctx)
	select {
	case in := <-venue.seen:
		if in.Side != market.Buy || !in.Size.Equal(d("0.1")) {
			t.Fatalf("rebalance sent %v, want a buy of 0.1 BTC (5000 EUR)", in)
		}
	default:
		t.Fatal("StepTimers returned before the rebalance intent executed")
	}
	if got := l.state.Balances["BTC"].Total; !got.Equal(d("0.1")) {
		t.Fatalf("BTC after StepTimers = %s, want 0.1: the outcome must be applied before it returns", got)
	}
	if next, _ := l.NextTimer(); !next.Equal(due.Add(time.Minute)) {
		t.Fatalf("next timer = %v, want %v", next, due.Add(time.Minute))
	}
}

// BenchmarkStep is the loop's cost per tick with a rebalance strategy
// waiting for its timer: what a backtest pays per tick besides reading it.
func BenchmarkStep(b *testing.B) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	p := strategy.DefaultRebalanceParams()
	p.Reference = "EUR"
	p.Weights = map[string]tomlval.Decimal{"EUR": tomlval.Dec(d("0.5")), "BTC": tomlval.Dec(d("0.5"))}
	rb, err := strategy.NewRebalance("rb", p)
	if err != nil {
		b.Fatal(err)
	}
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		b.Fatal(err)
	}
	l, err := New(Options{
		Strategies: []strategy.Strategy{rb}, Risk: rk, Exec: &fillAtTick{price: d("50000"), seen: make(chan strategy.Intent, 1)},
		Clock: clk.Clock(), MaxAge: 10 * time.Second,
		Pairs: []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"}},
		Books: openBooks(b, map[market.Asset]decimal.Decimal{"EUR": d("10000"), "BTC": d("0.1")}),
		NewID: func() (string, error) { return "x", nil },
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Load(ctx); err != nil {
		b.Fatal(err)
	}
	tk := market.Tick{Pair: "BTCEUR", Size: d("0.01"), BuyPrice: d("50000"), SellPrice: d("49990"), Time: start, Received: start}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		tk.Received = start.Add(time.Duration(i) * time.Microsecond)
		tk.Time = tk.Received
		clk.Set(tk.Received)
		l.Step(ctx, tk)
	}
}

// A tick stamped far in the future (a venue clock glitch) does not freeze
// the pair: the next tick on time replaces it. An ordinary late tick is
// still never applied over a newer one.
func TestTickOrderSurvivesAFutureTimestamp(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(Options{Risk: rk, Exec: &fillAtTick{price: d("50000")}, Clock: clk.Clock(), MaxAge: 10 * time.Second,
		Pairs: []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"}}, NewID: func() (string, error) { return "cid", nil },
		Books: openBooks(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Load(ctx); err != nil {
		t.Fatal(err)
	}
	tick := func(price string, at time.Time) {
		l.Step(ctx, market.Tick{Pair: "BTCEUR", BuyPrice: d(price), SellPrice: d(price), Time: at, Received: clk.Now()})
	}
	price := func() string { return l.state.Ticks["BTCEUR"].BuyPrice.String() }
	tick("50000", start)
	clk.Advance(time.Second)
	tick("50100", start.Add(-500*time.Millisecond)) // late: older than the last
	if got := price(); got != "50000" {
		t.Fatalf("after a late tick the price is %s, want 50000", got)
	}
	tick("50200", start.Add(24*time.Hour)) // a venue clock a day ahead
	clk.Advance(time.Second)
	tick("50300", clk.Now())
	if got := price(); got != "50300" {
		t.Fatalf("after a tick on time the price is %s, want 50300: a future timestamp froze the pair", got)
	}
}

// The loop logs what a strategy skipped, with its reason, at debug level:
// the reason is formatted only then.
func TestStepLogsSkipsAtDebug(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	p := strategy.DefaultRebalanceParams()
	p.Reference = "EUR"
	p.Weights = map[string]tomlval.Decimal{"EUR": tomlval.Dec(d("0.5")), "BTC": tomlval.Dec(d("0.5"))}
	p.Every = tomlval.Dur(time.Minute)
	rb, err := strategy.NewRebalance("rb", p)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		var buf bytes.Buffer
		l, err := New(Options{
			Strategies: []strategy.Strategy{rb}, Risk: rk, Exec: &fillAtTick{price: d("50000")}, Clock: clk.Clock(), MaxAge: 10 * time.Second,
			Pairs: []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"}}, NewID: func() (string, error) { return "cid", nil },
			Books:  openBooks(t, map[market.Asset]decimal.Decimal{"EUR": d("10000")}),
			Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := l.Load(ctx); err != nil {
			t.Fatal(err)
		}
		// The tick arms the timer; by the check it is stale, so the
		// portfolio cannot be valued.
		l.Step(ctx, market.Tick{Pair: "BTCEUR", BuyPrice: d("50000"), SellPrice: d("50000"), Time: clk.Now(), Received: clk.Now()})
		due, _ := l.NextTimer()
		clk.Set(due)
		l.StepTimers(ctx)
		want := `msg="strategy skipped" strategy=rb pair="" reason="cannot value the portfolio: value BTC in EUR: BTCEUR: `
		if got := strings.Contains(buf.String(), want); got != (level == slog.LevelDebug) {
			t.Errorf("at level %s the log is %q; want the skip logged (%q) only at debug", level, buf.String(), want)
		}
		l.Close()
	}
}

package risk

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
)

var (
	t0  = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ctx = context.Background()
)

var _ Gate = (*scheduler.Gate)(nil)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func dec(s string) tomlval.Decimal { return tomlval.Dec(d(s)) }

// market: BTCEUR at 60010/59990 with sizes 0.001 to 10 BTC; 1 BTC and
// 50 000 EUR, all available.
func baseState() *strategy.State {
	return &strategy.State{
		Clock:  t0,
		MaxAge: time.Hour, // risk applies its own limit
		Ticks: map[string]market.Tick{
			"BTCEUR": {Pair: "BTCEUR", BuyPrice: d("60010"), SellPrice: d("59990"), Time: t0, Received: t0},
		},
		Specs: map[string]market.Pair{
			"BTCEUR": {Symbol: "BTCEUR", Base: "BTC", Quote: "EUR", MinSize: d("0.001"), MaxSize: d("10")},
		},
		Balances: map[market.Asset]strategy.Balance{
			"BTC": {Total: d("1"), Available: d("1")},
			"EUR": {Total: d("50000"), Available: d("50000")},
		},
	}
}

// buy 0.1 BTC: 6000 EUR notional, at most 6031.005 EUR spent.
func baseIntent() strategy.Intent {
	return strategy.Intent{Strategy: "s", Ref: "r1", Pair: "BTCEUR", Side: market.Buy, Size: d("0.1"),
		Path: strategy.RFQ, MaxSlippage: d("0.5")}
}

type failingCounters struct{}

var errDisk = errors.New("disk on fire")

func (failingCounters) Add(context.Context, string, time.Time, decimal.Decimal) error { return errDisk }
func (failingCounters) Get(context.Context, string, time.Time) (decimal.Decimal, error) {
	return decimal.Zero, errDisk
}

type fixture struct {
	e        *Engine
	counters *MemoryCounters
	logs     *bytes.Buffer
	limits   Limits
}

func newFixture(t *testing.T, edit func(*Limits, *Options)) fixture {
	t.Helper()
	l := DefaultLimits()
	l.Transfers.Destinations = map[string]tomlval.Decimal{"bank-eur": dec("5000"), "cold-btc": dec("100000")}
	f := fixture{counters: &MemoryCounters{}, logs: &bytes.Buffer{}}
	o := Options{Counters: f.counters, Logger: slog.New(slog.NewTextHandler(f.logs, nil)), Registry: prometheus.NewRegistry()}
	if edit != nil {
		edit(&l, &o)
	}
	e, err := New(l, o)
	if err != nil {
		t.Fatal(err)
	}
	f.e, f.limits = e, l
	return f
}

// expectReason checks that err is a *Rejection for want, counted and logged.
func (f fixture) expectReason(t *testing.T, err error, want Reason) {
	t.Helper()
	var rej *Rejection
	if !errors.As(err, &rej) {
		t.Fatalf("error = %v, want a *Rejection for %s", err, want)
	}
	if rej.Reason != want {
		t.Fatalf("reason = %s (%s), want %s", rej.Reason, rej.Detail, want)
	}
	if got := testutil.ToFloat64(f.e.m.rejections.WithLabelValues(want.String())); got != 1 {
		t.Errorf("engine_risk_rejections_total{reason=%q} = %v, want 1", want, got)
	}
	if !strings.Contains(f.logs.String(), "reason="+want.String()) {
		t.Errorf("log %q does not mention reason=%s", f.logs.String(), want)
	}
}

func TestCheckBaselinePasses(t *testing.T) {
	f := newFixture(t, nil)
	a, err := f.e.Check(ctx, t0, baseState(), baseIntent())
	if err != nil {
		t.Fatalf("baseline intent rejected: %v", err)
	}
	if !a.Notional.Equal(d("6000")) {
		t.Errorf("notional = %s, want 6000", a.Notional)
	}
	if got, _ := f.counters.Get(ctx, keyTradeNotional, t0.Truncate(24*time.Hour)); !got.Equal(d("6000")) {
		t.Errorf("reserved %s, want 6000", got)
	}
}

func TestCheckReasons(t *testing.T) {
	tests := []struct {
		name   string
		limits func(*Limits, *Options)
		setup  func(*Engine, *strategy.State, *MemoryCounters)
		intent func(*strategy.Intent)
		want   Reason
	}{
		{name: "malformed", intent: func(in *strategy.Intent) { in.Size = decimal.Zero }, want: Invalid},
		{name: "kill switch", setup: func(e *Engine, _ *strategy.State, _ *MemoryCounters) { e.Kill("operator") }, want: KillSwitch},
		{name: "maintenance", limits: func(_ *Limits, o *Options) {
			g, err := scheduler.NewGate(scheduler.GateConfig{Extra: []scheduler.Span{{From: t0.Add(-time.Minute), To: t0.Add(time.Minute)}}})
			if err != nil {
				panic(err)
			}
			o.Gate = g
		}, want: Maintenance},
		{name: "breaker", setup: func(e *Engine, _ *strategy.State, _ *MemoryCounters) {
			for range 6 {
				e.VenueRejected(t0.Add(-time.Minute))
			}
		}, want: CircuitBreaker},
		{name: "unlisted pair", intent: func(in *strategy.Intent) { in.Pair = "XRPEUR" }, want: UnknownPair},
		{name: "no tick", setup: func(_ *Engine, s *strategy.State, _ *MemoryCounters) { delete(s.Ticks, "BTCEUR") }, want: NoPrice},
		{name: "stale tick", setup: func(_ *Engine, s *strategy.State, _ *MemoryCounters) {
			tk := s.Ticks["BTCEUR"]
			tk.Received = t0.Add(-11 * time.Second)
			s.Ticks["BTCEUR"] = tk
		}, want: StalePrice},
		{name: "slippage above the limit", intent: func(in *strategy.Intent) { in.MaxSlippage = d("1.01") }, want: Slippage},
		{name: "above the pair maximum", intent: func(in *strategy.Intent) { in.Size = d("10.1") }, want: PairSize},
		{name: "below the pair quote minimum", setup: func(_ *Engine, s *strategy.State, _ *MemoryCounters) {
			p := s.Specs["BTCEUR"]
			p.MinQuoteSize = d("6000.01")
			s.Specs["BTCEUR"] = p
		}, want: PairSize},
		{name: "open intents", setup: func(_ *Engine, s *strategy.State, _ *MemoryCounters) {
			s.Open = make([]strategy.Intent, 10)
		}, want: OpenIntents},
		{name: "order notional", intent: func(in *strategy.Intent) { in.Size = d("0.17") }, want: OrderNotional},
		{name: "daily notional", setup: func(e *Engine, _ *strategy.State, c *MemoryCounters) {
			_ = c.Add(ctx, keyTradeNotional, e.Day(t0), d("94000.01"))
		}, want: DailyNotional},
		{name: "available balance", setup: func(_ *Engine, s *strategy.State, _ *MemoryCounters) {
			s.Balances["EUR"] = strategy.Balance{Total: d("50000"), Available: d("6031")}
		}, want: Balance},
		{name: "minimum balance", limits: func(l *Limits, _ *Options) {
			l.Assets = map[string]AssetLimits{"EUR": {MinBalance: dec("43969")}}
		}, want: MinBalance},
		{name: "position", limits: func(l *Limits, _ *Options) {
			l.Assets = map[string]AssetLimits{"BTC": {MaxPosition: dec("1.0999")}}
		}, want: Position},
		{name: "sell by amount needs base at the worst price", intent: func(in *strategy.Intent) {
			in.Side, in.Size, in.Amount = market.Sell, decimal.Zero, d("9000") // 0.15075... BTC
		}, setup: func(_ *Engine, s *strategy.State, _ *MemoryCounters) {
			s.Balances["BTC"] = strategy.Balance{Total: d("1"), Available: d("0.15")}
		}, want: Balance},
		{name: "counters unavailable", limits: func(_ *Limits, o *Options) { o.Counters = failingCounters{} }, want: CountersUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.limits)
			s := baseState()
			if tt.setup != nil {
				tt.setup(f.e, s, f.counters)
			}
			in := baseIntent()
			if tt.intent != nil {
				tt.intent(&in)
			}
			_, err := f.e.Check(ctx, t0, s, in)
			f.expectReason(t, err, tt.want)
			var rej *Rejection
			if errors.As(err, &rej); rej.Intent.Ref != in.Ref {
				t.Errorf("rejection carries intent %+v, want ref %q", rej.Intent, in.Ref)
			}
			if rej.Detail != "" && strings.Count(err.Error(), rej.Detail) != 1 {
				t.Errorf("error %q says its detail %q more than once", err, rej.Detail)
			}
			if tt.name == "above the pair maximum" && !errors.Is(err, market.ErrSizeOutOfRange) {
				t.Errorf("error %v does not wrap market.ErrSizeOutOfRange", err)
			}
			if tt.want == CountersUnavailable && !errors.Is(err, errDisk) {
				t.Errorf("error %v does not wrap the counters' error", err)
			}
			if tt.want != CountersUnavailable {
				if got, _ := f.counters.Get(ctx, keyTradeNotional, f.e.Day(t0)); tt.want != DailyNotional && !got.IsZero() {
					t.Errorf("a rejection reserved %s", got)
				}
			}
		})
	}
}

func TestCheckValuesThroughAnInvertedPair(t *testing.T) {
	// Reference USDT, traded pair BTCEUR, valued through EURUSDT's mid 1.1.
	f := newFixture(t, func(l *Limits, _ *Options) { l.Reference = "USDT"; l.MaxOrderNotional = dec("6600") })
	s := baseState()
	s.Specs["EURUSDT"] = market.Pair{Symbol: "EURUSDT", Base: "EUR", Quote: "USDT"}
	s.Ticks["EURUSDT"] = market.Tick{Pair: "EURUSDT", BuyPrice: d("1.11"), SellPrice: d("1.09"), Time: t0, Received: t0}
	a, err := f.e.Check(ctx, t0, s, baseIntent())
	if err != nil || !a.Notional.Equal(d("6600")) {
		t.Fatalf("Check = %s, %v; want notional 6600 USDT", a.Notional, err)
	}
	in := baseIntent()
	in.Size = d("0.10001")
	_, err = f.e.Check(ctx, t0, s, in)
	f.expectReason(t, err, OrderNotional)
}

func TestDailyNotionalReservesReleasesAndSurvivesRestart(t *testing.T) {
	f := newFixture(t, func(l *Limits, _ *Options) { l.MaxDailyNotional = dec("10000") })
	s := baseState()
	a, err := f.e.Check(ctx, t0, s, baseIntent())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Check(ctx, t0, s, baseIntent()); err == nil {
		t.Fatal("second 6000 under a 10000 daily limit approved")
	}
	if err := f.e.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.Check(ctx, t0, s, baseIntent()); err != nil {
		t.Fatalf("after release: %v", err)
	}
	// A restarted engine on the same counters sees the day's total.
	restarted, err := New(f.limits, Options{Counters: f.counters})
	if err != nil {
		t.Fatal(err)
	}
	var rej *Rejection
	if _, err := restarted.Check(ctx, t0, s, baseIntent()); !errors.As(err, &rej) || rej.Reason != DailyNotional {
		t.Fatalf("after restart: %v, want daily_notional", err)
	}
	next := t0.Add(15 * time.Hour) // 00:00 UTC the next day
	s.Clock = next
	s.Ticks["BTCEUR"] = market.Tick{Pair: "BTCEUR", BuyPrice: d("60010"), SellPrice: d("59990"), Time: next, Received: next}
	if _, err := restarted.Check(ctx, next, s, baseIntent()); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

func TestDayZone(t *testing.T) {
	f := newFixture(t, func(l *Limits, _ *Options) { l.DayZone = "UTC+02:00" })
	// 23:00 UTC on 2 March is 01:00 on 3 March at +02:00.
	got := f.e.Day(time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Day = %v, want %v", got.UTC(), want)
	}
}

func TestBreaker(t *testing.T) {
	f := newFixture(t, nil) // more than 5 in 10m trips for 30m
	for i := range 5 {
		f.e.VenueRejected(t0.Add(time.Duration(i) * time.Minute))
	}
	if f.e.BreakerOpen(t0.Add(5 * time.Minute)) {
		t.Fatal("tripped at 5 rejections, want more than 5")
	}
	f.e.VenueRejected(t0.Add(10 * time.Minute)) // the one at t0 has left the window
	if f.e.BreakerOpen(t0.Add(10 * time.Minute)) {
		t.Fatal("tripped counting a rejection outside the window")
	}
	f.e.VenueRejected(t0.Add(10*time.Minute + time.Second))
	at := t0.Add(10*time.Minute + time.Second)
	if !f.e.BreakerOpen(at) {
		t.Fatal("not tripped at 6 rejections within 10m")
	}
	if got := testutil.ToFloat64(f.e.m.breakerTrips); got != 1 {
		t.Errorf("breaker trips = %v, want 1", got)
	}
	if !f.e.BreakerOpen(at.Add(30*time.Minute - time.Nanosecond)) {
		t.Error("breaker closed before the cooldown ended")
	}
	if f.e.BreakerOpen(at.Add(30 * time.Minute)) {
		t.Error("breaker still open after the cooldown")
	}

	manual := newFixture(t, func(l *Limits, _ *Options) { l.Breaker.Cooldown = tomlval.Dur(0) })
	for range 6 {
		manual.e.VenueRejected(t0)
	}
	if !manual.e.BreakerOpen(t0.Add(24 * time.Hour)) {
		t.Error("breaker without cooldown closed by itself")
	}
	manual.e.ResetBreaker()
	if manual.e.BreakerOpen(t0.Add(24 * time.Hour)) {
		t.Error("breaker open after ResetBreaker")
	}
}

func TestKillSwitch(t *testing.T) {
	f := newFixture(t, nil)
	f.e.Kill("manual")
	if on, why := f.e.Killed(); !on || why != "manual" {
		t.Fatalf("Killed() = %v, %q", on, why)
	}
	if got := testutil.ToFloat64(f.e.m.killSwitch); got != 1 {
		t.Errorf("kill switch gauge = %v, want 1", got)
	}
	f.e.Resume()
	if _, err := f.e.Check(ctx, t0, baseState(), baseIntent()); err != nil {
		t.Errorf("after Resume: %v", err)
	}
}

func TestReasonNames(t *testing.T) {
	seen := map[string]bool{}
	for r := Invalid; r <= CountersUnavailable; r++ {
		s := r.String()
		if strings.HasPrefix(s, "reason(") || seen[s] {
			t.Errorf("Reason %d has name %q", int(r), s)
		}
		seen[s] = true
	}
	if got := Reason(99).String(); got != "reason(99)" {
		t.Errorf("Reason(99) = %q", got)
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	l := DefaultLimits()
	l.Reference, l.MaxOrderNotional, l.DayZone, l.MaxOpenIntents = "eur", dec("0"), "Mars/Olympus", 0
	l.Breaker.Window = tomlval.Dur(0)
	l.Assets = map[string]AssetLimits{"BTC": {MinBalance: dec("-1")}}
	l.Transfers.Destinations = map[string]tomlval.Decimal{"bank": dec("0")}
	l.MaxSlippage = dec("100")
	err := l.Validate()
	for _, k := range []string{"reference:", "max_order_notional:", "day_zone:", "max_open_intents:", "breaker.window:", "assets.BTC.min_balance:", "transfers.destinations.bank:", "max_slippage: must be below 100"} {
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("Validate() = %v, want %q", err, k)
		}
	}
	if _, err := New(l, Options{Counters: &MemoryCounters{}}); err == nil {
		t.Error("New accepted invalid limits")
	}
	if _, err := New(DefaultLimits(), Options{}); err == nil {
		t.Error("New accepted no counters")
	}
}

package risk

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/strategy"
)

func eurTransfer(amount string) Transfer {
	return Transfer{Destination: "bank-eur", Asset: "EUR", Amount: d(amount), Policy: "sweep"}
}

func TestCheckTransfer(t *testing.T) {
	tests := []struct {
		name     string
		limits   func(*Limits, *Options)
		setup    func(*Engine, *strategy.State, *MemoryCounters)
		transfer Transfer
		want     Reason
	}{
		{name: "within caps", transfer: eurTransfer("5000")},
		{name: "BTC valued at the mid", transfer: Transfer{Destination: "cold-btc", Asset: "BTC", Amount: d("0.1")}},
		{name: "malformed", transfer: eurTransfer("0"), want: Invalid},
		{name: "kill switch", setup: func(e *Engine, _ *strategy.State, _ *MemoryCounters) { e.Kill("x") }, transfer: eurTransfer("1"), want: KillSwitch},
		{name: "maintenance", limits: func(_ *Limits, o *Options) { o.Gate = closedGate{} }, transfer: eurTransfer("1"), want: Maintenance},
		{name: "destination without a cap", transfer: Transfer{Destination: "elsewhere", Asset: "EUR", Amount: d("1")}, want: DestinationCap},
		{name: "over the destination cap", transfer: eurTransfer("5000.01"), want: DestinationCap},
		{name: "destination cap counts the day", setup: func(e *Engine, _ *strategy.State, c *MemoryCounters) {
			_ = c.Add(ctx, "transfer/bank-eur", e.Day(t0), d("4000"))
		}, transfer: eurTransfer("1000.01"), want: DestinationCap},
		{name: "over the global cap", setup: func(e *Engine, _ *strategy.State, c *MemoryCounters) {
			_ = c.Add(ctx, "transfer", e.Day(t0), d("9000"))
		}, transfer: eurTransfer("1000.01"), want: TransferCap},
		{name: "no price to value it", setup: func(_ *Engine, s *strategy.State, _ *MemoryCounters) { delete(s.Ticks, "BTCEUR") },
			transfer: Transfer{Destination: "cold-btc", Asset: "BTC", Amount: d("0.1")}, want: NoPrice},
		{name: "more than available", setup: func(_ *Engine, s *strategy.State, _ *MemoryCounters) {
			s.Balances["EUR"] = strategy.Balance{Total: d("5000"), Available: d("999.99")}
		}, transfer: eurTransfer("1000"), want: Balance},
		{name: "below the minimum balance", limits: func(l *Limits, _ *Options) {
			l.Assets = map[string]AssetLimits{"EUR": {MinBalance: dec("49000.01")}}
		}, transfer: eurTransfer("1000"), want: MinBalance},
		{name: "counters unavailable", limits: func(_ *Limits, o *Options) { o.Counters = failingCounters{} }, transfer: eurTransfer("1"), want: CountersUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.limits)
			s := baseState()
			if tt.setup != nil {
				tt.setup(f.e, s, f.counters)
			}
			a, err := f.e.CheckTransfer(ctx, t0, s, tt.transfer)
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("CheckTransfer = %v, want approved", err)
				}
				for _, k := range []string{"transfer", "transfer/" + tt.transfer.Destination} {
					if got, _ := f.counters.Get(ctx, k, f.e.Day(t0)); !got.Equal(a.Notional) || !got.IsPositive() {
						t.Errorf("counter %s = %s, want %s", k, got, a.Notional)
					}
				}
				if err := f.e.Release(ctx, a); err != nil {
					t.Fatal(err)
				}
				if got, _ := f.counters.Get(ctx, "transfer", f.e.Day(t0)); !got.IsZero() {
					t.Errorf("after Release counter = %s, want 0", got)
				}
				return
			}
			f.expectReason(t, err, tt.want)
			var rej *Rejection
			if errors.As(err, &rej); rej.Transfer.Destination != tt.transfer.Destination {
				t.Errorf("rejection carries transfer %+v", rej.Transfer)
			}
		})
	}
}

// TestCountersAddFailureUndoes checks that when the second reservation
// fails, the first is given back.
func TestCountersAddFailureUndoes(t *testing.T) {
	c := &flakyCounters{failOn: 2}
	f := newFixture(t, func(_ *Limits, o *Options) { o.Counters = c })
	_, err := f.e.CheckTransfer(ctx, t0, baseState(), eurTransfer("100"))
	f.expectReason(t, err, CountersUnavailable)
	if got, _ := c.Get(ctx, "transfer/bank-eur", f.e.Day(t0)); !got.IsZero() {
		t.Errorf("destination counter = %s after a failed reservation, want 0", got)
	}
}

type flakyCounters struct {
	MemoryCounters
	adds, failOn int
}

func (c *flakyCounters) Add(ctx2 context.Context, key string, day time.Time, v decimal.Decimal) error {
	c.adds++
	if c.adds == c.failOn {
		return errDisk
	}
	return c.MemoryCounters.Add(ctx2, key, day, v)
}

// slowCounters is MemoryCounters with a yield between reading a total and
// the next call, the window a concurrent check used to slip through.
type slowCounters struct{ MemoryCounters }

func (c *slowCounters) Get(ctx context.Context, key string, day time.Time) (decimal.Decimal, error) {
	v, err := c.MemoryCounters.Get(ctx, key, day)
	runtime.Gosched()
	return v, err
}

// Concurrent checks (the trading loop and treasury share the engine) never
// approve more than a daily cap allows together.
func TestConcurrentReservationsRespectTheCap(t *testing.T) {
	counters := &slowCounters{}
	f := newFixture(t, func(_ *Limits, o *Options) { o.Counters = counters })
	const n = 20
	approved := make(chan bool, n)
	for range n {
		go func() {
			_, err := f.e.CheckTransfer(ctx, t0, baseState(), eurTransfer("1000")) // the bank-eur cap is 5000
			approved <- err == nil
		}()
	}
	got := 0
	for range n {
		if <-approved {
			got++
		}
	}
	if got != 5 {
		t.Errorf("%d of %d concurrent 1000 EUR transfers approved, want 5 under the 5000 cap", got, n)
	}
}

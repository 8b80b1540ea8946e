package heropayments

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
)

func newTestLimits(t *testing.T, clk *clock.Manual) *Limits {
	t.Helper()
	l, err := NewLimits(LimitsConfig{
		Currency:      "USDT",
		MerchantDaily: decimal.RequireFromString("1000"),
		CustomerDaily: decimal.RequireFromString("300"),
		Clock:         clk.Clock(),
		Counters:      &MemoryCounters{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 6, 1, 23, 0, 0, 0, time.UTC))
	l := newTestLimits(t, clk)
	d := decimal.RequireFromString
	reserve := func(cust, amt string) error {
		_, err := l.Reserve(ctx, cust, d(amt))
		return err
	}
	if err := reserve("alice", "300"); err != nil {
		t.Fatalf("Reserve(alice, 300) at the customer limit = %v, want nil", err)
	}
	var le *LimitError
	if err := reserve("alice", "0.01"); !errors.As(err, &le) || le.Scope != ScopeCustomer || !le.Used.Equal(d("300")) {
		t.Fatalf("Reserve(alice, 0.01) over the customer limit = %v, want a customer LimitError", err)
	}
	for _, c := range []string{"bob", "carol"} {
		if err := reserve(c, "300"); err != nil {
			t.Fatalf("Reserve(%s, 300) = %v", c, err)
		}
	}
	if err := reserve("dave", "100.01"); !errors.As(err, &le) || le.Scope != ScopeMerchant || !errors.Is(err, ErrLimitExceeded) {
		t.Fatalf("Reserve(dave, 100.01) over the merchant limit = %v, want a merchant LimitError", err)
	}
	r, err := l.Reserve(ctx, "dave", d("100"))
	if err != nil {
		t.Fatalf("Reserve(dave, 100) exactly to the merchant limit = %v", err)
	}
	if err := r.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := reserve("erin", "100"); err != nil {
		t.Fatalf("after a release (twice, counted once), Reserve(erin, 100) = %v, want nil", err)
	}
	clk.Advance(time.Hour) // next UTC day: fresh limits
	if err := reserve("alice", "300"); err != nil {
		t.Fatalf("next day Reserve(alice, 300) = %v, want nil", err)
	}
}

func TestNewLimitsRefusesBadConfig(t *testing.T) {
	d := decimal.RequireFromString
	for name, cfg := range map[string]LimitsConfig{
		"no currency":       {MerchantDaily: d("1"), CustomerDaily: d("1"), Counters: &MemoryCounters{}},
		"zero merchant":     {Currency: "USDT", CustomerDaily: d("1"), Counters: &MemoryCounters{}},
		"customer above":    {Currency: "USDT", MerchantDaily: d("1"), CustomerDaily: d("2"), Counters: &MemoryCounters{}},
		"no counters":       {Currency: "USDT", MerchantDaily: d("1"), CustomerDaily: d("1")},
		"negative customer": {Currency: "USDT", MerchantDaily: d("1"), CustomerDaily: d("-1"), Counters: &MemoryCounters{}},
	} {
		if _, err := NewLimits(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: NewLimits = %v, want ErrConfig", name, err)
		}
	}
}

package merchant_test

import (
	"errors"
	"testing"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/merchant"
)

// The local mirror of the daily withdrawal limits, counted in the ledger,
// refuses a withdrawal over either limit before any request, and keeps its
// totals across a restart.
func TestLimitCountersInLedger(t *testing.T) {
	e := newEnv(t, envOptions{noRun: true})
	limits := func() *heropayments.Limits {
		l, err := heropayments.NewLimits(heropayments.LimitsConfig{Currency: "USDT", MerchantDaily: d("500"), CustomerDaily: d("200"),
			Clock: e.clock.Clock(), Counters: merchant.NewLimitCounters(e.store)})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := limits()
	if _, err := l.Reserve(e.ctx, "alice", d("150")); err != nil {
		t.Fatal(err)
	}
	var le *heropayments.LimitError
	if _, err := l.Reserve(e.ctx, "alice", d("60")); !errors.As(err, &le) || le.Scope != heropayments.ScopeCustomer {
		t.Fatalf("alice over her limit: %v, want a customer LimitError", err)
	}
	r, err := l.Reserve(e.ctx, "bob", d("200"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Release(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reserve(e.ctx, "bob", d("200")); err != nil {
		t.Fatalf("bob after a release: %v", err)
	}
	// A restart: new Limits over the same ledger.
	l = limits()
	if _, err := l.Reserve(e.ctx, "carol", d("200")); !errors.As(err, &le) || le.Scope != heropayments.ScopeMerchant || !le.Used.Equal(d("350")) {
		t.Fatalf("carol after a restart: %v, want the merchant limit with 350 used", err)
	}
	if _, err := l.Reserve(e.ctx, "alice", d("50")); err != nil {
		t.Fatalf("alice within both limits after a restart: %v", err)
	}
}

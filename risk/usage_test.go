package risk

import (
	"testing"
)

// TestUsageReadsWhatApprovalsReserved: an approved transfer shows in the
// day's usage, the global total and its destination's; another day's
// totals do not.
func TestUsageReadsWhatApprovalsReserved(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.e.CheckTransfer(ctx, t0, baseState(), eurTransfer("1200")); err != nil {
		t.Fatal(err)
	}
	if err := f.counters.Add(ctx, keyTradeNotional, f.e.Day(t0), d("300")); err != nil {
		t.Fatal(err)
	}
	if err := f.counters.Add(ctx, keyTradeNotional, f.e.Day(t0.AddDate(0, 0, -1)), d("999")); err != nil {
		t.Fatal(err)
	}
	u, err := f.e.Usage(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Traded.Equal(d("300")) || !u.Transferred.Equal(d("1200")) {
		t.Errorf("Usage = traded %s, transferred %s; want 300, 1200", u.Traded, u.Transferred)
	}
	if len(u.Destinations) != 2 || u.Destinations[0].Name != "bank-eur" || !u.Destinations[0].Used.Equal(d("1200")) ||
		!u.Destinations[0].Limit.Equal(d("5000")) || !u.Destinations[1].Used.IsZero() {
		t.Errorf("Usage.Destinations = %+v, want bank-eur 1200 of 5000, then cold-btc 0", u.Destinations)
	}
	if _, err := newFixture(t, func(_ *Limits, o *Options) { o.Counters = failingCounters{} }).e.Usage(ctx, t0); err == nil {
		t.Error("Usage with failing counters = nil error")
	}
}

package ledger

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestAddCounterAsyncOrder: a counter queued before an intent is durable
// when the intent is, across a reopen.
func TestAddCounterAsyncOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k := DailyNotional(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), "BTCEUR")
	var last <-chan error
	for i := range 100 {
		if last, err = s.AddCounterAsync(k, "op-"+string(rune('a'+i%26))+string(rune('a'+i/26)), decimal.NewFromInt(1)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateIntent(ctx, Intent{ClientID: "c" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Kind: IntentOrder, Venue: Hercle}); err != nil {
			t.Fatal(err)
		}
		// The intent is durable, so the counter queued before it is too.
		v, err := s.Counter(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Equal(decimal.NewFromInt(int64(i + 1))) {
			t.Fatalf("after intent %d the counter is %s", i, v)
		}
	}
	if err := <-last; err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCounterAsync(k, "", decimal.NewFromInt(1)); err == nil {
		t.Error("empty op id accepted")
	}
	s.Close()
	if _, err := s.AddCounterAsync(k, "late", decimal.NewFromInt(1)); err == nil {
		t.Error("a write after Close was queued")
	}
}

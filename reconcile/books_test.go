package reconcile

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
)

// TestJournalReadSplit: a journal read split into concurrent sequence
// ranges caches exactly the entries a single read does, in the window
// only, and a later read picks up only what was posted since.
func TestJournalReadSplit(t *testing.T) {
	ctx := context.Background()
	s, err := ledger.Open(filepath.Join(t.TempDir(), "l.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	post := func(i int) {
		t.Helper()
		amt := decimal.New(int64(i+1), -2)
		// Every seventh entry lies before the window.
		at := t0.Add(time.Duration(i) * time.Minute)
		if i%7 == 0 {
			at = t0.Add(-48 * time.Hour)
		}
		e := ledger.Entry{Key: fmt.Sprintf("hercle:deposit:d-%03d", i), Kind: ledger.KindDeposit, Time: at,
			Postings: []ledger.Posting{{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "BTC", Amount: amt},
				{Account: ledger.ExternalUnknown(), Asset: "BTC", Amount: amt.Neg()}}}
		if _, _, err := s.Post(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 101 {
		post(i)
	}
	since := t0.Add(-time.Hour)
	read := func(c *cache) map[string]uint64 {
		t.Helper()
		if _, err := loadBooks(ctx, s, c, since); err != nil {
			t.Fatal(err)
		}
		out := map[string]uint64{}
		for k, in := range c.entries {
			out[k] = in.seq
		}
		return out
	}
	whole := newCache()
	whole.parts = 1
	want := read(whole)
	if len(want) != 101-15 {
		t.Fatalf("single read cached %d entries, want %d", len(want), 101-15)
	}
	for _, parts := range []int{2, 3, 7} {
		split := newCache()
		split.splitFrom, split.parts = 10, parts
		if got := read(split); !maps.Equal(got, want) {
			t.Fatalf("%d parts cached %v, want %v", parts, got, want)
		}
		if split.lastSeq != 101 {
			t.Fatalf("%d parts: last sequence %d, want 101", parts, split.lastSeq)
		}
	}

	split := newCache()
	split.splitFrom, split.parts = 10, 3
	read(split)
	for i := 101; i < 131; i++ {
		post(i)
	}
	want = read(whole)
	if got := read(split); !maps.Equal(got, want) || split.lastSeq != 131 {
		t.Fatalf("incremental read cached %d entries up to %d, want %d up to 131", len(got), split.lastSeq, len(want))
	}
}

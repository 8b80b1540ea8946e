package ledger

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestMain lets the test binary act as the child process of the crash and
// lock tests (see child_test.go).
func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// fixedClock returns a clock that starts at a fixed time and advances one
// millisecond per call, so recorded times are distinct and reproducible.
func fixedClock() func() time.Time {
	t := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	ch := make(chan time.Time, 1)
	ch <- t
	return func() time.Time {
		now := <-ch
		ch <- now.Add(time.Millisecond)
		return now
	}
}

func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(path, Options{Now: fixedClock()})
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func trade(key string, btc, usdt string) Entry {
	return Entry{
		Key: key, Kind: KindTrade,
		Postings: []Posting{
			{VenueAvailable(Hercle), "BTC", d(btc)},
			{Counterparty(Hercle), "BTC", d(btc).Neg()},
			{VenueAvailable(Hercle), "USDT", d(usdt).Neg()},
			{Counterparty(Hercle), "USDT", d(usdt)},
		},
	}
}

func mustVerify(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Verify(context.Background()); err != nil {
		t.Fatalf("Verify = %v", err)
	}
}

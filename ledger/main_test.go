package ledger

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
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
// millisecond per reading, so recorded times are distinct and reproducible.
func fixedClock() clock.Clock {
	return clock.New(&stepping{m: clock.NewManual(time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC))})
}

// stepping is a manual clock that moves on one millisecond each time it is
// read.
type stepping struct {
	mu sync.Mutex // makes a reading and its step one move
	m  *clock.Manual
}

func (s *stepping) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.m.Now()
	s.m.Advance(time.Millisecond)
	return now
}

func (s *stepping) NewTimer(d time.Duration) clock.Timer { return s.m.NewTimer(d) }

func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(path, Options{Clock: fixedClock()})
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

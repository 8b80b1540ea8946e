package ledger

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func sentEntry(cid, btc string) Entry {
	return Entry{
		Key: SentKey(cid), Kind: KindWithdrawal, ClientID: cid, Refs: map[string]string{RefTo: "external:unknown"},
		Postings: []Posting{
			{VenueAvailable(Hercle), "BTC", d(btc).Neg()},
			{Transit(TransitWithdrawal, cid), "BTC", d(btc)},
		},
	}
}

func failedEntry(cid, btc string) Entry {
	return Entry{
		Key: FailedKey(cid), Kind: KindWithdrawalFailed, ClientID: cid,
		Postings: []Posting{
			{Transit(TransitWithdrawal, cid), "BTC", d(btc).Neg()},
			{VenueAvailable(Hercle), "BTC", d(btc)},
		},
	}
}

func withdrawalSubmission(cid string) Submission {
	return Submission{
		Intent:   Intent{ClientID: cid, Kind: IntentWithdrawal, Venue: Hercle, Request: []byte(`{"amount":1}`)},
		Entries:  []Entry{sentEntry(cid, "1")},
		Counters: []CounterAdd{{Key: CounterKey{Metric: "withdrawn", Day: "2025-03-04", Scope: "BTC"}, OpID: cid, Delta: d("1")}},
	}
}

// TestSubmitOneCommit: the intent (submitted), its entry and its counter
// are written by one transaction, and submitting the same Client-Id again
// writes nothing.
func TestSubmitOneCommit(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	post(t, s, Entry{Key: "open", Kind: KindOpening, Postings: []Posting{
		{VenueAvailable(Hercle), "BTC", d("5")}, {OpeningBalance(), "BTC", d("-5")}}})
	before := s.Stats().Commits
	in, created, err := s.Submit(ctx, withdrawalSubmission("W1"))
	if err != nil || !created || in.State != StateSubmitted {
		t.Fatalf("Submit = %v, %v, %v; want submitted, created", in.State, created, err)
	}
	if n := s.Stats().Commits - before; n != 1 {
		t.Errorf("Submit took %d commits, want 1", n)
	}
	if b, _ := s.Balance(ctx, VenueAvailable(Hercle), "BTC"); !b.Equal(d("4")) {
		t.Errorf("available = %s, want 4", b)
	}
	if c, _ := s.Counter(ctx, CounterKey{Metric: "withdrawn", Day: "2025-03-04", Scope: "BTC"}); !c.Equal(d("1")) {
		t.Errorf("counter = %s, want 1", c)
	}
	again, created, err := s.Submit(ctx, withdrawalSubmission("W1"))
	if err != nil || created || again.State != StateSubmitted {
		t.Fatalf("second Submit = %v, %v, %v; want the original, not created", again.State, created, err)
	}
	if b, _ := s.Balance(ctx, VenueAvailable(Hercle), "BTC"); !b.Equal(d("4")) {
		t.Errorf("available after the second Submit = %s, want 4", b)
	}
	mustVerify(t, s)
}

// TestSubmitRefusesWhole: a submission whose entry cannot be posted writes
// nothing, not even the intent.
func TestSubmitRefusesWhole(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	post(t, s, sentEntry("W2", "1")) // the key a new submission would use
	cases := map[string]Submission{
		"entry exists": withdrawalSubmission("W2"),
		"unbalanced": {Intent: Intent{ClientID: "W3", Kind: IntentWithdrawal, Venue: Hercle},
			Entries: []Entry{{Key: "W3:sent", Kind: KindWithdrawal, Postings: []Posting{
				{VenueAvailable(Hercle), "BTC", d("-1")}, {Transit(TransitWithdrawal, "W3"), "BTC", d("2")}}}}},
		"bad counter": {Intent: Intent{ClientID: "W4", Kind: IntentWithdrawal, Venue: Hercle},
			Counters: []CounterAdd{{Key: CounterKey{Metric: "x", Day: "yesterday", Scope: "BTC"}, OpID: "W4", Delta: d("1")}}},
	}
	for name, sub := range cases {
		t.Run(name, func(t *testing.T) {
			last, _ := s.LastSeq(ctx)
			if _, _, err := s.Submit(ctx, sub); err == nil {
				t.Fatal("Submit succeeded, want a refusal")
			}
			if _, err := s.Intent(ctx, sub.Intent.ClientID); !errors.Is(err, ErrNotFound) {
				t.Errorf("intent after a refused Submit: %v, want ErrNotFound", err)
			}
			if now, _ := s.LastSeq(ctx); now != last {
				t.Errorf("journal moved from %d to %d", last, now)
			}
		})
	}
}

// TestSettle: the failed entry, the release and the transition are one
// write; settling again changes nothing; the opposite outcome is refused.
func TestSettle(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	post(t, s, Entry{Key: "open", Kind: KindOpening, Postings: []Posting{
		{VenueAvailable(Hercle), "BTC", d("5")}, {OpeningBalance(), "BTC", d("-5")}}})
	if _, _, err := s.Submit(ctx, withdrawalSubmission("W1")); err != nil {
		t.Fatal(err)
	}
	release := CounterAdd{Key: CounterKey{Metric: "withdrawn", Day: "2025-03-04", Scope: "BTC"}, OpID: "W1:release", Delta: d("-1")}
	st := Settlement{ClientID: "W1", To: StateFailed, Detail: Detail{Note: "refused"},
		Entries: []Entry{failedEntry("W1", "1")}, Counters: []CounterAdd{release}}
	before := s.Stats().Commits
	in, err := s.Settle(ctx, st)
	if err != nil || in.State != StateFailed {
		t.Fatalf("Settle = %v, %v; want failed", in.State, err)
	}
	if n := s.Stats().Commits - before; n != 1 {
		t.Errorf("Settle took %d commits, want 1", n)
	}
	if _, err := s.Settle(ctx, st); err != nil {
		t.Errorf("Settle again = %v, want nil (nothing to do)", err)
	}
	if b, _ := s.Balance(ctx, VenueAvailable(Hercle), "BTC"); !b.Equal(d("5")) {
		t.Errorf("available = %s, want 5", b)
	}
	if c, _ := s.Counter(ctx, release.Key); !c.IsZero() {
		t.Errorf("counter = %s, want 0", c)
	}
	won := Settlement{ClientID: "W1", To: StateSucceeded, Entries: []Entry{{Key: SettledKey("W1"), Kind: KindWithdrawalSettled,
		Postings: []Posting{{Transit(TransitWithdrawal, "W1"), "BTC", d("-1")}, {ExternalUnknown(), "BTC", d("1")}}}}}
	if _, err := s.Settle(ctx, won); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("Settle with the other outcome = %v, want ErrIllegalTransition", err)
	}
	mustVerify(t, s)
}

// TestWatchBalances: every commit that changes a balance reaches the
// watcher before the write returns, and a snapshot taken after the watch
// started orders against the updates by TxID.
func TestWatchBalances(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var mu sync.Mutex
	got := map[string]string{}
	var last uint64
	stop := s.WatchBalances(func(u BalanceUpdate) {
		mu.Lock()
		defer mu.Unlock()
		if u.TxID <= last {
			t.Errorf("update %d after %d", u.TxID, last)
		}
		last = u.TxID
		for _, b := range u.Balances {
			got[b.Account.String()+" "+string(b.Asset)] = b.Amount.String()
		}
	})
	post(t, s, trade("t1", "1", "60000"))
	mu.Lock()
	if got["venue:hercle:available BTC"] != "1" || got["venue:hercle:available USDT"] != "-60000" {
		t.Errorf("after the trade the watcher saw %v", got)
	}
	mu.Unlock()
	snap, err := s.BalanceSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.TxID != last {
		t.Errorf("snapshot TxID %d, last update %d", snap.TxID, last)
	}
	post(t, s, trade("t2", "-1", "-60000")) // sells it back: both balances reach zero
	mu.Lock()
	if got["venue:hercle:available BTC"] != "0" || got["venue:hercle:available USDT"] != "0" {
		t.Errorf("a balance back to zero is reported as zero; saw %v", got)
	}
	mu.Unlock()
	stop()
	post(t, s, trade("t3", "2", "1"))
	mu.Lock()
	defer mu.Unlock()
	if got["venue:hercle:available BTC"] != "0" {
		t.Errorf("a stopped watcher was called: %v", got)
	}
}

func post(t *testing.T, s *Store, e Entry) {
	t.Helper()
	if _, _, err := s.Post(context.Background(), e); err != nil {
		t.Fatalf("Post(%s) = %v", e.Key, err)
	}
}

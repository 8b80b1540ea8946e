package ledger

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestWatchEntries: a watcher sees every entry once, in journal order,
// whether it was posted alone, in a group commit, or with an intent; an
// entry posted again (a no-op) and a refused one are not seen; a journal
// read after the watch started overlaps the updates only by Seq.
func TestWatchEntries(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	post(t, s, trade("before", "1", "60000"))
	var mu sync.Mutex
	var seen []Entry
	stop := s.WatchBalances(func(u BalanceUpdate) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, u.Entries...)
	})
	defer stop()
	var read []Entry
	if err := s.Journal(ctx, Filter{}, func(e Entry) error { read = append(read, e); return nil }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { post(t, s, trade(fmt.Sprintf("g%d", i), "1", "1")) })
	}
	wg.Wait()
	post(t, s, trade("g0", "1", "1")) // again: no entry
	if _, _, err := s.Post(ctx, Entry{Key: "bad", Kind: KindTrade, Postings: []Posting{{VenueAvailable(Hercle), "BTC", d("1")}}}); err == nil {
		t.Fatal("an unbalanced entry was posted")
	}
	if _, _, err := s.Submit(ctx, withdrawalSubmission("W1")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	all := append(read, seen...)
	if len(all) != 22 {
		t.Fatalf("journal read %d + watched %d entries, want 22 in all", len(read), len(seen))
	}
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d (%s) has Seq %d: the watch is not in journal order or repeats one", i, e.Key, e.Seq)
		}
		if e.Recorded.IsZero() {
			t.Errorf("entry %s watched without its Recorded time", e.Key)
		}
	}
	if last := all[len(all)-1]; last.Key != SentKey("W1") || len(last.Postings) != 2 {
		t.Errorf("last watched entry = %+v, want the withdrawal's sent entry with its postings", last)
	}
}

// An EntryQueue hands over every pushed entry once, in order, and signals
// Ready without blocking its pusher however many pushes wait.
func TestEntryQueue(t *testing.T) {
	q := NewEntryQueue()
	q.Push(BalanceUpdate{}) // no entries: nothing to tell
	select {
	case <-q.Ready():
		t.Fatal("Ready after a push with no entries")
	default:
	}
	for i := range 3 {
		q.Push(BalanceUpdate{Entries: []Entry{{Key: fmt.Sprint("e", i)}}})
	}
	<-q.Ready()
	var keys []string
	for _, e := range q.Take() {
		keys = append(keys, e.Key)
	}
	if fmt.Sprint(keys) != "[e0 e1 e2]" {
		t.Fatalf("Take = %v, want [e0 e1 e2]", keys)
	}
	if rest := q.Take(); len(rest) != 0 {
		t.Fatalf("a second Take = %v, want nothing", rest)
	}
}

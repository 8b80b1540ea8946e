package ledger

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// memLog is a replicated log in memory; fail makes Append refuse.
type memLog struct {
	mu      sync.Mutex
	entries [][]byte
	fail    error
}

func (l *memLog) Append(index uint64, delta []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	if index != uint64(len(l.entries))+1 {
		return fmt.Errorf("append %d after %d", index, len(l.entries))
	}
	l.entries = append(l.entries, delta)
	return nil
}

// TestReplicaHoldsTheSameBooks: every kind of write on a store feeding a
// log, applied in order to another store, gives the same books: equal
// fingerprints, the same journal and intents, and the copy verifies.
func TestReplicaHoldsTheSameBooks(t *testing.T) {
	ctx := context.Background()
	leader, _ := openTemp(t)
	log := &memLog{}
	if err := leader.JoinLog(ctx, "L1", 0); err != nil {
		t.Fatal(err)
	}
	leader.SetReplicator(log)
	post(t, leader, trade("t1", "1", "100"))
	var wg sync.WaitGroup
	for i := range 20 { // concurrent writers share transactions
		wg.Add(1)
		go func() {
			defer wg.Done()
			cid := fmt.Sprintf("W%d", i)
			if _, _, err := leader.Submit(ctx, withdrawalSubmission(cid)); err != nil {
				t.Error(err)
				return
			}
			if i%2 == 0 {
				_, err := leader.Settle(ctx, Settlement{ClientID: cid, To: StateFailed, Entries: []Entry{failedEntry(cid, "1")}})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if _, _, err := leader.PutEvent(ctx, Event{Source: SourceHercleWebhook, ID: "e1", Type: "x", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := leader.MarkProcessed(ctx, SourceHercleWebhook, "e1"); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		now := time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC)
		if _, err := leader.PutReport(ctx, Report{Started: now, Finished: now, Body: []byte(`{"n":1}`)}, 2); err != nil {
			t.Fatal(err)
		}
	}

	follower, err := Open(filepath.Join(t.TempDir(), "f.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer follower.Close()
	if err := follower.JoinLog(ctx, "L1", 0); err != nil {
		t.Fatal(err)
	}
	for i, e := range log.entries {
		if err := follower.Apply(ctx, uint64(i+1), e); err != nil {
			t.Fatalf("apply %d: %v", i+1, err)
		}
	}
	if err := follower.Apply(ctx, 1, log.entries[0]); !errors.Is(err, ErrReplicaOrder) {
		t.Errorf("applying entry 1 again = %v, want ErrReplicaOrder", err)
	}
	lf, _ := leader.Fingerprint(ctx)
	ff, _ := follower.Fingerprint(ctx)
	if lf != ff {
		t.Errorf("fingerprints differ: leader %s, follower %s", lf, ff)
	}
	ls, _ := leader.Replica(ctx)
	fs, _ := follower.Replica(ctx)
	if ls != fs || ls.Index != uint64(len(log.entries)) {
		t.Errorf("replica states: leader %+v, follower %+v, log %d entries", ls, fs, len(log.entries))
	}
	if err := follower.Verify(ctx); err != nil {
		t.Errorf("follower books: %v", err)
	}
	open, _ := follower.Unfinished(ctx)
	if len(open) != 10 {
		t.Errorf("follower holds %d unfinished intents, want 10", len(open))
	}
	if err := follower.JoinLog(ctx, "L2", 0); err == nil {
		t.Errorf("a store of log L1 joined log L2")
	}
}

// TestRefusedAppendWritesNothing: a write the replicator refuses (a node
// that is not the leader) returns its error and leaves the books as they
// were; local bookkeeping (the checkpoint) still writes.
func TestRefusedAppendWritesNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	notLeader := errors.New("not the leader")
	s.SetReplicator(&memLog{fail: notLeader})
	before, _ := s.Fingerprint(ctx)
	if _, _, err := s.Post(ctx, trade("t1", "1", "100")); !errors.Is(err, notLeader) {
		t.Fatalf("Post = %v, want the replicator's refusal", err)
	}
	if _, _, err := s.Submit(ctx, withdrawalSubmission("W1")); !errors.Is(err, notLeader) {
		t.Fatalf("Submit = %v, want the replicator's refusal", err)
	}
	if after, _ := s.Fingerprint(ctx); after != before {
		t.Errorf("a refused write changed the books")
	}
	if _, err := s.Check(ctx); err != nil {
		t.Errorf("Check (a local write) = %v", err)
	}
}

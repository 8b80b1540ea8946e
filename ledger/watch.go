package ledger

import (
	"context"
	"sync"

	"go.etcd.io/bbolt"
)

// BalanceUpdate is what one committed write transaction did to the
// balances: the new balance of every account and asset it changed, in the
// order the postings were applied (an account changed twice appears
// twice; the last is current). A balance that reached zero is listed with
// amount zero.
type BalanceUpdate struct {
	// TxID orders updates: every update a watcher receives has a higher
	// TxID than the one before, and a BalanceSnapshot with TxID n already
	// holds every update up to n.
	TxID     uint64
	Balances []Balance
	// Entries are the journal entries the transaction appended, as
	// stored (Seq and Recorded set), in journal order: a watcher sees
	// every entry once, in the order of Store.Journal. Follow the journal
	// as the balances: watch first, then read Journal, then drop the
	// entries whose Seq the read already returned.
	Entries []Entry
}

// WatchBalances calls fn after every committed transaction that changed a
// balance or appended a journal entry, whatever wrote it (a fill, a movement sent, settled or failed, a
// deposit, an adjustment), before the writes in that transaction return to
// their callers. fn runs on the store's writer goroutine: it must not
// block, nor write to the store. It owns the update. stop removes fn; after
// stop returns fn is not called again.
//
// To follow the balances, call WatchBalances first and BalanceSnapshot
// second, then drop updates whose TxID is not above the snapshot's.
func (s *Store) WatchBalances(fn func(BalanceUpdate)) (stop func()) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watchers == nil {
		s.watchers = map[int]func(BalanceUpdate){}
	}
	id := s.nextWatch
	s.nextWatch++
	s.watchers[id] = fn
	return func() {
		s.watchMu.Lock()
		defer s.watchMu.Unlock()
		delete(s.watchers, id)
	}
}

// notify hands u to every watcher; the writer goroutine calls it.
func (s *Store) notify(u BalanceUpdate) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for _, fn := range s.watchers {
		fn(u)
	}
}

// BalanceSnapshot returns every non-zero balance (sorted as Balances) and
// the TxID of the last transaction they include.
func (s *Store) BalanceSnapshot(ctx context.Context) (BalanceUpdate, error) {
	var out BalanceUpdate
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		out.TxID = uint64(tx.ID())
		var err error
		out.Balances, err = storedBalances(tx)
		return err
	})
	return out, err
}

// EntryQueue hands the journal entries of committed transactions from the
// writer goroutine (Push, as a WatchBalances callback: it only appends and
// never blocks) to a reader on a goroutine of its own (Ready, Take), in
// journal order. The zero value is not usable; use NewEntryQueue.
type EntryQueue struct {
	mu     sync.Mutex // guards queued
	queued []Entry
	ready  chan struct{}
}

// NewEntryQueue returns an empty queue.
func NewEntryQueue() *EntryQueue { return &EntryQueue{ready: make(chan struct{}, 1)} }

// Push queues u's entries; pass it to WatchBalances.
func (q *EntryQueue) Push(u BalanceUpdate) {
	if len(u.Entries) == 0 {
		return
	}
	q.mu.Lock()
	q.queued = append(q.queued, u.Entries...)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready receives after a Push; several Pushes may give one receive.
func (q *EntryQueue) Ready() <-chan struct{} { return q.ready }

// Take returns the entries queued since the last Take, oldest first.
func (q *EntryQueue) Take() []Entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.queued
	q.queued = nil
	return out
}

package ledger

// The group-commit writer: writes queue as ops; one goroutine applies a
// batch of them in one bbolt transaction and one fsync; when a batch
// fails, each of its writes is tried again in a transaction of its own,
// so one bad write never fails the others.

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// op is one queued write. fn runs inside the shared write transaction; it
// may run more than once (see writer), so it must set its results afresh
// on every call. An fn that returns a *rejection has written nothing and
// does not abort the others in its batch.
type op struct {
	fn   func(tx *bbolt.Tx) error
	done chan error // buffered 1
}

// rejection is an op's refusal (illegal transition, unknown key) found
// before it wrote anything.
type rejection struct{ err error }

func (r *rejection) Error() string { return r.err.Error() }

func reject(err error) error { return &rejection{err} }

// write queues fn for the writer and waits until its transaction is
// durable. If ctx ends first, write returns ctx.Err() and the write may
// still commit: callers re-issue idempotent writes to learn the outcome.
func (s *Store) write(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	// Check first, so a cancelled context never queues a write.
	if err := ctx.Err(); err != nil {
		return err
	}
	o, err := s.enqueue(fn)
	if err != nil {
		return err
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("ledger: outcome unknown, the write may still commit: %w", ctx.Err())
	}
}

// enqueue queues fn without waiting for the writer. Every write queued
// after enqueue returns commits in the same transaction as fn or a later
// one.
func (s *Store) enqueue(fn func(tx *bbolt.Tx) error) (*op, error) {
	if s.readOnly {
		return nil, ErrReadOnly
	}
	o := &op{fn: fn, done: make(chan error, 1)}
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return nil, ErrClosed
	}
	s.queue = append(s.queue, o)
	s.qmu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // the writer is already due to look
	}
	return o, nil
}

// take removes up to maxBatch queued writes, oldest first.
func (s *Store) take(batch []*op) []*op {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	n := min(len(s.queue), maxBatch)
	batch = append(batch[:0], s.queue[:n]...)
	clear(s.queue[:n])
	s.queue = s.queue[n:]
	if len(s.queue) == 0 {
		s.queue = nil // let the backing array go
	}
	return batch
}

// writer is the single goroutine that owns write transactions. It takes
// every queued write (up to maxBatch) and commits them together: with one
// writer each op gets its own fsync and no added delay; with many, one
// fsync serves all of them. After Close it drains the queue and stops.
func (s *Store) writer() {
	defer close(s.done)
	// A damaged page read through the memory map faults: as a panic,
	// recovered by update, not a crash.
	debug.SetPanicOnFault(true)
	batch := make([]*op, 0, maxBatch)
	for {
		closing := false
		select {
		case <-s.wake:
		case <-s.closing:
			closing = true
		}
		for {
			batch = s.take(batch)
			if len(batch) == 0 {
				break
			}
			s.commit(batch)
			clear(batch)
		}
		if closing {
			return
		}
	}
}

// commit runs a batch in one transaction. If an op fails with anything but
// a rejection, the transaction is rolled back and every op is run again in
// a transaction of its own, so one failing op cannot fail the others.
// Balance watchers hear of each committed transaction before any of its
// writers returns.
func (s *Store) commit(batch []*op) {
	results := make([]error, len(batch))
	start := s.wall.Now()
	err := s.update(func(tx *bbolt.Tx) error {
		for i, o := range batch {
			err := o.fn(tx)
			var r *rejection
			if errors.As(err, &r) {
				results[i] = r.err
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.committed(start, len(batch))
		for i, o := range batch {
			o.done <- results[i]
		}
		return
	}
	for _, o := range batch {
		start := s.wall.Now()
		err := s.update(o.fn)
		if err == nil {
			s.committed(start, 1)
		}
		var r *rejection
		if errors.As(err, &r) {
			err = r.err
		}
		o.done <- err
	}
}

// update runs fn in a write transaction and, once it has committed, tells
// the balance watchers what it changed. A damaged page is an error, as in
// view.
func (s *Store) update(fn func(tx *bbolt.Tx) error) (err error) {
	defer s.recoverDamage(&err)
	s.changed, s.posted = s.changed[:0], s.posted[:0]
	clear(s.delta)
	s.delta = s.delta[:0]
	var txid uint64
	refused, appended := false, false
	err = s.db.Update(func(tx *bbolt.Tx) error {
		txid = uint64(tx.ID())
		if err := fn(tx); err != nil {
			refused = true
			return err
		}
		if s.diverged != nil && len(s.delta) > 0 {
			refused = true
			return fmt.Errorf("%w: %w", ErrDiverged, s.diverged)
		}
		var err error
		if appended, err = s.appendDelta(tx); err != nil {
			refused = true
			return err
		}
		return nil
	})
	if err != nil && appended {
		s.diverged = err
	}
	switch {
	case err == nil && (len(s.changed) > 0 || len(s.posted) > 0):
		s.notify(BalanceUpdate{TxID: txid, Balances: slices.Clone(s.changed), Entries: slices.Clone(s.posted)})
	case err != nil && !refused && s.onError != nil:
		// fn wrote and the commit failed: the file or the disk.
		s.onError(err)
	}
	return err
}

// committed counts a committed transaction of n writes.
func (s *Store) committed(start time.Time, n int) {
	s.commits.Add(1)
	s.writes.Add(uint64(n))
	if s.onCommit != nil {
		s.onCommit(s.wall.Since(start), n)
	}
}

package heropayments

import (
	"context"
	"sync"
)

// MemoryInbox is a CallbackInbox held in memory, for tests and paper mode.
// It is not durable: a real deployment stores callbacks in the ledger.
// The zero value is ready; it is safe for concurrent use.
type MemoryInbox struct {
	mu      sync.Mutex // guards the fields below
	ids     map[string]bool
	stored  []Callback
	changed chan struct{} // closed and replaced on every new callback
}

// Store implements CallbackInbox.
func (m *MemoryInbox) Store(_ context.Context, cb Callback) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ids[cb.ID] {
		return true, nil
	}
	if m.ids == nil {
		m.ids = map[string]bool{}
	}
	m.ids[cb.ID] = true
	m.stored = append(m.stored, cb)
	if m.changed != nil {
		close(m.changed)
		m.changed = nil
	}
	return false, nil
}

// Callbacks returns the callbacks stored so far, in arrival order.
func (m *MemoryInbox) Callbacks() []Callback {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Callback(nil), m.stored...)
}

// Wait blocks until cond holds for the stored callbacks or ctx ends.
func (m *MemoryInbox) Wait(ctx context.Context, cond func([]Callback) bool) error {
	for {
		m.mu.Lock()
		if cond(m.stored) {
			m.mu.Unlock()
			return nil
		}
		if m.changed == nil {
			m.changed = make(chan struct{})
		}
		ch := m.changed
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

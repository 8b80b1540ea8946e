package risk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
)

// LedgerCounters keeps risk's daily totals in the ledger, so a restart
// does not reset them, without an fsync in the path from tick to order:
// totals live in memory (this process owns the ledger), loaded from the
// ledger on first use, and each Add is queued to the ledger's writer
// without waiting. The writer commits in queue order, so an Add made while
// approving an intent is durable no later than the intent itself, which
// execution records before anything is sent. It is safe for concurrent
// use.
type LedgerCounters struct {
	s   *ledger.Store
	log *slog.Logger

	mu     sync.Mutex // guards totals
	totals map[ledger.CounterKey]decimal.Decimal
}

// NewLedgerCounters returns counters kept in s; log receives the rare
// commit failure of an Add already counted in memory.
func NewLedgerCounters(s *ledger.Store, log *slog.Logger) *LedgerCounters {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LedgerCounters{s: s, log: log, totals: map[ledger.CounterKey]decimal.Decimal{}}
}

func ledgerKey(key string, day time.Time) ledger.CounterKey {
	// day is midnight in risk's day zone: its own calendar date names it.
	return ledger.CounterKey{Metric: "risk", Day: day.Format(time.DateOnly), Scope: key}
}

// load returns k's total, reading the ledger once; c.mu is held.
func (c *LedgerCounters) load(ctx context.Context, k ledger.CounterKey) (decimal.Decimal, error) {
	if v, ok := c.totals[k]; ok {
		return v, nil
	}
	v, err := c.s.Counter(ctx, k)
	if err != nil {
		return decimal.Decimal{}, err
	}
	c.totals[k] = v
	return v, nil
}

// Add adds v to key's total of day.
func (c *LedgerCounters) Add(ctx context.Context, key string, day time.Time, v decimal.Decimal) error {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	k := ledgerKey(key, day)
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, err := c.load(ctx, k)
	if err != nil {
		return err
	}
	done, err := c.s.AddCounterAsync(k, "risk-"+hex.EncodeToString(b[:]), v)
	if err != nil {
		return err
	}
	c.totals[k] = cur.Add(v)
	go func() {
		if err := <-done; err != nil {
			c.log.Error("risk counter not persisted", "key", key, "day", k.Day, "err", err)
		}
	}()
	return nil
}

// Get returns key's total of day.
func (c *LedgerCounters) Get(ctx context.Context, key string, day time.Time) (decimal.Decimal, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.load(ctx, ledgerKey(key, day))
}

package risk

import (
	"context"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Counters holds daily totals that must survive restarts. The ledger
// implements it in the same store as the journal; MemoryCounters serves
// backtests and tests.
//
// day is the start of the day (midnight in Limits.DayZone); keys are
// risk's own ("trade_notional", "transfer", "transfer/<destination>").
// Add adds v (which may be negative, to release a reservation) and must be
// durable when it returns nil. Get returns zero for a total never added to.
// Implementations must be safe for concurrent use.
type Counters interface {
	Add(ctx context.Context, key string, day time.Time, v decimal.Decimal) error
	Get(ctx context.Context, key string, day time.Time) (decimal.Decimal, error)
}

// MemoryCounters is Counters in memory. The zero value is ready to use and
// safe for concurrent use.
type MemoryCounters struct {
	mu sync.Mutex // guards m
	m  map[counterKey]decimal.Decimal
}

type counterKey struct {
	key string
	day int64 // Unix seconds of the day's start
}

// Add adds v to key's total for day.
func (c *MemoryCounters) Add(_ context.Context, key string, day time.Time, v decimal.Decimal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[counterKey]decimal.Decimal)
	}
	k := counterKey{key, day.Unix()}
	c.m[k] = c.m[k].Add(v)
	return nil
}

// Get returns key's total for day.
func (c *MemoryCounters) Get(_ context.Context, key string, day time.Time) (decimal.Decimal, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[counterKey{key, day.Unix()}], nil
}

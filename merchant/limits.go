package merchant

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
)

// CounterStore is the part of the ledger LimitCounters uses.
// *ledger.Store implements it.
type CounterStore interface {
	AddCounter(ctx context.Context, k ledger.CounterKey, opID string, delta decimal.Decimal) (decimal.Decimal, bool, error)
	Counter(ctx context.Context, k ledger.CounterKey) (decimal.Decimal, error)
}

// Counter metric of the Heropayments withdrawal limits in the ledger.
const limitMetric = "heropayments.withdrawn"

// LimitCounters keeps heropayments.Limits' daily totals in the ledger, so
// a restart does not reset the local mirror of the merchant's and
// customers' daily withdrawal limits. Pass it as
// heropayments.LimitsConfig.Counters. It is safe for concurrent use (the
// Limits serialise their calls).
//
// The merchant total and the customer's are two ledger counters, written
// one after the other: a crash between the two can leave the customer's
// total short by that one amount while the merchant's is right.
// Heropayments enforces the real limits; this mirror only refuses early.
type LimitCounters struct {
	store CounterStore
}

// NewLimitCounters returns the ledger-backed counters.
func NewLimitCounters(store CounterStore) *LimitCounters { return &LimitCounters{store: store} }

func merchantKey(day string) ledger.CounterKey {
	return ledger.CounterKey{Metric: limitMetric, Day: day, Scope: "merchant"}
}

func customerKey(day, customerID string) ledger.CounterKey {
	return ledger.CounterKey{Metric: limitMetric, Day: day, Scope: "customer:" + customerID}
}

// Used implements heropayments.LimitCounters.
func (c *LimitCounters) Used(ctx context.Context, day, customerID string) (merchant, customer decimal.Decimal, err error) {
	if merchant, err = c.store.Counter(ctx, merchantKey(day)); err != nil {
		return decimal.Zero, decimal.Zero, fmt.Errorf("merchant withdrawals of %s: %w", day, err)
	}
	if customer, err = c.store.Counter(ctx, customerKey(day, customerID)); err != nil {
		return decimal.Zero, decimal.Zero, fmt.Errorf("withdrawals of customer %s on %s: %w", customerID, day, err)
	}
	return merchant, customer, nil
}

// Add implements heropayments.LimitCounters. Every call counts: each is
// its own operation in the ledger's counters.
func (c *LimitCounters) Add(ctx context.Context, day, customerID string, amount decimal.Decimal) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	op := hex.EncodeToString(b[:])
	if _, _, err := c.store.AddCounter(ctx, merchantKey(day), op, amount); err != nil {
		return fmt.Errorf("count merchant withdrawals of %s: %w", day, err)
	}
	if _, _, err := c.store.AddCounter(ctx, customerKey(day, customerID), op, amount); err != nil {
		return fmt.Errorf("count withdrawals of customer %s on %s: %w", customerID, day, err)
	}
	return nil
}

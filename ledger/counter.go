package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"
)

// CounterKey names a risk counter: a metric for one UTC day and one scope.
type CounterKey struct {
	Metric string // "notional" or "withdrawn"
	Day    string // UTC date, YYYY-MM-DD
	Scope  string // pair symbol, or destination account name
}

// DailyNotional is the traded notional (in the pair's quote currency) of
// pair on the UTC day of t.
func DailyNotional(t time.Time, pair string) CounterKey {
	return CounterKey{Metric: "notional", Day: t.UTC().Format(time.DateOnly), Scope: pair}
}

// DailyWithdrawn is the amount withdrawn to destination on the UTC day of t
// (use the destination account name, for example an ExternalAddress).
func DailyWithdrawn(t time.Time, destination Account) CounterKey {
	return CounterKey{Metric: "withdrawn", Day: t.UTC().Format(time.DateOnly), Scope: destination.String()}
}

func (k CounterKey) validate() error {
	if k.Metric == "" || strings.IndexByte(k.Metric, 0) >= 0 || strings.IndexByte(k.Scope, 0) >= 0 ||
		k.Scope == "" || len(k.Metric)+len(k.Scope) > maxAccountLen {
		return fmt.Errorf("%w: counter %q/%q: metric and scope must be non-empty", ErrInvalidEntry, k.Metric, k.Scope)
	}
	if _, err := time.Parse(time.DateOnly, k.Day); err != nil {
		return fmt.Errorf("%w: counter day %q is not YYYY-MM-DD", ErrInvalidEntry, k.Day)
	}
	return nil
}

func (k CounterKey) bytes() []byte {
	return []byte(k.Metric + "\x00" + k.Day + "\x00" + k.Scope)
}

// AddCounter adds delta to the counter and returns the new total. opID
// makes the addition happen once per counter: a second AddCounter on the
// same key with the same opID (say, the intent's Client-Id, retried after a
// crash) changes nothing and returns the current total with applied false.
// delta may be negative, to release a reservation under another opID.
func (s *Store) AddCounter(ctx context.Context, k CounterKey, opID string, delta decimal.Decimal) (decimal.Decimal, bool, error) {
	var (
		total   decimal.Decimal
		applied bool
	)
	fn, err := s.addCounterFn(k, opID, delta, &total, &applied)
	if err != nil {
		return decimal.Decimal{}, false, err
	}
	if err = s.write(ctx, fn); err != nil {
		// The write may still commit and set total: do not read it.
		return decimal.Decimal{}, false, err
	}
	return total, applied, nil
}

// AddCounterAsync queues AddCounter without waiting for its commit, for
// callers that keep the running total in memory. Every write queued after
// it returns (an intent, say) commits in the same transaction or a later
// one, so the counter is durable no later than the write that depends on
// it. The channel yields the commit's outcome once.
func (s *Store) AddCounterAsync(k CounterKey, opID string, delta decimal.Decimal) (<-chan error, error) {
	var (
		total   decimal.Decimal
		applied bool
	)
	fn, err := s.addCounterFn(k, opID, delta, &total, &applied)
	if err != nil {
		return nil, err
	}
	o, err := s.enqueue(fn)
	if err != nil {
		return nil, err
	}
	return o.done, nil
}

func (s *Store) addCounterFn(k CounterKey, opID string, delta decimal.Decimal, total *decimal.Decimal, applied *bool) (func(*bbolt.Tx) error, error) {
	if err := k.validate(); err != nil {
		return nil, err
	}
	if opID == "" || len(opID) > maxKeyLen {
		return nil, fmt.Errorf("%w: counter op id must be 1-%d bytes", ErrInvalidEntry, maxKeyLen)
	}
	if err := checkAmount(delta); err != nil {
		return nil, fmt.Errorf("%w: counter %s: %s", ErrInvalidEntry, k.Metric, err)
	}
	return func(tx *bbolt.Tx) error {
		*applied = false
		b := tx.Bucket(bucketCounters)
		cur, err := counterValue(b, k)
		if err != nil {
			return err
		}
		*total = cur
		ops := tx.Bucket(bucketCounterOps)
		opKey := append(append(k.bytes(), 0), opID...)
		if ops.Get(opKey) != nil {
			return nil
		}
		*total = cur.Add(delta)
		if err := s.put(tx, bucketCounters, k.bytes(), []byte(total.String())); err != nil {
			return err
		}
		*applied = true
		return s.put(tx, bucketCounterOps, opKey, nil)
	}, nil
}

// Counter returns the counter's total; zero if it was never added to.
func (s *Store) Counter(ctx context.Context, k CounterKey) (decimal.Decimal, error) {
	var total decimal.Decimal
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		total, err = counterValue(tx.Bucket(bucketCounters), k)
		return err
	})
	return total, err
}

func counterValue(b *bbolt.Bucket, k CounterKey) (decimal.Decimal, error) {
	v := b.Get(k.bytes())
	if v == nil {
		return decimal.Zero, nil
	}
	d, err := parseAmount(v)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%w: counter %s %s %s: %w", ErrCorrupt, k.Metric, k.Day, k.Scope, err)
	}
	return d, nil
}

package heropayments

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
)

// Scopes of a daily withdrawal limit (LimitError.Scope).
const (
	ScopeMerchant = "merchant" // the whole merchant account per day
	ScopeCustomer = "customer" // each customerId per day
)

// LimitCounters persists the amounts withdrawn per day. The ledger
// implements it durably; MemoryCounters serves tests and paper mode.
//
// Used returns what day has already counted for the whole merchant
// account and for customerID. Add adds amount (negative to release a
// reservation) to both. Limits serialises its calls, so an implementation
// needs no locking of its own for one Limits; a Limits shared by several
// processes needs counters that are atomic across them.
type LimitCounters interface {
	Used(ctx context.Context, day, customerID string) (merchant, customer decimal.Decimal, err error)
	Add(ctx context.Context, day, customerID string, amount decimal.Decimal) error
}

// LimitsConfig configures Limits.
type LimitsConfig struct {
	// Currency the limits are expressed in (the merchant wallet's, "USDT").
	Currency string
	// MerchantDaily and CustomerDaily mirror the limits set at
	// Heropayments; both must be positive.
	MerchantDaily decimal.Decimal
	CustomerDaily decimal.Decimal
	// Location decides where a day starts; nil means UTC (the document
	// does not say; UTC is assumed).
	Location *time.Location
	// Clock says which day it is; the zero value is the system clock.
	Clock clock.Clock
	// Counters stores the totals; required.
	Counters LimitCounters
}

// Limits mirrors Heropayments' daily withdrawal limits locally, so a
// withdrawal that would exceed one is refused before any request. It is
// safe for concurrent use; create it with NewLimits.
type Limits struct {
	currency      string
	merchantDaily decimal.Decimal
	customerDaily decimal.Decimal
	loc           *time.Location
	clock         clock.Clock

	mu       sync.Mutex // serialises check-then-add on counters
	counters LimitCounters
}

// NewLimits validates cfg.
func NewLimits(cfg LimitsConfig) (*Limits, error) {
	switch {
	case cfg.Currency == "":
		return nil, fmt.Errorf("%w: limits need a Currency", ErrConfig)
	case !cfg.MerchantDaily.IsPositive() || !cfg.CustomerDaily.IsPositive():
		return nil, fmt.Errorf("%w: MerchantDaily and CustomerDaily must be positive", ErrConfig)
	case cfg.CustomerDaily.GreaterThan(cfg.MerchantDaily):
		return nil, fmt.Errorf("%w: CustomerDaily %s exceeds MerchantDaily %s", ErrConfig, cfg.CustomerDaily, cfg.MerchantDaily)
	case cfg.Counters == nil:
		return nil, fmt.Errorf("%w: limits need Counters", ErrConfig)
	}
	l := &Limits{currency: cfg.Currency, merchantDaily: cfg.MerchantDaily, customerDaily: cfg.CustomerDaily,
		loc: cfg.Location, clock: cfg.Clock, counters: cfg.Counters}
	if l.loc == nil {
		l.loc = time.UTC
	}
	return l, nil
}

// Currency returns the currency the limits count in.
func (l *Limits) Currency() string { return l.currency }

// Reserve counts amount against today's merchant and customer limits, or
// refuses with a *LimitError (errors.Is ErrLimitExceeded) and counts
// nothing. Release the reservation if the withdrawal is definitively
// refused; keep it when it was sent or its outcome is unknown.
func (l *Limits) Reserve(ctx context.Context, customerID string, amount decimal.Decimal) (*Reservation, error) {
	if customerID == "" || !amount.IsPositive() {
		return nil, fmt.Errorf("%w: a reservation needs a customer and a positive amount", ErrInvalidInput)
	}
	day := l.clock.Now().In(l.loc).Format(time.DateOnly)
	l.mu.Lock()
	defer l.mu.Unlock()
	merchant, customer, err := l.counters.Used(ctx, day, customerID)
	if err != nil {
		return nil, fmt.Errorf("heropayments: read withdrawal limits for %s: %w", day, err)
	}
	le := &LimitError{CustomerID: customerID, Day: day, Amount: amount}
	switch {
	case merchant.Add(amount).GreaterThan(l.merchantDaily):
		le.Scope, le.Limit, le.Used = ScopeMerchant, l.merchantDaily, merchant
		return nil, le
	case customer.Add(amount).GreaterThan(l.customerDaily):
		le.Scope, le.Limit, le.Used = ScopeCustomer, l.customerDaily, customer
		return nil, le
	}
	if err := l.counters.Add(ctx, day, customerID, amount); err != nil {
		return nil, fmt.Errorf("heropayments: count withdrawal against limits for %s: %w", day, err)
	}
	return &Reservation{l: l, day: day, customer: customerID, amount: amount}, nil
}

// Reservation is an amount counted against a day's limits.
type Reservation struct {
	l        *Limits
	day      string
	customer string
	amount   decimal.Decimal

	mu       sync.Mutex // guards released
	released bool
}

// Release un-counts the reservation; a second call does nothing.
func (r *Reservation) Release(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.released {
		return nil
	}
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	if err := r.l.counters.Add(ctx, r.day, r.customer, r.amount.Neg()); err != nil {
		return fmt.Errorf("heropayments: release withdrawal limit for %s: %w", r.day, err)
	}
	r.released = true
	return nil
}

// MemoryCounters is an in-memory LimitCounters, for tests and paper mode:
// it forgets everything when the process ends. The zero value is ready;
// it is safe for concurrent use.
type MemoryCounters struct {
	mu       sync.Mutex // guards the maps
	merchant map[string]decimal.Decimal
	customer map[[2]string]decimal.Decimal
}

// Used implements LimitCounters.
func (m *MemoryCounters) Used(_ context.Context, day, customerID string) (merchant, customer decimal.Decimal, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.merchant[day], m.customer[[2]string{day, customerID}], nil
}

// Add implements LimitCounters.
func (m *MemoryCounters) Add(_ context.Context, day, customerID string, amount decimal.Decimal) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.merchant == nil {
		m.merchant = map[string]decimal.Decimal{}
		m.customer = map[[2]string]decimal.Decimal{}
	}
	m.merchant[day] = m.merchant[day].Add(amount)
	k := [2]string{day, customerID}
	m.customer[k] = m.customer[k].Add(amount)
	return nil
}

package merchant

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
)

// PaymentState is what the processor knows of one payment: the latest
// status applied and what it did. It is rebuilt from the inbox at start-up.
type PaymentState struct {
	Key  heropayments.PaymentKey
	Flow heropayments.Flow
	Kind heropayments.Kind
	// ID is Heropayments' payment id, once a callback or poll named it.
	ID string
	// Status is the latest status applied; empty for a deposit tracked by
	// CreateDeposit that Heropayments has not reported yet.
	Status  heropayments.Status
	Outcome heropayments.Outcome
	// Currency and Amount are the payment's, as last reported;
	// MerchantAmount is what the merchant account was (or will be)
	// credited or debited.
	Currency       string
	Amount         decimal.Decimal
	MerchantAmount decimal.Decimal
	CustomerID     string
	// EntryKey is the journal entry that applied the final status, if any
	// (a failed deposit has none).
	EntryKey string
	// Origin says where Status came from: OriginCallback, OriginPoll or
	// OriginTracked.
	Origin string
	// FirstSeen is when the engine first knew of the payment (ledger time
	// of its first inbox event); Updated when Status last changed.
	FirstSeen time.Time
	Updated   time.Time
	// Treasury marks a treasury settlement: recorded here, applied by
	// package treasury.
	Treasury bool
	// Abandoned marks a tracked deposit Heropayments never knew of after
	// GiveUpAfter: it is no longer polled.
	Abandoned bool
}

// registry holds the PaymentState of every payment seen. It is safe for
// concurrent use.
type registry struct {
	mu       sync.Mutex // guards the fields below
	payments map[heropayments.PaymentKey]*PaymentState
}

func newRegistry() *registry {
	return &registry{payments: map[heropayments.PaymentKey]*PaymentState{}}
}

// get returns a copy of the state of k.
func (r *registry) get(k heropayments.PaymentKey) (PaymentState, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.payments[k]
	if !ok {
		return PaymentState{}, false
	}
	return *s, true
}

// update applies fn to the state of k, creating it (FirstSeen at) if
// absent.
func (r *registry) update(k heropayments.PaymentKey, at time.Time, fn func(*PaymentState)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.payments[k]
	if !ok {
		s = &PaymentState{Key: k, FirstSeen: at, Updated: at}
		r.payments[k] = s
	}
	if at.Before(s.FirstSeen) {
		s.FirstSeen = at
	}
	fn(s)
}

// all returns a copy of every state, sorted by key.
func (r *registry) all() []PaymentState {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]PaymentState, 0, len(r.payments))
	for _, s := range r.payments {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b PaymentState) int {
		return cmp.Or(cmp.Compare(a.Key.ExternalOrderID, b.Key.ExternalOrderID), cmp.Compare(a.Key.Sequence, b.Key.Sequence))
	})
	return out
}

// open returns a copy of the state of every payment still expecting a
// final status that may be polled, and the keys of all payments.
func (r *registry) open() (open []PaymentState, known map[heropayments.PaymentKey]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	known = make(map[heropayments.PaymentKey]bool, len(r.payments))
	for k, s := range r.payments {
		known[k] = true
		if !s.Outcome.Final() && !s.Abandoned && !s.Treasury && s.Kind != "" {
			open = append(open, *s)
		}
	}
	return open, known
}

// unresolved counts the payments still expecting a final status.
func (r *registry) unresolved() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.payments {
		if !s.Outcome.Final() && !s.Abandoned && !s.Treasury {
			n++
		}
	}
	return n
}

// observe records a status of the payment: any status while none is
// final, or a status of the same outcome as the final one, replaces the
// current one; a different outcome after a final one is ignored.
func observe(s *PaymentState, p heropayments.Payment, flow heropayments.Flow, kind heropayments.Kind, o heropayments.Outcome, origin string, at time.Time) {
	if s.Outcome.Final() && o != s.Outcome {
		return
	}
	s.Flow, s.Kind = flow, kind
	if p.ID != "" {
		s.ID = p.ID
	}
	s.Status, s.Outcome, s.Origin, s.Updated = p.Status, o, origin, at
	if p.Currency != "" {
		s.Currency = p.Currency
	}
	if p.CustomerID != "" {
		s.CustomerID = p.CustomerID
	}
	if p.Amount.IsPositive() {
		s.Amount = p.Amount.Decimal
	}
	if p.MerchantAmount.IsPositive() {
		s.MerchantAmount = p.MerchantAmount.Decimal
	}
}

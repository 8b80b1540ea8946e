package inbound

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/market"
)

// stamp orders updates of one record: event time first, then the status's
// stage, then the event id, so the same events give the same registry
// whatever order they are applied in (start-up rebuilds walk the inbox in
// key order, not arrival order).
type stamp struct {
	At      time.Time
	Rank    int
	EventID string
}

func (s stamp) after(o stamp) bool {
	if c := s.At.Compare(o.At); c != 0 {
		return c > 0
	}
	if s.Rank != o.Rank {
		return s.Rank > o.Rank
	}
	return s.EventID > o.EventID
}

// PayeeAddress is the latest known state of a payee address
// (Payee.StatusUpdated).
type PayeeAddress struct {
	ID, PayeeID, Name    string
	Asset                market.Asset
	Address, Network     string
	Status               webhook.PayeeAddressStatus
	ConfirmationStrategy webhook.ConfirmationStrategy
	Updated              time.Time // event time of the update applied
	EventID              string    // the event it came from
}

// Approved reports whether treasury may send to the address.
func (a PayeeAddress) Approved() bool { return a.Status == webhook.PayeeAddressApproved }

// Payee is a payee as registered (Payee.Created).
type Payee struct {
	ID, EndUserID, Name, Surname, Company, Country string
	Type                                           webhook.PayeeType
	Disabled, Deleted                              bool
	Updated                                        time.Time
	EventID                                        string
}

// EndUser is the latest known state of an end user (EndUser.*).
type EndUser struct {
	ID       string
	Business bool
	Name     string // company name, or first and last name
	Status   webhook.RegistrationStatus
	Updated  time.Time
	EventID  string
}

// VirtualAccount is a registered internal address (VirtualAccount.Registered).
type VirtualAccount struct {
	ID, EndUserID, Name string
	Asset               market.Asset
	Address, Network    string
	Deleted             bool
	Updated             time.Time
	EventID             string
}

// BalanceSnapshot is the venue's latest reported balance of one asset
// (Balance.Updated), kept for reconciliation against the journal.
type BalanceSnapshot struct {
	UserID    string
	Asset     market.Asset
	Available decimal.Decimal
	Allocated decimal.Decimal
	Sequence  int64
	At        time.Time
	EventID   string
}

// Registry holds what the non-monetary webhooks say: payees and their
// addresses, end users, virtual accounts and the latest balance snapshot
// per asset. It is kept in memory and rebuilt from the inbox at start-up
// (processed events stay there). It is safe for concurrent use; its
// queries return copies.
type Registry struct {
	mu        sync.RWMutex
	addresses map[string]entryOf[PayeeAddress]
	payees    map[string]entryOf[Payee]
	endUsers  map[string]entryOf[EndUser]
	accounts  map[string]entryOf[VirtualAccount]
	balances  map[string]BalanceSnapshot // by asset
	balSeq    map[string]int64           // latest Sequence applied, by user id
}

type entryOf[T any] struct {
	v T
	s stamp
}

func newRegistry() *Registry {
	return &Registry{
		addresses: map[string]entryOf[PayeeAddress]{},
		payees:    map[string]entryOf[Payee]{},
		endUsers:  map[string]entryOf[EndUser]{},
		accounts:  map[string]entryOf[VirtualAccount]{},
		balances:  map[string]BalanceSnapshot{},
		balSeq:    map[string]int64{},
	}
}

// put stores v under id unless a later update is already there. It
// reports whether v was applied.
func put[T any](m map[string]entryOf[T], id string, v T, s stamp, terminal func(T) bool) bool {
	if id == "" {
		return false
	}
	if old, ok := m[id]; ok {
		if terminal != nil && terminal(old.v) || !s.after(old.s) {
			return false
		}
	}
	m[id] = entryOf[T]{v: v, s: s}
	return true
}

func (r *Registry) putPayeeAddress(a PayeeAddress) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return put(r.addresses, a.ID, a, stamp{a.Updated, payeeAddressRank(a.Status), a.EventID},
		func(old PayeeAddress) bool { return old.Status == webhook.PayeeAddressDeleted })
}

func (r *Registry) putPayee(p Payee) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return put(r.payees, p.ID, p, stamp{p.Updated, 0, p.EventID}, nil)
}

func (r *Registry) putEndUser(u EndUser) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return put(r.endUsers, u.ID, u, stamp{u.Updated, registrationRank(u.Status), u.EventID}, nil)
}

func (r *Registry) putVirtualAccount(a VirtualAccount) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return put(r.accounts, a.ID, a, stamp{a.Updated, 0, a.EventID},
		func(old VirtualAccount) bool { return old.Deleted })
}

// putBalances applies a Balance.Updated snapshot if its Sequence is newer
// than the last applied for the same user.
func (r *Registry) putBalances(userID string, seq int64, snaps []BalanceSnapshot) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.balSeq[userID]; ok && seq <= last {
		return false
	}
	r.balSeq[userID] = seq
	for _, s := range snaps {
		r.balances[string(s.Asset)] = s
	}
	return true
}

// PayeeAddress returns the latest known state of a payee address.
func (r *Registry) PayeeAddress(id string) (PayeeAddress, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.addresses[id]
	return e.v, ok
}

// ApprovedPayeeAddresses returns every payee address whose latest status is
// APPROVED, sorted by id: the destinations treasury may pay.
func (r *Registry) ApprovedPayeeAddresses() []PayeeAddress {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []PayeeAddress
	for _, e := range r.addresses {
		if e.v.Approved() {
			out = append(out, e.v)
		}
	}
	slices.SortFunc(out, func(a, b PayeeAddress) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Payee returns a registered payee.
func (r *Registry) Payee(id string) (Payee, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.payees[id]
	return e.v, ok
}

// EndUser returns the latest known state of an end user.
func (r *Registry) EndUser(id string) (EndUser, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.endUsers[id]
	return e.v, ok
}

// VirtualAccount returns a registered virtual account.
func (r *Registry) VirtualAccount(id string) (VirtualAccount, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.accounts[id]
	return e.v, ok
}

// Balance returns the venue's latest reported balance of asset.
func (r *Registry) Balance(asset market.Asset) (BalanceSnapshot, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	b, ok := r.balances[string(asset)]
	return b, ok
}

// Balances returns the latest reported balance of every asset, sorted.
func (r *Registry) Balances() []BalanceSnapshot {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]BalanceSnapshot, 0, len(r.balances))
	for _, b := range r.balances {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b BalanceSnapshot) int { return strings.Compare(string(a.Asset), string(b.Asset)) })
	return out
}

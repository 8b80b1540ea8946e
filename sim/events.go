package sim

import (
	"context"
	"sync"
	"time"
)

// Event is a state change of the venue. Each concrete type below embeds
// EventHeader; switch on the type to handle it. Values are copies: a
// subscriber may keep them.
type Event interface {
	Header() EventHeader
}

// EventHeader is common to every event. Seq increases by one per event of
// the venue, so a subscriber can tell that it saw every event in order.
type EventHeader struct {
	Seq  uint64
	Time time.Time
}

// Header returns h; it makes every event type an Event.
func (h EventHeader) Header() EventHeader { return h }

// Event types, one per kind of change.
type (
	// OrderChanged: an order was created or changed status.
	OrderChanged struct {
		EventHeader
		Order Order
	}
	// TradeExecuted: an order or RFQ accept filled.
	TradeExecuted struct {
		EventHeader
		Trade Trade
	}
	// BalanceChanged: balances changed; Balances.Sequence is the new
	// balance sequence.
	BalanceChanged struct {
		EventHeader
		Balances Balances
	}
	// RFQChanged: an RFQ was created, accepted or expired.
	RFQChanged struct {
		EventHeader
		RFQ RFQ
	}
	// WithdrawalChanged: a withdrawal was created or changed status.
	WithdrawalChanged struct {
		EventHeader
		Withdrawal Withdrawal
	}
	// DepositCredited: a deposit (Credit, a paid invoice, a pay-in) was
	// credited.
	DepositCredited struct {
		EventHeader
		Transaction Transaction
	}
	// WhitelistChanged: a whitelist entry was created or changed status.
	WhitelistChanged struct {
		EventHeader
		Address WhitelistedAddress
	}
	// InvoiceChanged: a Lightning invoice was created or paid.
	InvoiceChanged struct {
		EventHeader
		Invoice Invoice
	}
	// EndUserCreated: a business or individual end user was registered.
	EndUserCreated struct {
		EventHeader
		EndUser EndUser
	}
	// PayeeCreated: a payee was registered.
	PayeeCreated struct {
		EventHeader
		Payee Payee
	}
	// PayeeAddressCreated: a payee address was registered.
	PayeeAddressCreated struct {
		EventHeader
		PayeeAddress PayeeAddress
	}
	// TransferChanged: a bank transfer was created or changed status.
	TransferChanged struct {
		EventHeader
		Transfer Transfer
	}
	// DepositAddressCreated: a deposit address or deposit account (a
	// virtual or crypto account) was registered.
	DepositAddressCreated struct {
		EventHeader
		Address DepositAddress
	}
	// EndUserUpdated: an end user's details changed (UpdateEndUser).
	EndUserUpdated struct {
		EventHeader
		EndUser EndUser
	}
	// EndUserStatusChanged: an end user's registration status changed
	// (SetEndUserStatus).
	EndUserStatusChanged struct {
		EventHeader
		EndUser  EndUser
		Previous string
	}
	// PayeeAddressChanged: a payee address changed review status
	// (SetPayeeAddressStatus).
	PayeeAddressChanged struct {
		EventHeader
		PayeeAddress PayeeAddress
		Previous     int
	}
)

// Subscription receives every event of a Venue from the moment it was
// created, in order, without loss: the venue appends to the
// subscription's queue and never blocks on a slow reader, so the queue
// grows until Next drains it. Close it when done. Next must be called from
// one goroutine at a time; Close is safe from any.
type Subscription struct {
	v      *Venue
	notify chan struct{} // capacity 1: "the queue may be non-empty"

	mu     sync.Mutex // guards queue and closed
	queue  []Event
	closed bool
}

// Subscribe returns a subscription to every event from now on.
func (v *Venue) Subscribe() *Subscription {
	s := &Subscription{v: v, notify: make(chan struct{}, 1)}
	v.mu.Lock()
	v.subs[s] = struct{}{}
	v.mu.Unlock()
	return s
}

// Next returns the next event, waiting for one until ctx ends or the
// subscription is closed (ErrClosed).
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		if len(s.queue) > 0 {
			e := s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return e, nil
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close stops the subscription; a blocked Next returns ErrClosed.
func (s *Subscription) Close() {
	s.v.mu.Lock()
	delete(s.v.subs, s)
	s.v.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.queue = nil
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *Subscription) push(e Event) {
	s.mu.Lock()
	if !s.closed {
		s.queue = append(s.queue, e)
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// emitLocked stamps an event and queues it for every subscriber. v.mu is
// held, so events reach subscribers in Seq order.
func (v *Venue) emitLocked(now time.Time, mk func(EventHeader) Event) {
	v.eventSeq++
	e := mk(EventHeader{Seq: v.eventSeq, Time: now})
	for s := range v.subs {
		s.push(e)
	}
}

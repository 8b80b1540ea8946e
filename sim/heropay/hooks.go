package heropay

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Test hooks. They act at the simulator clock's current time and are safe
// for concurrent use.

// Pay simulates a customer sending amount of currency to a deposit
// address. The oldest deposit still waiting at that address takes the
// payment; when none is waiting (paid already, expired, or never created
// by us), the payment becomes a new one with the address's first
// externalOrderId and a new unique sequence, and its callbacks go to the
// first payment's callbackUrl (the document's "Multiple deposit
// processing"). It returns the payment's id.
//
// A paid V2 deposit then moves confirming → exchanging → finished, a
// Custody one pending → processing → finished, one status every Step.
func (s *Server) Pay(address, currency string, amount decimal.Decimal) (string, error) {
	now := s.begin()
	defer s.mu.Unlock()
	return s.payLocked(address, currency, amount, now)
}

// payLocked is Pay at time now.
func (s *Server) payLocked(address, currency string, amount decimal.Decimal, now time.Time) (string, error) {
	deps := s.addresses[address]
	if len(deps) == 0 {
		return "", fmt.Errorf("heropay: no deposit address %q", address)
	}
	first := deps[0]
	if currency != first.Currency || !amount.IsPositive() {
		return "", fmt.Errorf("heropay: address %q takes a positive amount of %s", address, first.Currency)
	}
	var p *record
	for _, d := range deps {
		if d.waiting() {
			p = d
			break
		}
	}
	if p == nil {
		p = &record{Payment: Payment{ID: s.newIDLocked(12), ExternalOrderID: first.ExternalOrderID, Sequence: s.newIDLocked(16),
			Flow: first.Flow, Type: KindDeposit, CustomerID: first.CustomerID, Currency: first.Currency,
			PayAddress: address, CreatedAt: now, ExpiresAt: now.Add(s.opts.DepositTTL)}, callbackURL: first.callbackURL}
		s.addLocked(p)
	}
	p.PaidAmount, p.MerchantAmount = amount, amount.Mul(s.opts.Rates[currency]).Round(6)
	p.next = now.Add(s.opts.Step)
	if p.Flow == FlowV2 {
		s.setStatusLocked(p, StatusConfirming, now)
		p.steps = []Status{StatusExchanging, StatusFinished}
	} else {
		s.setStatusLocked(p, StatusPending, now)
		p.steps = []Status{StatusProcessing, StatusFinished}
	}
	return p.ID, nil
}

// Fail moves a payment that is not final to "failed"; a withdrawal's
// amount returns to the merchant balance.
func (s *Server) Fail(id string) error { return s.SetStatus(id, StatusFailed) }

// Refund moves a payment that is not final to "refunded", where its flow
// and kind list that status (not a Custody deposit).
func (s *Server) Refund(id string) error { return s.SetStatus(id, StatusRefunded) }

// SetStatus moves a payment that is not final to st, which must be listed
// for its flow and kind (see Statuses), and sends the callback. The
// payment's own progress stops there: it stays at st until a hook moves it
// again. A deposit reaching a successful status is credited to the
// merchant balance; a withdrawal reaching a failed one is returned to it.
// Tests use it to produce every listed status, "hold" included, which the
// simulator never reaches on its own.
func (s *Server) SetStatus(id string, st Status) error {
	now := s.begin()
	defer s.mu.Unlock()
	p := s.byID[id]
	switch {
	case p == nil:
		return fmt.Errorf("heropay: no payment %q", id)
	case ClassOf(p.Flow, p.Type, p.Status).Final():
		return fmt.Errorf("heropay: payment %q is already %s", id, p.Status)
	case ClassOf(p.Flow, p.Type, st) == Unlisted:
		return fmt.Errorf("heropay: a %s %s cannot be %q", p.Flow, p.Type, st)
	}
	p.steps = nil
	s.setStatusLocked(p, st, now)
	return nil
}

// DropCallbacks makes the next n callbacks get lost: never delivered,
// never retried. The payments' state is unaffected; status checks see it.
func (s *Server) DropCallbacks(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop += n
}

// Resend delivers the last callback of payment id once more, as a
// duplicate.
func (s *Server) Resend(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byID[id]
	if p == nil || p.last == nil || p.callbackURL == "" {
		return fmt.Errorf("heropay: payment %q has no callback to resend", id)
	}
	s.queue = append(s.queue, &delivery{paymentID: p.ID, url: p.callbackURL, body: p.last, due: s.clock.Now()})
	s.wake()
	return nil
}

// Payments returns every payment, in creation order.
func (s *Server) Payments() []Payment {
	s.begin()
	defer s.mu.Unlock()
	out := make([]Payment, 0, len(s.payments))
	for _, p := range s.payments {
		out = append(out, p.Payment)
	}
	return out
}

// Balance returns the merchant's USDT balance.
func (s *Server) Balance() decimal.Decimal {
	s.begin()
	defer s.mu.Unlock()
	return s.balance
}

// Delivered returns how many callbacks were answered 2xx.
func (s *Server) Delivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// ErrorAfterApply makes the next n create requests (deposits and
// withdrawals) take effect and then be answered 502, as a gateway failing
// after the upstream processed the request: the client cannot tell whether
// it happened and must look the payment up by externalOrderId.
func (s *Server) ErrorAfterApply(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errAfter += n
}

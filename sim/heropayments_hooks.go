package sim

import (
	"encoding/json"
	"fmt"

	"github.com/otcdesk/engine/heropayments"
	"github.com/shopspring/decimal"
)

// Test hooks of the Heropayments simulator. They act at the simulator
// clock's current time and are safe for concurrent use.

// Pay simulates a customer sending amount of currency to a deposit
// address. The oldest deposit still waiting at that address takes the
// payment; when none is waiting (paid already, expired, or never created
// by us), the payment becomes a new one with the address's first
// externalOrderId and a new unique sequence, and its callbacks go to the
// first payment's callbackUrl. It returns the payment's id.
func (s *HeropaymentsServer) Pay(address, currency string, amount decimal.Decimal) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.advanceLocked(now)
	deps := s.addresses[address]
	if len(deps) == 0 {
		return "", fmt.Errorf("sim: heropayments: no deposit address %q", address)
	}
	first := deps[0]
	if currency != first.currency || !amount.IsPositive() {
		return "", fmt.Errorf("sim: heropayments: address %q takes a positive amount of %s", address, first.currency)
	}
	var p *hpPayment
	for _, d := range deps {
		if hpWaiting(d) && len(d.steps) == 0 {
			p = d
			break
		}
	}
	if p == nil {
		p = &hpPayment{id: s.newIDLocked(12), externalOrderID: first.externalOrderID, sequence: s.newIDLocked(16),
			flow: first.flow, kind: heropayments.KindDeposit, customerID: first.customerID, currency: first.currency,
			payAddress: address, callbackURL: first.callbackURL, created: now, expires: now.Add(s.opts.DepositTTL)}
		s.addLocked(p)
	}
	rate, _ := s.rateLocked(currency)
	p.paid, p.merchant = amount, amount.Mul(rate).Round(6)
	p.next = now.Add(s.opts.Step)
	if p.flow == heropayments.FlowV2 {
		s.setStatusLocked(p, heropayments.StatusConfirming, now)
		p.steps = []heropayments.Status{heropayments.StatusExchanging, heropayments.StatusFinished}
	} else {
		s.setStatusLocked(p, heropayments.StatusPending, now)
		p.steps = []heropayments.Status{heropayments.StatusProcessing, heropayments.StatusFinished}
	}
	return p.id, nil
}

// Fail moves a payment that is not final to "failed"; a withdrawal's
// amount returns to the merchant balance.
func (s *HeropaymentsServer) Fail(id string) error {
	return s.finish(id, heropayments.StatusFailed)
}

// Refund moves a payment that is not final to "refunded", where its flow
// and kind have that status (not a Custody deposit).
func (s *HeropaymentsServer) Refund(id string) error {
	return s.finish(id, heropayments.StatusRefunded)
}

func (s *HeropaymentsServer) finish(id string, st heropayments.Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.advanceLocked(now)
	p := s.byID[id]
	switch {
	case p == nil:
		return fmt.Errorf("sim: heropayments: no payment %q", id)
	case heropayments.Classify(p.flow, p.kind, p.status).Final():
		return fmt.Errorf("sim: heropayments: payment %q is already %s", id, p.status)
	case heropayments.Classify(p.flow, p.kind, st) == heropayments.OutcomeUnknown:
		return fmt.Errorf("sim: heropayments: a %s %s cannot be %s", p.flow, p.kind, st)
	}
	s.setStatusLocked(p, st, now)
	return nil
}

// DropCallbacks makes the next n callbacks get lost: never delivered,
// never retried. The payments' state is unaffected; status checks see it.
func (s *HeropaymentsServer) DropCallbacks(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop += n
}

// Resend delivers the last callback of payment id once more, as a
// duplicate.
func (s *HeropaymentsServer) Resend(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byID[id]
	if p == nil || p.last == nil || p.callbackURL == "" {
		return fmt.Errorf("sim: heropayments: payment %q has no callback to resend", id)
	}
	s.queue = append(s.queue, &hpDelivery{paymentID: p.id, url: p.callbackURL, body: p.last, due: s.clock.Now()})
	s.wake()
	return nil
}

// Payments returns every payment, in creation order, as the status
// endpoint would describe it.
func (s *HeropaymentsServer) Payments() []heropayments.Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.clock.Now())
	out := make([]heropayments.Payment, 0, len(s.payments))
	for _, p := range s.payments {
		b, err := json.Marshal(hpToWire(p))
		var hp heropayments.Payment
		if err == nil && json.Unmarshal(b, &hp) == nil {
			out = append(out, hp)
		}
	}
	return out
}

// Balance returns the merchant's USDT balance.
func (s *HeropaymentsServer) Balance() decimal.Decimal {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.clock.Now())
	return s.balance
}

// Delivered returns how many callbacks were answered 2xx.
func (s *HeropaymentsServer) Delivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// ErrorAfterApply makes the next n create requests (deposits and
// withdrawals) take effect and then be answered 502, as a gateway failing
// after the upstream processed the request: the client cannot tell whether
// it happened and must look the payment up by externalOrderId.
func (s *HeropaymentsServer) ErrorAfterApply(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errAfter += n
}

func (s *HeropaymentsServer) takeErrorAfterApply() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errAfter == 0 {
		return false
	}
	s.errAfter--
	return true
}

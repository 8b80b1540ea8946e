package heropay

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/sim"
)

// Customers configures simulated customers paying deposits, so that a
// merchant's balance grows and callbacks flow without a shop in front of
// the simulator. Every Every of the simulator's clock one customer acts,
// the choices drawn from a source seeded with Options.Seed:
//
//   - the oldest deposit still waiting for its payment (one the merchant
//     created) is paid: its amount when it asked for one, otherwise an
//     amount drawn from MinAmount to MaxAmount of Currency, converted to
//     the deposit's currency at Options.Rates;
//   - otherwise, with chance Repeat, a customer pays again to an address
//     customers paid before: a multiple deposit, with a new sequence, whose
//     callbacks go to the first payment's callbackUrl;
//   - otherwise, when CallbackURL is set, a customer opens a deposit
//     themselves, as a merchant's checkout outside the engine would: by
//     turns V2, V2 at the customer's static address and Custody, for an
//     amount drawn as above, its callbacks to CallbackURL; and pays it.
//
// A paid deposit then moves on one status every Step to finished and is
// credited to the merchant's balance, as Pay's are. The zero value (Every
// zero) does nothing.
type Customers struct {
	// Every is the time between two customers' actions; zero: none.
	Every time.Duration
	// Count is how many customers there are, "customer-1" to
	// "customer-<Count>"; default 3.
	Count int
	// Currency is what customers pay their own deposits in; default USDT.
	// It must be one of Options.Rates.
	Currency string
	// MinAmount and MaxAmount bound a drawn payment, in Currency; default
	// 20 and 500.
	MinAmount, MaxAmount decimal.Decimal
	// Repeat is the chance (0 to 1) that a customer pays again to an
	// address paid before when no deposit is waiting.
	Repeat float64
	// CallbackURL is the merchant's callback endpoint for the deposits
	// customers open themselves; empty: customers only pay deposits the
	// merchant created, and pay again to their addresses.
	CallbackURL string
	// Flow is the merchant account's flow, which the deposits customers
	// open themselves are in: FlowV2 (by turns at a new and at the
	// customer's static address) or FlowCustody; empty: all three by
	// turns.
	Flow Flow
}

// CustomersFrom reads the [sim.customers] section. The callback URL is
// the merchant's, which the caller knows and the section does not.
func CustomersFrom(c sim.CustomersConfig, callbackURL string, flow Flow) Customers {
	return Customers{Every: c.Every.Duration, Count: c.Count, Currency: c.Currency, MinAmount: c.MinAmount.Decimal,
		MaxAmount: c.MaxAmount.Decimal, Repeat: c.Repeat, CallbackURL: callbackURL, Flow: flow}
}

// withDefaults fills the zero fields.
func (c Customers) withDefaults() Customers {
	c.Count = cmp.Or(c.Count, 3)
	c.Currency = cmp.Or(c.Currency, "USDT")
	if c.MinAmount.IsZero() && c.MaxAmount.IsZero() {
		c.MinAmount, c.MaxAmount = decimal.NewFromInt(20), decimal.NewFromInt(500)
	}
	return c
}

// check reports customers that cannot act as configured.
func (c Customers) check(rates map[string]decimal.Decimal) error {
	switch {
	case c.Every < 0:
		return errors.New("heropay: Customers.Every is negative")
	case c.Every == 0:
		return nil
	case c.Count < 1:
		return fmt.Errorf("heropay: Customers.Count %d: want at least 1", c.Count)
	case !rates[c.Currency].IsPositive():
		return fmt.Errorf("heropay: Customers.Currency %q has no rate", c.Currency)
	case !c.MinAmount.IsPositive() || c.MaxAmount.LessThan(c.MinAmount):
		return fmt.Errorf("heropay: Customers amounts %s to %s: want 0 < MinAmount <= MaxAmount", c.MinAmount, c.MaxAmount)
	case math.IsNaN(c.Repeat) || c.Repeat < 0 || c.Repeat > 1:
		return fmt.Errorf("heropay: Customers.Repeat %v: want 0 to 1", c.Repeat)
	}
	return nil
}

// customerState is the customers' own state, guarded by Server.mu.
type customerState struct {
	next   time.Time  // when the next customer acts; zero: never
	rnd    *rand.Rand // the customers' choices, apart from the simulator's ids
	opened int        // deposits customers opened, for their externalOrderIds and flows
	paid   []string   // addresses customers paid, first payment first
}

// customersActLocked lets the customers act at at.
func (s *Server) customersActLocked(at time.Time) {
	c, cs := s.opts.Customers, &s.cust
	var waiting *record
	for _, p := range s.payments {
		if p.waiting() && at.Before(p.ExpiresAt) {
			waiting = p
			break
		}
	}
	repeat := cs.rnd.Float64() < c.Repeat && len(cs.paid) > 0
	switch {
	case waiting != nil:
		amount := waiting.Amount
		if amount.IsZero() {
			amount = s.drawAmountLocked(waiting.Currency)
		}
		s.customerPaysLocked(waiting.PayAddress, waiting.Currency, amount, at)
	case repeat:
		addr := cs.paid[cs.rnd.IntN(len(cs.paid))]
		cur := s.addresses[addr][0].Currency
		s.customerPaysLocked(addr, cur, s.drawAmountLocked(cur), at)
	case c.CallbackURL != "":
		cs.opened++
		order := fmt.Sprintf("customer-order-%d", cs.opened)
		for s.orders[order] != nil {
			order += "x"
		}
		amount := s.drawAmountLocked(c.Currency)
		w := createWire{ExternalOrderID: order, CustomerID: fmt.Sprintf("customer-%d", 1+cs.rnd.IntN(c.Count)),
			Currency: c.Currency, Amount: &number{amount}, CallbackURL: c.CallbackURL}
		flow, static := FlowV2, false
		switch {
		case c.Flow == FlowCustody:
			flow = FlowCustody
		case c.Flow == FlowV2:
			static = cs.opened%2 == 0
		case cs.opened%3 == 2:
			static = true
		case cs.opened%3 == 0:
			flow = FlowCustody
		}
		p := s.newDepositLocked(flow, static, w, at)
		s.customerPaysLocked(p.PayAddress, p.Currency, amount, at)
	}
}

// customerPaysLocked pays and remembers the address for repeats.
func (s *Server) customerPaysLocked(addr, currency string, amount decimal.Decimal, at time.Time) {
	if _, err := s.payLocked(addr, currency, amount, at); err != nil {
		s.log.Error("heropay: simulated customer payment", "address", addr, "err", err)
		return
	}
	for _, a := range s.cust.paid {
		if a == addr {
			return
		}
	}
	s.cust.paid = append(s.cust.paid, addr)
}

// drawAmountLocked draws an amount from MinAmount to MaxAmount of
// Customers.Currency, in steps of a cent (stablecoins) or 10⁻⁸, converted
// to currency and kept at or above its minimum. No float64 touches it.
func (s *Server) drawAmountLocked(currency string) decimal.Decimal {
	c := s.opts.Customers
	places := int32(8)
	if c.Currency == "USDT" || c.Currency == "USDC" {
		places = 2
	}
	step := decimal.New(1, -places)
	steps := c.MaxAmount.Sub(c.MinAmount).Div(step).IntPart()
	amount := c.MinAmount.Add(step.Mul(decimal.NewFromInt(s.cust.rnd.Int64N(steps + 1)))).Round(places)
	if currency != c.Currency {
		amount = amount.Mul(s.opts.Rates[c.Currency]).DivRound(s.opts.Rates[currency], 8)
	}
	return decimal.Max(amount, s.opts.MinAmounts[currency])
}

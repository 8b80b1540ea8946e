package heropay

import (
	"net/http"
	"net/url"
	"time"

	"github.com/shopspring/decimal"
)

// "Get estimated price": how much currencyTo an amount of currencyFrom is
// worth, at the configured USDT rates.
func (s *Server) estimate(q url.Values) answer {
	from, to := q.Get("currencyFrom"), q.Get("currencyTo")
	amt, err := decimal.NewFromString(q.Get("amount"))
	rf, ok1 := s.opts.Rates[from]
	rt, ok2 := s.opts.Rates[to]
	if err != nil || !ok1 || !ok2 || !amt.IsPositive() {
		return fail(http.StatusBadRequest, "INVALID_PARAMS", "currencyFrom, currencyTo and a positive amount are required")
	}
	return answer{http.StatusOK, map[string]any{"currencyFrom": from, "currencyTo": to, "amount": number{amt},
		"estimatedAmount": number{amt.Mul(rf).DivRound(rt, 8)}}}
}

// "Minimum payment amount (V2)".
func (s *Server) minAmount(q url.Values) answer {
	m, ok := s.opts.MinAmounts[q.Get("currency")]
	if !ok {
		return fail(http.StatusBadRequest, "UNKNOWN_CURRENCY", "unknown currency")
	}
	return answer{http.StatusOK, map[string]any{"currency": q.Get("currency"), "minAmount": number{m}}}
}

// "Get balance": the document accumulates every deposit on the merchant's
// USDT wallet, so there is one balance, the same through either flow.
func (s *Server) balanceAnswer(url.Values) answer {
	s.begin()
	defer s.mu.Unlock()
	return answer{http.StatusOK, map[string]any{"currency": "USDT", "amount": number{s.balance}}}
}

// "Payment status check by id": by Heropayments' id, or by our
// externalOrderId and sequence (absent: the original payment). A payment
// of the other flow is not found.
func (s *Server) status(flow Flow, q url.Values) answer {
	s.begin()
	defer s.mu.Unlock()
	var p *record
	switch id, order := q.Get("id"), q.Get("externalOrderId"); {
	case id != "":
		p = s.byID[id]
	case order != "":
		seq := q.Get("sequence")
		if seq == "" {
			seq = SequenceOriginal
		}
		for _, x := range s.payments {
			if x.ExternalOrderID == order && x.Sequence == seq {
				p = x
			}
		}
	default:
		return fail(http.StatusBadRequest, "INVALID_PARAMS", "id or externalOrderId is required")
	}
	if p == nil || p.Flow != flow {
		return fail(http.StatusNotFound, "NOT_FOUND", "payment not found")
	}
	return answer{http.StatusOK, p.wire()}
}

// "Create a deposit": a new payment waiting at a new address, or at the
// customer's static address (v2/payments-address). It waits DepositTTL,
// the document's 4 hours, then expires.
func (s *Server) deposit(flow Flow, static bool, c createWire) answer {
	now := s.begin()
	defer s.mu.Unlock()
	if a, bad := s.checkCreateLocked(c, KindDeposit); bad {
		return a
	}
	return answer{http.StatusOK, s.newDepositLocked(flow, static, c, now).wire()}
}

// newDepositLocked records a deposit of flow for c, waiting at a new
// address or at c's customer's static one.
func (s *Server) newDepositLocked(flow Flow, static bool, c createWire, now time.Time) *record {
	p := &record{Payment: Payment{ID: s.newIDLocked(12), ExternalOrderID: c.ExternalOrderID, Sequence: SequenceOriginal,
		Flow: flow, Type: KindDeposit, Status: firstStatus(flow), CustomerID: c.CustomerID, Currency: c.Currency,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.opts.DepositTTL)}, callbackURL: c.CallbackURL}
	if c.Amount != nil {
		p.Amount = c.Amount.d
	}
	p.PayAddress = "hp" + s.newIDLocked(16)
	if static {
		if a, ok := s.static[c.CustomerID]; ok {
			p.PayAddress = a
		}
		s.static[c.CustomerID] = p.PayAddress
	}
	s.addLocked(p)
	return p
}

// "Create a withdrawal": the USDT value leaves the merchant balance at
// once, within the merchant's and the customer's daily limits, and the
// payment moves on one status every Step to finished.
func (s *Server) withdraw(flow Flow, c createWire) answer {
	now := s.begin()
	defer s.mu.Unlock()
	if a, bad := s.checkCreateLocked(c, KindWithdrawal); bad {
		return a
	}
	usdt := c.Amount.d.Mul(s.opts.Rates[c.Currency]).Round(8)
	day := now.UTC().Format(time.DateOnly)
	cust := day + "/" + c.CustomerID
	switch lim, clim := s.opts.MerchantDailyLimit, s.opts.CustomerDailyLimit; {
	case lim.IsPositive() && s.withdrawn[day].Add(usdt).GreaterThan(lim):
		return fail(http.StatusBadRequest, "MERCHANT_DAILY_LIMIT", "merchant daily withdrawal limit exceeded")
	case clim.IsPositive() && s.withdrawn[cust].Add(usdt).GreaterThan(clim):
		return fail(http.StatusBadRequest, "CUSTOMER_DAILY_LIMIT", "customer daily withdrawal limit exceeded")
	case s.balance.LessThan(usdt):
		return fail(http.StatusBadRequest, "INSUFFICIENT_BALANCE", "insufficient merchant balance")
	}
	s.balance = s.balance.Sub(usdt)
	s.withdrawn[day] = s.withdrawn[day].Add(usdt)
	s.withdrawn[cust] = s.withdrawn[cust].Add(usdt)
	p := &record{Payment: Payment{ID: s.newIDLocked(12), ExternalOrderID: c.ExternalOrderID, Sequence: SequenceOriginal,
		Flow: flow, Type: KindWithdrawal, CustomerID: c.CustomerID, Currency: c.Currency,
		Amount: c.Amount.d, MerchantAmount: usdt, Address: c.Address, CreatedAt: now, UpdatedAt: now},
		callbackURL: c.CallbackURL, next: now.Add(s.opts.Step)}
	if flow == FlowV2 {
		p.Status, p.steps = StatusWaiting, []Status{StatusSending, StatusFinished}
	} else {
		p.Status, p.steps = StatusPending, []Status{StatusProcessing, StatusFinished}
	}
	s.addLocked(p)
	return answer{http.StatusOK, p.wire()}
}

// checkCreateLocked validates a create body; bad is true, with the
// refusal, when it is not acceptable.
func (s *Server) checkCreateLocked(c createWire, kind Kind) (a answer, bad bool) {
	if _, ok := s.opts.Rates[c.Currency]; !ok || c.ExternalOrderID == "" || c.CustomerID == "" {
		return fail(http.StatusBadRequest, "INVALID_PARAMS", "externalOrderId, customerId and a supported currency are required"), true
	}
	if c.CallbackURL != "" {
		if u, err := url.Parse(c.CallbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail(http.StatusBadRequest, "INVALID_CALLBACK_URL", "callbackUrl must be an absolute http(s) URL"), true
		}
	}
	if kind == KindWithdrawal {
		switch {
		case c.Address == "" || c.Amount == nil || !c.Amount.d.IsPositive():
			return fail(http.StatusBadRequest, "INVALID_PARAMS", "address and a positive amount are required"), true
		case c.Amount.d.LessThan(s.opts.MinAmounts[c.Currency]):
			return fail(http.StatusBadRequest, "AMOUNT_TOO_SMALL", "amount is below the minimum"), true
		}
	}
	if s.orders[c.ExternalOrderID] != nil {
		return fail(http.StatusConflict, "DUPLICATE_ORDER", "externalOrderId already used"), true
	}
	return answer{}, false
}

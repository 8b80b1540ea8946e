package sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/otcdesk/engine/heropayments"
	"github.com/shopspring/decimal"
)

// hpMaxBody bounds a request body.
const hpMaxBody = 64 << 10

// hpNumber is an amount on the simulator's wire: a JSON number written from
// the decimal's text and read from it, never through float64.
type hpNumber struct{ d decimal.Decimal }

func (n hpNumber) MarshalJSON() ([]byte, error) { return []byte(n.d.String()), nil }

func (n *hpNumber) UnmarshalJSON(b []byte) error {
	d, err := decimal.NewFromString(strings.Trim(string(b), `"`))
	if err != nil || len(b) > 64 {
		return errors.New("amount is not a decimal number")
	}
	n.d = d
	return nil
}

// hpWire is a payment as the simulator sends it in status answers and
// callbacks (the field names the heropayments package assumes).
type hpWire struct {
	ID              string    `json:"id"`
	ExternalOrderID string    `json:"externalOrderId"`
	Sequence        string    `json:"sequence"`
	Type            string    `json:"type"`
	Status          string    `json:"status"`
	CustomerID      string    `json:"customerId"`
	Currency        string    `json:"currency"`
	Amount          *hpNumber `json:"amount,omitempty"`
	PaidAmount      *hpNumber `json:"paidAmount,omitempty"`
	MerchantAmount  hpNumber  `json:"merchantAmount"`
	PayAddress      string    `json:"payAddress,omitempty"`
	Address         string    `json:"address,omitempty"`
	CreatedAt       string    `json:"createdAt"`
	UpdatedAt       string    `json:"updatedAt"`
	ExpiresAt       string    `json:"expiresAt,omitempty"`
}

func hpToWire(p *hpPayment) hpWire {
	w := hpWire{ID: p.id, ExternalOrderID: p.externalOrderID, Sequence: p.sequence, Type: string(p.kind),
		Status: string(p.status), CustomerID: p.customerID, Currency: p.currency, MerchantAmount: hpNumber{p.merchant},
		PayAddress: p.payAddress, Address: p.address,
		CreatedAt: p.created.UTC().Format(time.RFC3339), UpdatedAt: p.updated.UTC().Format(time.RFC3339)}
	if !p.amount.IsZero() {
		w.Amount = &hpNumber{p.amount}
	}
	if !p.paid.IsZero() {
		w.PaidAmount = &hpNumber{p.paid}
	}
	if p.kind == heropayments.KindDeposit {
		w.ExpiresAt = p.expires.UTC().Format(time.RFC3339)
	}
	return w
}

// hpCreate is the body of every create request.
type hpCreate struct {
	ExternalOrderID string    `json:"externalOrderId"`
	CustomerID      string    `json:"customerId"`
	Currency        string    `json:"currency"`
	Amount          *hpNumber `json:"amount"`
	Address         string    `json:"address"`
	CallbackURL     string    `json:"callbackUrl"`
}

func (s *HeropaymentsServer) routes() http.Handler {
	mux := http.NewServeMux()
	get := func(path string, h func(url.Values) (int, any)) {
		mux.HandleFunc("GET "+path, s.auth(func(_ []byte, r *http.Request) (int, any) { return h(r.URL.Query()) }))
	}
	post := func(path string, h func(hpCreate) (int, any)) {
		mux.HandleFunc("POST "+path, s.auth(func(body []byte, _ *http.Request) (int, any) {
			var c hpCreate
			if err := json.Unmarshal(body, &c); err != nil {
				return hpErr(http.StatusBadRequest, "INVALID_BODY", "body does not match the request schema")
			}
			return h(c)
		}))
	}
	get(heropayments.PathEstimate, s.estimate)
	get(heropayments.PathMinAmount, s.minAmount)
	get(heropayments.PathBalanceV2, s.balanceAPI)
	get(heropayments.PathBalanceCustody, s.balanceAPI)
	get(heropayments.PathStatusV2, func(q url.Values) (int, any) { return s.status(heropayments.FlowV2, q) })
	get(heropayments.PathStatusCustody, func(q url.Values) (int, any) { return s.status(heropayments.FlowCustody, q) })
	post(heropayments.PathDepositV2, func(c hpCreate) (int, any) { return s.deposit(heropayments.FlowV2, false, c) })
	post(heropayments.PathDepositV2Address, func(c hpCreate) (int, any) { return s.deposit(heropayments.FlowV2, true, c) })
	post(heropayments.PathDepositCustody, func(c hpCreate) (int, any) { return s.deposit(heropayments.FlowCustody, false, c) })
	post(heropayments.PathWithdrawalV2, func(c hpCreate) (int, any) { return s.withdraw(heropayments.FlowV2, c) })
	post(heropayments.PathWithdrawalCustody, func(c hpCreate) (int, any) { return s.withdraw(heropayments.FlowCustody, c) })
	return mux
}

// auth checks the API key and x-api-sign as the document describes: over
// JSON.stringify(JSON.parse(body)) for a POST, over the query string
// without "?" for a GET. Refusals are 401 and change nothing.
func (s *HeropaymentsServer) auth(h func(body []byte, r *http.Request) (int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, hpMaxBody))
		var status int
		var out any
		sig := r.Header.Get(heropayments.SignHeader)
		var sigErr error
		if r.Method == http.MethodPost {
			sigErr = heropayments.VerifyBody(s.opts.APISecret, body, sig)
		} else {
			sigErr = heropayments.VerifyQuery(s.opts.APISecret, r.URL.RawQuery, sig)
		}
		switch {
		case err != nil:
			status, out = hpErr(http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", "request body too large")
		case r.Header.Get(heropayments.APIKeyHeader) != s.opts.APIKey:
			status, out = hpErr(http.StatusUnauthorized, "INVALID_API_KEY", "invalid api key")
		case errors.Is(sigErr, heropayments.ErrInvalidJSON):
			status, out = hpErr(http.StatusBadRequest, "INVALID_JSON", "body is not valid JSON")
		case sigErr != nil:
			status, out = hpErr(http.StatusUnauthorized, "INVALID_SIGNATURE", "invalid signature")
		default:
			status, out = h(body, r)
			if r.Method == http.MethodPost && status == http.StatusOK && s.takeErrorAfterApply() {
				status, out = hpErr(http.StatusBadGateway, "BAD_GATEWAY", "upstream error")
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(out)
	}
}

type hpError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func hpErr(status int, code, msg string) (int, any) {
	var e hpError
	e.Error.Code, e.Error.Message = code, msg
	return status, e
}

func (s *HeropaymentsServer) estimate(q url.Values) (int, any) {
	from, to := q.Get("currencyFrom"), q.Get("currencyTo")
	amt, err := decimal.NewFromString(q.Get("amount"))
	s.mu.Lock()
	defer s.mu.Unlock()
	rf, ok1 := s.rateLocked(from)
	rt, ok2 := s.rateLocked(to)
	if err != nil || !ok1 || !ok2 || !amt.IsPositive() {
		return hpErr(http.StatusBadRequest, "INVALID_PARAMS", "currencyFrom, currencyTo and a positive amount are required")
	}
	return http.StatusOK, map[string]any{"currencyFrom": from, "currencyTo": to, "amount": hpNumber{amt},
		"estimatedAmount": hpNumber{amt.Mul(rf).DivRound(rt, 8)}}
}

func (s *HeropaymentsServer) minAmount(q url.Values) (int, any) {
	m, ok := s.opts.MinAmounts[q.Get("currency")]
	if !ok {
		return hpErr(http.StatusBadRequest, "UNKNOWN_CURRENCY", "unknown currency")
	}
	return http.StatusOK, map[string]any{"currency": q.Get("currency"), "minAmount": hpNumber{m}}
}

func (s *HeropaymentsServer) balanceAPI(url.Values) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.clock.Now())
	return http.StatusOK, map[string]any{"currency": "USDT", "amount": hpNumber{s.balance}}
}

func (s *HeropaymentsServer) status(flow heropayments.Flow, q url.Values) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.clock.Now())
	var p *hpPayment
	switch {
	case q.Get("id") != "":
		p = s.byID[q.Get("id")]
	case q.Get("externalOrderId") != "":
		seq := q.Get("sequence")
		if seq == "" {
			seq = heropayments.SequenceOriginal
		}
		for _, x := range s.payments {
			if x.externalOrderID == q.Get("externalOrderId") && x.sequence == seq {
				p = x
			}
		}
	default:
		return hpErr(http.StatusBadRequest, "INVALID_PARAMS", "id or externalOrderId is required")
	}
	if p == nil || p.flow != flow {
		return hpErr(http.StatusNotFound, "NOT_FOUND", "payment not found")
	}
	return http.StatusOK, hpToWire(p)
}

func (s *HeropaymentsServer) deposit(flow heropayments.Flow, static bool, c hpCreate) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.advanceLocked(now)
	if code, msg := s.checkCreateLocked(c, false); code != "" {
		return hpErr(http.StatusBadRequest, code, msg)
	}
	if s.orders[c.ExternalOrderID] != nil {
		return hpErr(http.StatusConflict, "DUPLICATE_ORDER", "externalOrderId already used")
	}
	p := &hpPayment{id: s.newIDLocked(12), externalOrderID: c.ExternalOrderID, sequence: heropayments.SequenceOriginal,
		flow: flow, kind: heropayments.KindDeposit, status: heropayments.StatusWaiting, customerID: c.CustomerID,
		currency: c.Currency, callbackURL: c.CallbackURL, created: now, updated: now, expires: now.Add(s.opts.DepositTTL)}
	if flow == heropayments.FlowCustody {
		p.status = heropayments.StatusNew
	}
	if c.Amount != nil {
		p.amount = c.Amount.d
	}
	p.payAddress = "hp" + s.newIDLocked(16)
	if static {
		if a, ok := s.static[c.CustomerID]; ok {
			p.payAddress = a
		}
		s.static[c.CustomerID] = p.payAddress
	}
	s.addLocked(p)
	return http.StatusOK, hpToWire(p)
}

func (s *HeropaymentsServer) withdraw(flow heropayments.Flow, c hpCreate) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.advanceLocked(now)
	if code, msg := s.checkCreateLocked(c, true); code != "" {
		return hpErr(http.StatusBadRequest, code, msg)
	}
	if s.orders[c.ExternalOrderID] != nil {
		return hpErr(http.StatusConflict, "DUPLICATE_ORDER", "externalOrderId already used")
	}
	rate, _ := s.rateLocked(c.Currency)
	usdt := c.Amount.d.Mul(rate).Round(8)
	day := now.UTC().Format(time.DateOnly)
	cust := day + "/" + c.CustomerID
	switch lim := s.opts.MerchantDailyLimit; {
	case lim.IsPositive() && s.withdrawn[day].Add(usdt).GreaterThan(lim):
		return hpErr(http.StatusBadRequest, "MERCHANT_DAILY_LIMIT", "merchant daily withdrawal limit exceeded")
	case s.opts.CustomerDailyLimit.IsPositive() && s.withdrawn[cust].Add(usdt).GreaterThan(s.opts.CustomerDailyLimit):
		return hpErr(http.StatusBadRequest, "CUSTOMER_DAILY_LIMIT", "customer daily withdrawal limit exceeded")
	case s.balance.LessThan(usdt):
		return hpErr(http.StatusBadRequest, "INSUFFICIENT_BALANCE", "insufficient merchant balance")
	}
	s.balance = s.balance.Sub(usdt)
	s.withdrawn[day] = s.withdrawn[day].Add(usdt)
	s.withdrawn[cust] = s.withdrawn[cust].Add(usdt)
	p := &hpPayment{id: s.newIDLocked(12), externalOrderID: c.ExternalOrderID, sequence: heropayments.SequenceOriginal,
		flow: flow, kind: heropayments.KindWithdrawal, customerID: c.CustomerID, currency: c.Currency,
		amount: c.Amount.d, merchant: usdt, address: c.Address, callbackURL: c.CallbackURL, created: now, updated: now,
		next: now.Add(s.opts.Step)}
	if flow == heropayments.FlowV2 {
		p.status = heropayments.StatusWaiting
		p.steps = []heropayments.Status{heropayments.StatusSending, heropayments.StatusFinished}
	} else {
		p.status = heropayments.StatusPending
		p.steps = []heropayments.Status{heropayments.StatusProcessing, heropayments.StatusFinished}
	}
	s.addLocked(p)
	return http.StatusOK, hpToWire(p)
}

// checkCreateLocked validates a create body; it returns an error code and
// message, or "" when the body is acceptable.
func (s *HeropaymentsServer) checkCreateLocked(c hpCreate, withdrawal bool) (code, msg string) {
	if _, ok := s.rateLocked(c.Currency); !ok || c.ExternalOrderID == "" || c.CustomerID == "" {
		return "INVALID_PARAMS", "externalOrderId, customerId and a supported currency are required"
	}
	if c.CallbackURL != "" {
		if u, err := url.Parse(c.CallbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "INVALID_CALLBACK_URL", "callbackUrl must be an absolute http(s) URL"
		}
	}
	if !withdrawal {
		return "", ""
	}
	if c.Address == "" || c.Amount == nil || !c.Amount.d.IsPositive() {
		return "INVALID_PARAMS", "address and a positive amount are required"
	}
	if c.Amount.d.LessThan(s.opts.MinAmounts[c.Currency]) {
		return "AMOUNT_TOO_SMALL", "amount is below the minimum"
	}
	return "", ""
}

func (s *HeropaymentsServer) addLocked(p *hpPayment) {
	s.payments = append(s.payments, p)
	s.byID[p.id] = p
	if p.sequence == heropayments.SequenceOriginal {
		s.orders[p.externalOrderID] = p
	}
	if p.payAddress != "" {
		s.addresses[p.payAddress] = append(s.addresses[p.payAddress], p)
	}
	s.wake()
}

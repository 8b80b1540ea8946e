package heropay

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
)

// The paths served. The document gives three: v2/payments and
// v2/payments-address ("Methods to generate a deposit transaction", V2)
// and custody/deposit (Custody). The others are readings of its method
// titles, the same readings the engine's README lists as assumptions to
// confirm with Heropayments; a client that reads them differently fails
// its tests against this simulator.
const (
	pathDepositV2         = "/v2/payments"             // "Create a deposit (V2)": the document's
	pathDepositV2Static   = "/v2/payments-address"     // static address per customer: the document's
	pathDepositCustody    = "/custody/deposit"         // "Create a deposit (Custody)": the document's
	pathEstimate          = "/v2/estimated-price"      // "Get estimated price" (GET in the deposit flow)
	pathMinAmount         = "/v2/min-amount"           // "Minimum payment amount (V2)"
	pathStatusV2          = "/v2/payments/status"      // "Payment status check by id (V2)"
	pathStatusCustody     = "/custody/payments/status" // "Payment status check by id (Custody)"
	pathBalanceV2         = "/v2/balance"              // "Get balance (V2)"
	pathBalanceCustody    = "/custody/balance"         // "Get balance (Custody)"
	pathWithdrawalV2      = "/v2/withdrawals"          // "Create a withdrawal (V2)"
	pathWithdrawalCustody = "/custody/withdrawal"      // "Create a withdrawal (Custody)"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	get := func(path string, h func(url.Values) answer) {
		mux.Handle("GET "+path, s.signedGET(h))
	}
	post := func(path string, h func(createWire) answer) {
		mux.Handle("POST "+path, s.signedPOST(h))
	}
	get(pathEstimate, s.estimate)
	get(pathMinAmount, s.minAmount)
	get(pathBalanceV2, s.balanceAnswer)
	get(pathBalanceCustody, s.balanceAnswer)
	get(pathStatusV2, func(q url.Values) answer { return s.status(FlowV2, q) })
	get(pathStatusCustody, func(q url.Values) answer { return s.status(FlowCustody, q) })
	post(pathDepositV2, func(c createWire) answer { return s.deposit(FlowV2, false, c) })
	post(pathDepositV2Static, func(c createWire) answer { return s.deposit(FlowV2, true, c) })
	post(pathDepositCustody, func(c createWire) answer { return s.deposit(FlowCustody, false, c) })
	post(pathWithdrawalV2, func(c createWire) answer { return s.withdraw(FlowV2, c) })
	post(pathWithdrawalCustody, func(c createWire) answer { return s.withdraw(FlowCustody, c) })
	return mux
}

// signedGET checks the key and the signature of a GET, over its query
// string as it arrived, without "?" (the document's "foo=bar" example).
func (s *Server) signedGET(h func(url.Values) answer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := s.authenticate(r, []byte(r.URL.RawQuery), nil); !ok {
			reply(w, a)
			return
		}
		reply(w, h(r.URL.Query()))
	})
}

// signedPOST checks the key and the signature of a POST, over the body in
// JSON.stringify(JSON.parse(body)) form, then decodes that form: what was
// signed is what is read, as a JavaScript server would read it. A create
// request the simulator applies may then be answered 502 (ErrorAfterApply).
// Every refusal changes nothing.
func (s *Server) signedPOST(h func(createWire) answer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			reply(w, fail(http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", "request body too large"))
			return
		}
		msg, err := stringify(body)
		if a, ok := s.authenticate(r, msg, err); !ok {
			reply(w, a)
			return
		}
		var c createWire
		if err := json.Unmarshal(msg, &c); err != nil {
			reply(w, fail(http.StatusBadRequest, "INVALID_BODY", "body does not match the request schema"))
			return
		}
		a := h(c)
		if a.status == http.StatusOK && s.takeErrorAfterApply() {
			a = fail(http.StatusBadGateway, "BAD_GATEWAY", "upstream error")
		}
		reply(w, a)
	})
}

// authenticate checks the API key, then that x-api-sign is message's
// signature; when message could not be made (notJSON, a POST body that is
// not JSON) it cannot be checked. It returns the refusal to send: 401, or
// 400 for a body that is not JSON.
func (s *Server) authenticate(r *http.Request, message []byte, notJSON error) (answer, bool) {
	switch {
	case r.Header.Get(KeyHeader) != s.opts.APIKey:
		return fail(http.StatusUnauthorized, "INVALID_API_KEY", "invalid api key"), false
	case notJSON != nil:
		return fail(http.StatusBadRequest, "INVALID_JSON", "body is not valid JSON"), false
	case !signed(s.opts.APISecret, message, r.Header.Get(SignHeader)):
		return fail(http.StatusUnauthorized, "INVALID_SIGNATURE", "invalid signature"), false
	}
	return answer{}, true
}

func reply(w http.ResponseWriter, a answer) {
	body, err := encodeJS(a.body)
	if err != nil {
		a.status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"INTERNAL","message":"encode"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write(body)
}

// takeErrorAfterApply reports whether this answer is to be replaced by a
// 502, and counts it.
func (s *Server) takeErrorAfterApply() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errAfter == 0 {
		return false
	}
	s.errAfter--
	return true
}

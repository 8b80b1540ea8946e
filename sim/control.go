package sim

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// ControlPath is where the simulator's control endpoints are mounted,
// beside the Hercle API and outside its faults and maintenance window.
// They do what Hercle's staff would (approve or refuse a whitelist entry
// or a payee address) and what a network would (drop the hub's
// connections), for an operator rehearsing against `engine sim`:
//
//	GET  /sim/control/approvals                     what waits for a review
//	POST /sim/control/whitelist/{id}/approve        ApproveWhitelist
//	POST /sim/control/whitelist/{id}/refuse         RefuseWhitelist
//	POST /sim/control/payee-addresses/{id}/approve  ApprovePayeeAddress
//	POST /sim/control/payee-addresses/{id}/refuse   RefusePayeeAddress
//	POST /sim/control/hub/drop                      Hub.DropConnections
//
// Each needs the API key as a Bearer token and a peer on loopback: the
// key keeps a web page the operator's browser visits from posting to
// them (a custom header cannot be sent cross-origin without a preflight,
// which these endpoints never answer). Answers are JSON: the entry in the
// REST API's shape, or an error in the documentation site's form.
const ControlPath = "/sim/control/"

// controlRoutes registers the control endpoints on mux. A route table.
func (s *Server) controlRoutes(mux *http.ServeMux) {
	v := s.venue
	h := func(pattern string, e endpoint) { mux.Handle(pattern, s.controlGuard(e)) }
	h("GET "+ControlPath+"approvals", func(*http.Request) (int, any, error) {
		a := v.PendingApprovals()
		return http.StatusOK, struct {
			Whitelist      []wireWhitelisted  `json:"whitelist"`
			PayeeAddresses []wirePayeeAddress `json:"payeeAddresses"`
		}{v.wireWhitelisted(a.Whitelist), hubList(a.PayeeAddresses, toWirePayeeAddress)}, nil
	})
	review := func(st AddressStatus, comment string) endpoint {
		return func(r *http.Request) (int, any, error) {
			w, err := v.review(r.PathValue("id"), st, comment)
			return http.StatusOK, v.wireWhitelisted([]WhitelistedAddress{w})[0], err
		}
	}
	h("POST "+ControlPath+"whitelist/{id}/approve", review(AddressApproved, "approved by the simulator"))
	h("POST "+ControlPath+"whitelist/{id}/refuse", review(AddressRefused, "refused by the simulator"))
	payee := func(set func(string) (PayeeAddress, error)) endpoint {
		return func(r *http.Request) (int, any, error) {
			a, err := set(r.PathValue("id"))
			return http.StatusOK, toWirePayeeAddress(a), err
		}
	}
	h("POST "+ControlPath+"payee-addresses/{id}/approve", payee(v.ApprovePayeeAddress))
	h("POST "+ControlPath+"payee-addresses/{id}/refuse", payee(v.RefusePayeeAddress))
	h("POST "+ControlPath+"hub/drop", func(*http.Request) (int, any, error) {
		return http.StatusOK, struct {
			Dropped int `json:"dropped"`
		}{s.hub.DropConnections()}, nil
	})
}

// controlGuard answers e only to a loopback peer with the API key.
func (s *Server) controlGuard(e endpoint) http.Handler {
	next := s.endpoint(e)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil || !venuehttp.IsLoopback(host) {
			writeError(w, false, apiError{http.StatusForbidden, "forbidden", "authentication_error", "FORBIDDEN",
				"the control endpoints answer loopback peers only", ""})
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.key)) != 1 {
			writeError(w, false, apiError{http.StatusUnauthorized, "invalid_api_key", "authentication_error", "UNAUTHORIZED",
				"the control endpoints need the simulator's API key as a Bearer token", ""})
			return
		}
		next.ServeHTTP(w, r)
	})
}

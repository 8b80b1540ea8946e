package daemon

import (
	"errors"
	"net/http"

	"github.com/otcdesk/engine/customers"
	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/heropayments"
)

// buildCustomers builds the customer deposits and payouts when
// Heropayments is enabled.
func (r *run) buildCustomers() error {
	if r.hp.merchant == nil {
		return nil
	}
	svc, err := customers.New(customers.Deps{
		Loop: r.eng.Loop, Follow: r.eng.Exec, Ledger: r.store, Deposits: r.hp.merchant, Flow: r.hp.flow,
		CallbackURL: r.hp.callbackURL, Logger: r.d.log.With("component", "customers"),
	})
	if err != nil {
		return err
	}
	r.customers = svc
	r.d.mu.Lock()
	r.d.customers = svc
	r.d.mu.Unlock()
	return nil
}

// customerRoutes mounts the customer operations on the admin API.
func (d *Daemon) customerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /admin/customers/deposits", d.admin("customer_deposit", d.customerDeposit))
	mux.HandleFunc("POST /admin/customers/payouts", d.admin("customer_payout", d.customerPayout))
}

func (d *Daemon) customerService() *customers.Service {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.trading {
		return nil
	}
	return d.customers
}

// customerDeposit is POST /admin/customers/deposits: an address for a
// customer to pay to (customers.DepositRequest). It moves no money.
func (d *Daemon) customerDeposit(r *http.Request) (int, any) {
	svc := d.customerService()
	if svc == nil {
		return http.StatusServiceUnavailable, map[string]string{"error": "customer operations need [heropayments] enabled and the engine trading"}
	}
	var req customers.DepositRequest
	if err := decodeBody(r, &req); err != nil {
		return http.StatusBadRequest, map[string]string{"error": err.Error()}
	}
	p, err := svc.Deposit(r.Context(), req)
	switch {
	case errors.Is(err, customers.ErrInvalid) || errors.Is(err, heropayments.ErrInvalidInput):
		return http.StatusBadRequest, map[string]string{"error": err.Error()}
	case err != nil:
		return http.StatusBadGateway, map[string]string{"error": err.Error()}
	}
	return http.StatusOK, map[string]string{"order_id": p.ExternalOrderID, "id": p.ID, "status": string(p.Status),
		"currency": p.Currency, "network": p.Network, "address": p.PayAddress, "expires_at": p.ExpiresAt}
}

// customerPayout is POST /admin/customers/payouts (customers.PayoutRequest):
// recorded, checked by risk and the daily limits, sent once. 200 with the
// state: "sent" (callbacks settle it), "settled", "failed" or "rejected"
// (nothing left), "unknown" (looked up, never re-sent).
func (d *Daemon) customerPayout(r *http.Request) (int, any) {
	svc := d.customerService()
	if svc == nil {
		return http.StatusServiceUnavailable, map[string]string{"error": "customer operations need [heropayments] enabled and the engine trading"}
	}
	var req customers.PayoutRequest
	if err := decodeBody(r, &req); err != nil {
		return http.StatusBadRequest, map[string]string{"error": err.Error()}
	}
	res, err := svc.Payout(r.Context(), req)
	if errors.Is(err, customers.ErrInvalid) {
		return http.StatusBadRequest, map[string]string{"error": err.Error()}
	}
	if err != nil {
		return http.StatusInternalServerError, map[string]string{"error": err.Error()}
	}
	state := map[execution.Status]string{execution.Sent: "sent", execution.Settled: "settled", execution.Failed: "failed",
		execution.Rejected: "rejected", execution.Unresolved: "unknown"}[res.Status]
	code := http.StatusOK
	if res.Status == execution.Failed || res.Status == execution.Rejected {
		code = http.StatusUnprocessableEntity
	}
	return code, map[string]string{"id": req.ID, "state": state, "detail": res.Detail, "heropayments_id": res.VenueRef}
}

package daemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/customers"
	"github.com/otcdesk/engine/execution"
)

// paperPayouts, in paper mode with Heropayments, plays the merchant's
// customers asking to be paid out: every [sim.customers] payout_every one
// of them gets a payout through the same path an operator's takes
// (recorded, checked by risk and the daily limits, sent once), so a paper
// run rehearses customer payouts too. It stops with ctx; start it only
// when there are customers to pay (the run group stops the engine when a
// unit returns on its own).
func (r *run) paperPayouts(ctx context.Context) error {
	c := r.d.cfg.Sim.Customers
	every := c.PayoutEvery.Duration
	rng := rand.New(rand.NewPCG(uint64(r.d.cfg.Sim.Seed), 0x9a7))
	session := r.d.o.Clock.Now().UTC().Format("20060102T150405")
	t := time.NewTicker(every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		who := rng.IntN(max(c.Count, 1)) + 1
		cents := c.MaxAmount.Sub(c.MinAmount.Decimal).Shift(2).IntPart()
		amount := c.MinAmount.Add(decimal.New(rng.Int64N(max(cents, 0)+1), -2))
		req := customers.PayoutRequest{
			ID: fmt.Sprintf("paper-payout-%s-%d", session, n), Customer: fmt.Sprintf("customer-%d", who),
			Currency: "USDT", Network: "Tron", Address: fmt.Sprintf("TPaperCustomer%dAddressAddressAddr", who), Amount: amount,
		}
		r.d.log.Info("paper mode: a simulated customer asks to be paid out", "id", req.ID, "customer_id", req.Customer, "amount", amount.String())
		res, err := r.customers.Payout(ctx, req)
		if err != nil || res.Status == execution.Failed || res.Status == execution.Rejected {
			r.d.log.Warn("paper mode: simulated customer payout not made", "id", req.ID, "detail", res.Detail, "err", err)
		}
	}
}

package heropayments

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/shopspring/decimal"
)

// EstimatedPrice asks how much r.To r.Amount of r.From is worth ("Get
// estimated price"). Reads are retried.
func (c *Client) EstimatedPrice(ctx context.Context, r EstimateRequest) (Estimate, error) {
	if r.From == "" || r.To == "" || !r.Amount.IsPositive() {
		return Estimate{}, fmt.Errorf("%w: an estimate needs From, To and a positive Amount", ErrInvalidInput)
	}
	amt, err := JSNumber(r.Amount.Decimal)
	if err != nil {
		return Estimate{}, err
	}
	q := url.Values{"currencyFrom": {r.From}, "currencyTo": {r.To}, "amount": {amt}}
	var out Estimate
	return out, c.do(ctx, request{route: routeEstimate, query: q}, &out)
}

// MinAmount returns the smallest payment processed in currency ("Minimum
// payment amount (V2)"). Show it to the customer: less is not processed.
func (c *Client) MinAmount(ctx context.Context, currency string) (MinAmount, error) {
	if currency == "" {
		return MinAmount{}, fmt.Errorf("%w: MinAmount needs a currency", ErrInvalidInput)
	}
	var out MinAmount
	return out, c.do(ctx, request{route: routeMinAmount, query: url.Values{"currency": {currency}}}, &out)
}

// CreateDeposit creates a deposit and its address ("Create a deposit (V2)"
// or "(Custody)"). It is never retried after the request may have been
// processed: an *UnknownOutcomeError carries r.ExternalOrderID, to be
// looked up with PaymentStatus before any resend.
func (c *Client) CreateDeposit(ctx context.Context, flow Flow, r DepositRequest) (Payment, error) {
	rt, err := pick(flow, routeDepositV2, routeDepositCustody)
	if err != nil {
		return Payment{}, err
	}
	return c.createDeposit(ctx, rt, r)
}

// CreateStaticDeposit creates a V2 deposit on the customer's static address
// (v2/payments-address): the same address every time for one customerId.
func (c *Client) CreateStaticDeposit(ctx context.Context, r DepositRequest) (Payment, error) {
	return c.createDeposit(ctx, routeDepositV2Address, r)
}

func (c *Client) createDeposit(ctx context.Context, rt route, r DepositRequest) (Payment, error) {
	if err := r.check(); err != nil {
		return Payment{}, err
	}
	var out Payment
	err := c.do(ctx, request{route: rt, body: r, externalOrderID: r.ExternalOrderID}, &out)
	return out, err
}

// PaymentStatus returns a payment's current state ("Payment status check
// by id"), by Heropayments' id or by our externalOrderId (and sequence, for
// a further payment to the same address). It is the fallback for lost
// callbacks and the lookup after an unknown outcome.
func (c *Client) PaymentStatus(ctx context.Context, flow Flow, ref Ref) (Payment, error) {
	rt, err := pick(flow, routeStatusV2, routeStatusCustody)
	if err != nil {
		return Payment{}, err
	}
	q, err := ref.query()
	if err != nil {
		return Payment{}, err
	}
	var out Payment
	return out, c.do(ctx, request{route: rt, query: q}, &out)
}

// Balance returns the merchant balance ("Get balance"); deposits
// accumulate in USDT.
func (c *Client) Balance(ctx context.Context, flow Flow) (Balance, error) {
	rt, err := pick(flow, routeBalanceV2, routeBalanceCustody)
	if err != nil {
		return Balance{}, err
	}
	var out Balance
	return out, c.do(ctx, request{route: rt}, &out)
}

// WithdrawalOptions are the local parts of a withdrawal that are not sent.
type WithdrawalOptions struct {
	// LimitValue is the amount counted against the daily limits, in the
	// limits' currency. Zero counts r.Amount, which then must be in the
	// limits' currency.
	LimitValue decimal.Decimal
}

// CreateWithdrawal pays r.Amount of r.Currency out to r.Address ("Create a
// withdrawal (V2)" or "(Custody)").
//
// When the client has Limits, the withdrawal is first counted against the
// merchant's and the customer's daily limits and refused with a
// *LimitError, before any request, if it would exceed one. The count is
// released when Heropayments definitively refuses the withdrawal, and kept
// when it was accepted or its outcome is unknown.
//
// It is never sent twice on its own: after a timeout, a broken connection
// or a 5xx it returns an *UnknownOutcomeError carrying r.ExternalOrderID;
// look the withdrawal up with PaymentStatus(ctx, flow,
// Ref{ExternalOrderID: …}) before deciding to resend.
func (c *Client) CreateWithdrawal(ctx context.Context, flow Flow, r WithdrawalRequest, opt WithdrawalOptions) (Payment, error) {
	rt, err := pick(flow, routeWithdrawalV2, routeWithdrawalCustody)
	if err != nil {
		return Payment{}, err
	}
	if err := r.check(); err != nil {
		return Payment{}, err
	}
	var res *Reservation
	if c.limits != nil {
		value := opt.LimitValue
		if value.IsZero() {
			if r.Currency != c.limits.Currency() {
				return Payment{}, fmt.Errorf("%w: withdrawal in %s needs WithdrawalOptions.LimitValue in %s for the daily limits",
					ErrInvalidInput, r.Currency, c.limits.Currency())
			}
			value = r.Amount.Decimal
		}
		if res, err = c.limits.Reserve(ctx, r.CustomerID, value); err != nil {
			return Payment{}, err
		}
	}
	var out Payment
	err = c.do(ctx, request{route: rt, body: r, externalOrderID: r.ExternalOrderID}, &out)
	if err != nil && res != nil && !errors.Is(err, ErrOutcomeUnknown) {
		if rerr := res.Release(context.WithoutCancel(ctx)); rerr != nil {
			return Payment{}, errors.Join(err, rerr)
		}
	}
	return out, err
}

func pick(flow Flow, v2, custody route) (route, error) {
	switch flow {
	case FlowV2:
		return v2, nil
	case FlowCustody:
		return custody, nil
	}
	return route{}, fmt.Errorf("%w: flow %q is neither %q nor %q", ErrInvalidInput, flow, FlowV2, FlowCustody)
}

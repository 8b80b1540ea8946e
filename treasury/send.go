package treasury

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/treasury/policy"
)

// send moves a sweep's or a settlement's excess to its destination.
func (t *Treasury) send(ctx context.Context, name string, p policy.Policy, d decision, res Result, plan bool) (Result, error) {
	return t.sendAmount(ctx, name, p, d.amount, res, plan, p.IsDryRun())
}

// sendAmount runs the safety checks for moving amount under policy name
// (p) and, unless plan or dry, submits the movement to the event loop:
// risk's transfer check there, then execution's send protocol.
func (t *Treasury) sendAmount(ctx context.Context, name string, p policy.Policy, amount decimal.Decimal, res Result, plan, dry bool) (Result, error) {
	res.Destination, res.Amount = p.Destination, amount
	if cid, err := t.inFlight(ctx, p.Destination); err != nil {
		return res, fmt.Errorf("policy %s: %w", name, err)
	} else if cid != "" {
		res.Outcome, res.ClientID = OutcomeSkipped, cid
		res.Reason = fmt.Sprintf("movement %s to %s is unresolved; nothing more goes there until it is", cid, p.Destination)
		return res, nil
	}
	tg, err := t.resolve(ctx, p.Destination, p, plan)
	if err != nil {
		res.Outcome, res.Reason = OutcomeRefused, err.Error()
		return res, fmt.Errorf("policy %s: %w", name, err)
	}
	now := t.clock.Now()
	if amount, err = t.clip(ctx, name, p, tg, amount, &res); err != nil {
		return res, err
	}
	if plan {
		res.Outcome = OutcomePlanned
		if tg.planNote != "" {
			res.Reason += "; " + tg.planNote
		}
		return res, nil
	}
	if dry {
		res.Outcome = OutcomeDryRun
		t.m.dryRuns.WithLabelValues(name).Inc()
		t.log.Info("treasury dry run: would send; nothing sent", "policy", name, "destination", tg.name,
			"method", tg.method, "asset", p.Asset, "amount", amount.String(), "reason", res.Reason)
		return res, nil
	}
	if tg.method == execution.MethodLightning {
		if tg.invoice, err = t.fetchInvoice(ctx, tg, amount); err != nil {
			res.Outcome, res.Reason = OutcomeRefused, err.Error()
			return res, fmt.Errorf("policy %s: %w", name, err)
		}
	}
	m := execution.Movement{
		Origin: execution.OriginTreasury, Policy: name, Method: tg.method, Destination: tg.name, Account: tg.account.String(),
		Asset: market.Asset(p.Asset), Amount: amount, Fee: p.Fee.Decimal, Day: utcDay(now),
		Address: tg.address, Network: tg.network, Params: tg.params, Instant: tg.dest.Instant,
		PayeeAddr: tg.payee, Internal: tg.from, Invoice: tg.invoice,
		Flow: p.Flow, Customer: p.CustomerID, MaxNetFee: p.MaxNetworkFee.Decimal,
	}
	m.Source = sourceOf(tg.method)
	m.Caps = capKeys(m.Day, m.Account, m.Asset)
	return t.moved(res, t.d.Loop.Move(ctx, m))
}

// clip cuts amount to what the daily caps leave, and refuses a movement the
// caps leave too small to be worth its fee or min_sweep.
func (t *Treasury) clip(ctx context.Context, name string, p policy.Policy, tg target, amount decimal.Decimal, res *Result) (decimal.Decimal, error) {
	left, binding, err := t.room(ctx, t.clock.Now(), tg, p.Asset)
	if err != nil {
		return amount, fmt.Errorf("policy %s: %w", name, err)
	}
	if !amount.GreaterThan(left) {
		return amount, nil
	}
	amount = left.Truncate(p.Decimals())
	net := amount
	if !p.FeeOnTop {
		net = amount.Sub(p.Fee.Decimal)
	}
	res.Amount = amount
	if !net.IsPositive() || net.LessThan(p.MinSweep.Decimal) {
		res.Outcome = OutcomeRefused
		res.Reason = fmt.Sprintf("%s leaves %s today, below min_sweep %s", binding, left, p.MinSweep.Decimal)
		return amount, fmt.Errorf("policy %s: %w: %s", name, ErrCapReached, res.Reason)
	}
	if r := p.MaxFeeRatio.Decimal; r.IsPositive() && p.Fee.IsPositive() && p.Fee.Div(amount).GreaterThan(r) {
		res.Outcome = OutcomeRefused
		res.Reason = fmt.Sprintf("%s leaves %s today; fee %s would be more than max_fee_ratio %s of it", binding, left, p.Fee.Decimal, r)
		return amount, fmt.Errorf("policy %s: %w: %s", name, ErrCapReached, res.Reason)
	}
	res.Reason += fmt.Sprintf("; clipped to %s by %s", amount, binding)
	return amount, nil
}

// moved reads the loop's result of a movement into the policy's.
func (t *Treasury) moved(res Result, r execution.Result) (Result, error) {
	m := r.Movement
	res.ClientID = m.ID
	log := t.log.With("policy", m.Policy, "client_id", m.ID, "destination", m.Destination, "method", m.Method,
		"asset", string(m.Asset), "amount", m.Amount.String())
	switch r.Status {
	case execution.Sent, execution.Settled:
		log.Info("treasury: sent", "venue_ref", r.VenueRef, "detail", r.Detail)
		if r.Detail != "sent" && r.Detail != "" {
			res.Reason += "; " + r.Detail
		}
		t.tracked[m.ID] = m
		t.m.amount.WithLabelValues(m.Policy, string(m.Asset)).Add(m.Amount.InexactFloat64())
		res.Outcome = OutcomeSent
		return res, nil
	case execution.Rejected:
		res.Outcome, res.Reason = OutcomeRefused, r.Detail
		return res, fmt.Errorf("policy %s: %w by the risk check: %w; nothing sent", m.Policy, ErrRejected, r.Err)
	case execution.Failed:
		log.Warn("treasury: refused; transit reversed, caps released", "detail", r.Detail)
		res.Outcome, res.Reason = OutcomeFailed, r.Detail
		return res, fmt.Errorf("policy %s: %w: %s", m.Policy, ErrRejected, r.Detail)
	}
	log.Warn("treasury: outcome unknown; it is looked up by Client-Id on every poll and never resent", "detail", r.Detail)
	t.tracked[m.ID] = m
	res.Outcome, res.Reason = OutcomeUnknown, r.Detail
	return res, fmt.Errorf("policy %s: %w: %s; it is looked up by Client-Id %s on every poll and never resent", m.Policy, ErrUnresolved, r.Detail, m.ID)
}

// inFlight returns the Client-Id of an unresolved movement to destination,
// or "".
func (t *Treasury) inFlight(ctx context.Context, destination string) (string, error) {
	opens, err := t.open(ctx)
	if err != nil {
		return "", err
	}
	for _, o := range opens {
		if o.m.Destination == destination {
			return o.in.ClientID, nil
		}
	}
	return "", nil
}

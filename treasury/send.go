package treasury

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/treasury/policy"
)

// send moves a sweep's or a settlement's excess to its destination.
func (t *Treasury) send(ctx context.Context, name string, p policy.Policy, d decision, res Result, plan bool) (Result, error) {
	return t.sendAmount(ctx, name, p, d.amount, res, plan, p.IsDryRun())
}

// sendAmount runs the safety checks for moving amount under policy name
// (p) and, unless plan or dry, records and sends it.
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
	left, binding, err := t.room(ctx, now, tg, p.Asset)
	if err != nil {
		return res, fmt.Errorf("policy %s: %w", name, err)
	}
	if amount.GreaterThan(left) {
		amount = left.Truncate(p.Decimals())
		net := amount
		if !p.FeeOnTop {
			net = amount.Sub(p.Fee.Decimal)
		}
		if !net.IsPositive() || net.LessThan(p.MinSweep.Decimal) {
			res.Outcome, res.Amount = OutcomeRefused, amount
			res.Reason = fmt.Sprintf("%s leaves %s today, below min_sweep %s", binding, left, p.MinSweep.Decimal)
			return res, fmt.Errorf("policy %s: %w: %s", name, ErrCapReached, res.Reason)
		}
		if r := p.MaxFeeRatio.Decimal; r.IsPositive() && p.Fee.IsPositive() && p.Fee.Div(amount).GreaterThan(r) {
			res.Outcome, res.Amount = OutcomeRefused, amount
			res.Reason = fmt.Sprintf("%s leaves %s today; fee %s would be more than max_fee_ratio %s of it", binding, left, p.Fee.Decimal, r)
			return res, fmt.Errorf("policy %s: %w: %s", name, ErrCapReached, res.Reason)
		}
		res.Amount = amount
		res.Reason += fmt.Sprintf("; clipped to %s by %s", amount, binding)
	}
	if plan {
		res.Outcome = OutcomePlanned
		return res, nil
	}
	if dry {
		res.Outcome = OutcomeDryRun
		t.m.dryRuns.WithLabelValues(name).Inc()
		t.log.Info("treasury dry run: would send; nothing sent", "policy", name, "destination", tg.name,
			"method", tg.method, "asset", p.Asset, "amount", amount.String(), "reason", res.Reason)
		return res, nil
	}
	if tg.method == methodLightning {
		if tg.invoice, err = t.fetchInvoice(ctx, tg, amount); err != nil {
			res.Outcome, res.Reason = OutcomeRefused, err.Error()
			return res, fmt.Errorf("policy %s: %w", name, err)
		}
	}
	rec := record{
		Origin: origin, Policy: name, Method: tg.method, Destination: tg.name, Account: tg.account.String(),
		Asset: market.Asset(p.Asset), Amount: amount, Fee: p.Fee.Decimal, Day: utcDay(now),
		Address: tg.address, Network: tg.network, Params: tg.params, Instant: tg.dest.Instant,
		PayeeAddr: tg.payee, Internal: tg.from, Invoice: tg.invoice,
		Flow: p.Flow, Customer: p.CustomerID, MaxNetFee: p.MaxNetworkFee.Decimal,
	}
	rec.Source = rec.venue()
	return t.commit(ctx, rec, res)
}

// inFlight returns the Client-Id of an unresolved movement to destination,
// or "".
func (t *Treasury) inFlight(ctx context.Context, destination string) (string, error) {
	opens, err := t.open(ctx)
	if err != nil {
		return "", err
	}
	for _, o := range opens {
		if o.rec.Destination == destination {
			return o.in.ClientID, nil
		}
	}
	return "", nil
}

// commit makes the movement durable (caps, intent, transit posting,
// submitted) and only then sends it, once.
func (t *Treasury) commit(ctx context.Context, rec record, res Result) (Result, error) {
	fail := func(outcome Outcome, err error) (Result, error) {
		res.Outcome, res.Reason = outcome, err.Error()
		return res, fmt.Errorf("policy %s: %w", rec.Policy, err)
	}
	cid, err := t.newID()
	if err != nil {
		return fail("", fmt.Errorf("new Client-Id: %w", err))
	}
	res.ClientID = cid
	body, err := json.Marshal(rec)
	if err != nil {
		return fail("", fmt.Errorf("encode the intent: %w", err))
	}
	if err := t.reserve(ctx, cid, rec); err != nil {
		return fail("", err)
	}
	var approval *risk.Approval
	// Risk caps money leaving the business; a settlement only moves it
	// between two of our venues.
	if t.d.Risk != nil && rec.Method != methodSettlement {
		a, err := t.d.Risk.CheckTransfer(ctx, t.clock.Now(), t.d.View(rec.Source), risk.Transfer{Destination: rec.Destination, Asset: rec.Asset, Amount: rec.Amount, Policy: rec.Policy})
		if err != nil {
			return fail(OutcomeRefused, errors.Join(fmt.Errorf("%w by the risk check: %w", ErrRejected, err), t.release(ctx, cid, rec)))
		}
		approval = &a
	}
	releaseRisk := func() error {
		if approval == nil {
			return nil
		}
		return t.d.Risk.Release(context.WithoutCancel(ctx), *approval)
	}
	in, created, err := t.d.Ledger.CreateIntent(ctx, ledger.Intent{ClientID: cid, Kind: rec.intentKind(), Venue: rec.venue(), Request: body})
	if err != nil {
		return fail("", errors.Join(fmt.Errorf("record the intent: %w", err), t.release(ctx, cid, rec), releaseRisk()))
	}
	if !created {
		// Not ours to send or release: the id belongs to another movement.
		return fail("", fmt.Errorf("Client-Id %s is already recorded (state %s); nothing sent", cid, in.State))
	}
	if _, _, err := t.d.Ledger.Post(ctx, sentEntry(cid, rec)); err != nil {
		return fail("", errors.Join(fmt.Errorf("post the transit entry of %s: %w", cid, err), t.abandon(ctx, cid, rec, "transit entry refused"), releaseRisk()))
	}
	if now := t.clock.Now(); !t.gateOpen(now) {
		return fail(OutcomeSkipped, errors.Join(fmt.Errorf("%w opened at %s before the request; nothing sent", ErrMaintenance, now.UTC().Format(time.RFC3339)),
			t.abandon(ctx, cid, rec, "maintenance window opened before sending"), releaseRisk()))
	}
	if _, err := t.d.Ledger.Transition(ctx, cid, ledger.StateSubmitted, ledger.Detail{Note: "sending"}); err != nil {
		return fail("", errors.Join(fmt.Errorf("mark %s submitted: %w", cid, err), t.abandon(ctx, cid, rec, "could not be marked submitted"), releaseRisk()))
	}
	t.tracked[cid] = rec
	ref, sendErr := t.execute(ctx, cid, rec)
	log := t.log.With("policy", rec.Policy, "client_id", cid, "destination", rec.Destination, "method", rec.Method,
		"asset", string(rec.Asset), "amount", rec.Amount.String())
	switch classify(sendErr) {
	case sentOK:
		log.Info("treasury: sent", "venue_ref", ref)
		// An answer naming the venue's id proves the venue holds the
		// movement (one without, a 2xx carrying an error, does not): the
		// ledger keeps that across restarts, so no lookup that lists
		// nothing can fail it. The money has left either way: a failed
		// write is logged, not returned.
		if ref != "" {
			if _, err := t.d.Ledger.Acknowledge(context.WithoutCancel(ctx), cid, ref); err != nil {
				log.Error("treasury: could not record the venue's acknowledgement; a later lookup that lists nothing could fail it", "venue_ref", ref, "err", err)
			}
		}
		t.m.amount.WithLabelValues(rec.Policy, string(rec.Asset)).Add(rec.Amount.InexactFloat64())
		res.Outcome = OutcomeSent
		return res, nil
	case sentRejected:
		log.Warn("treasury: refused by the venue; transit reversed, caps released", "err", sendErr)
		note := "refused: " + sendErr.Error()
		// The books must follow even if the caller gave up meanwhile.
		bg := context.WithoutCancel(ctx)
		err := errors.Join(t.settleFailed(bg, open{in: ledger.Intent{ClientID: cid, State: ledger.StateSubmitted}, rec: rec}, note), releaseRisk())
		return fail(OutcomeFailed, errors.Join(fmt.Errorf("%w: %w", ErrRejected, sendErr), err))
	}
	log.Warn("treasury: outcome unknown; looking it up by Client-Id before anything else", "err", sendErr)
	cur, err := t.d.Ledger.Transition(context.WithoutCancel(ctx), cid, ledger.StateUnknown, ledger.Detail{Note: clip("outcome unknown: " + sendErr.Error())})
	if errors.Is(err, ledger.ErrIllegalTransition) {
		// A webhook already finished it: the venue has it.
		if in, rerr := t.d.Ledger.Intent(ctx, cid); rerr == nil && outcomeOf(in) != "" {
			log.Info("treasury: sent (response lost; already finished by its webhook)", "outcome", outcomeOf(in))
			res.Outcome = OutcomeSent
			return res, nil
		}
	}
	if err != nil {
		return fail(OutcomeUnknown, fmt.Errorf("%w: %w; and marking it unknown failed: %w", ErrUnresolved, sendErr, err))
	}
	found, err := t.follow(ctx, open{in: cur, rec: rec})
	switch {
	case err != nil:
		return fail(OutcomeUnknown, fmt.Errorf("%w: %w; lookup: %w", ErrUnresolved, sendErr, err))
	case !found:
		return fail(OutcomeUnknown, fmt.Errorf("%w: %w; the venue has no record of Client-Id %s yet: it is looked up on every poll and never resent", ErrUnresolved, sendErr, cid))
	}
	log.Info("treasury: sent (response lost; found at the venue by Client-Id)")
	t.m.amount.WithLabelValues(rec.Policy, string(rec.Asset)).Add(rec.Amount.InexactFloat64())
	res.Outcome, res.Reason = OutcomeSent, res.Reason+"; the response was lost and the movement found by Client-Id"
	return res, nil
}

// execute sends the movement's request under its Client-Id and returns the
// venue's reference.
func (t *Treasury) execute(ctx context.Context, cid string, r record) (string, error) {
	amount := hercle.N(r.Amount)
	wr := hercle.WithdrawalRequest{Asset: string(r.Asset), Amount: amount, Address: r.Address, Network: r.Network}
	switch r.Method {
	case methodWithdrawal:
		w, _, err := t.d.Hercle.Withdraw(ctx, wr, cid)
		return w.ID, err
	case methodInstant:
		w, _, err := t.d.Hercle.WithdrawInstant(ctx, wr, cid)
		return w.ID, err
	case methodParams:
		w, _, err := t.d.Hercle.WithdrawWithAddressParams(ctx, hercle.AddressParamsWithdrawalRequest{Asset: wr.Asset, Amount: amount,
			Address: r.Address, AddressParams: hercle.Params(r.Params), Network: r.Network, IsInstant: r.Instant}, cid)
		return w.ID, err
	case methodLightning:
		p, _, err := t.d.Hercle.WithdrawLightning(ctx, hercle.LightningWithdrawalRequest{PaymentRequestHash: r.Invoice}, cid)
		return p.PaymentID, err
	case methodTransfer:
		rc, _, err := t.d.Hercle.CreateTransfer(ctx, hercle.TransferRequest{Asset: wr.Asset, Amount: amount, InternalAddressID: r.Internal,
			PayeeAddressID: r.PayeeAddr, Description: "treasury " + r.Policy + " " + cid}, cid)
		return rc.ID, err
	case methodSettlement:
		p, err := t.d.Heropayments.CreateWithdrawal(ctx, heropayments.Flow(r.Flow), heropayments.WithdrawalRequest{
			ExternalOrderID: cid, CustomerID: r.Customer, Currency: string(r.Asset), Network: r.Network,
			Amount: heropayments.A(r.Amount), Address: r.Address}, heropayments.WithdrawalOptions{})
		return p.ID, err
	}
	return "", fmt.Errorf("%w: unknown method %q", hercle.ErrInvalidInput, r.Method)
}

type sendResult int

const (
	sentOK       sendResult = iota
	sentRejected            // definitively not done
	sentUnknown             // may have been done
)

// classify reads a send error the way the venue clients define them: an
// unknown outcome, or one that cannot be placed, is unknown; a refusal
// before sending or a definitive answer is a rejection.
func classify(err error) sendResult {
	if err == nil {
		return sentOK
	}
	if errors.Is(err, hercle.ErrOutcomeUnknown) || errors.Is(err, heropayments.ErrOutcomeUnknown) {
		return sentUnknown
	}
	switch {
	case errors.Is(err, hercle.ErrNotSent), errors.Is(err, heropayments.ErrNotSent),
		errors.Is(err, hercle.ErrInvalidInput), errors.Is(err, heropayments.ErrInvalidInput),
		errors.Is(err, heropayments.ErrLimitExceeded), errors.Is(err, heropayments.ErrInexactAmount):
		return sentRejected
	}
	var he *hercle.APIError
	if errors.As(err, &he) && !(he.Status >= 500) {
		return sentRejected
	}
	var pe *heropayments.APIError
	if errors.As(err, &pe) && !(pe.Status >= 500) {
		return sentRejected
	}
	return sentUnknown
}

// abandon fails a movement that was never sent: the intent fails, the
// transit posting (if made) is reversed, and the caps are released.
func (t *Treasury) abandon(ctx context.Context, cid string, r record, note string) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	if _, err := t.d.Ledger.Transition(ctx, cid, ledger.StateFailed, ledger.Detail{Note: clip("never sent: " + note)}); err != nil && !errors.Is(err, ledger.ErrIllegalTransition) {
		errs = append(errs, fmt.Errorf("fail intent %s: %w", cid, err))
	}
	if _, err := t.reverse(ctx, cid, r, note); err != nil {
		errs = append(errs, err)
	}
	if err := t.release(ctx, cid, r); err != nil {
		errs = append(errs, err)
	}
	delete(t.tracked, cid)
	return errors.Join(errs...)
}

// reverse moves what is in the movement's transit account back to the
// source. If the movement's settlement was posted it changes nothing,
// logs the conflict and reports settled.
func (t *Treasury) reverse(ctx context.Context, cid string, r record, note string) (settled bool, err error) {
	settled, err = t.has(ctx, ledger.SettledKey(cid))
	if err != nil {
		return false, err
	}
	if settled {
		t.conflict(cid, r, "a failure was reported after the movement was settled; the settlement stands")
		return true, nil
	}
	amount, err := t.d.Ledger.Balance(ctx, ledger.Transit(r.transitKind(), cid), r.Asset)
	if err != nil {
		return false, fmt.Errorf("transit balance of %s: %w", cid, err)
	}
	if !amount.IsPositive() {
		return false, nil
	}
	if _, _, err := t.d.Ledger.Post(ctx, failedEntry(cid, r, amount, note)); err != nil {
		return false, fmt.Errorf("reverse the transit entry of %s: %w", cid, err)
	}
	return false, nil
}

func (t *Treasury) has(ctx context.Context, key string) (bool, error) {
	_, err := t.d.Ledger.Entry(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ledger.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("entry %s: %w", key, err)
}

// conflict logs, once per movement, a venue status that contradicts what
// the ledger already holds. Reconciliation decides; nothing is applied.
func (t *Treasury) conflict(cid string, r record, why string) {
	if t.conflicts[cid] {
		return
	}
	t.conflicts[cid] = true
	t.m.resolved.WithLabelValues(r.Method, "conflict").Inc()
	t.log.Error("treasury: venue status contradicts the ledger; not applied, needs reconciliation", "client_id", cid,
		"policy", r.Policy, "destination", r.Destination, "detail", why)
}

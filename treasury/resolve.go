package treasury

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/treasury/policy"
)

// open is a treasury movement not yet final.
type open struct {
	in  ledger.Intent
	rec record
}

// open returns the unresolved treasury movements, oldest first.
func (t *Treasury) open(ctx context.Context) ([]open, error) {
	all, err := t.d.Ledger.Unfinished(ctx)
	if err != nil {
		return nil, fmt.Errorf("list unresolved intents: %w", err)
	}
	var out []open
	for _, in := range all {
		if r, ok := decodeRecord(in); ok {
			out = append(out, open{in, r})
		}
	}
	slices.SortFunc(out, func(a, b open) int {
		if c := a.in.Created.Compare(b.in.Created); c != 0 {
			return c
		}
		return strings.Compare(a.in.ClientID, b.in.ClientID)
	})
	return out, nil
}

// venueState is what a lookup by Client-Id found.
type venueState struct {
	found   bool
	outcome ledger.IntentState // "" while in progress
	ref     string             // the venue's id
	status  string             // as the venue spells it
	fee     decimal.Decimal
}

// restOutcome reads a REST withdrawal or transfer status. The REST pages
// list CREATED, CONFIRMING and CONFIRMED, CONFIRMED being the last; the
// webhook words SUCCESS, FAILURE and REJECTED are read too.
func restOutcome(s string) ledger.IntentState {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CONFIRMED", "SUCCESS":
		return ledger.StateSucceeded
	case "FAILURE", "FAILED", "REJECTED":
		return ledger.StateFailed
	}
	return ""
}

// lookup asks the venue about the movement by its Client-Id.
func (t *Treasury) lookup(ctx context.Context, o open) (venueState, error) {
	cid, r := o.in.ClientID, o.rec
	switch r.Method {
	case methodSettlement:
		p, err := t.d.Heropayments.PaymentStatus(ctx, heropayments.Flow(r.Flow), heropayments.Ref{ExternalOrderID: cid})
		if errors.Is(err, heropayments.ErrNotFound) {
			return venueState{}, nil
		}
		if err != nil {
			return venueState{}, err
		}
		if p.ExternalOrderID == "" {
			p.ExternalOrderID = cid
		}
		if want := (heropayments.PaymentKey{ExternalOrderID: cid, Sequence: heropayments.SequenceOriginal}); p.Key() != want {
			// Not this settlement's status: applying it could fail a
			// withdrawal Heropayments is sending.
			return venueState{}, fmt.Errorf("the Heropayments status lookup of %s answered for payment %s", cid, p.Key())
		}
		st := venueState{found: true, ref: p.ID, status: string(p.Status)}
		switch heropayments.Classify(heropayments.Flow(r.Flow), heropayments.KindWithdrawal, p.Status) {
		case heropayments.OutcomeSuccess:
			st.outcome = ledger.StateSucceeded
		case heropayments.OutcomeFailed:
			st.outcome = ledger.StateFailed
		case heropayments.OutcomeUnknown:
			t.log.Warn("treasury: undocumented Heropayments status; treated as in progress", "client_id", cid, "status", p.Status)
		}
		return st, nil
	case methodTransfer:
		q := hercle.TransferQuery{StartDate: o.in.Created.Add(-24 * time.Hour), EndDate: t.clock.Now().Add(time.Hour), TransferClientID: cid}
		var found []venueState
		var ids []string
		for tr, err := range t.d.Hercle.Transfers(ctx, q) {
			if err != nil {
				return venueState{}, err
			}
			found = append(found, venueState{found: true, outcome: restOutcome(string(tr.Status)), ref: tr.ID, status: string(tr.Status)})
			ids = append(ids, tr.ClientID)
		}
		return t.pick(cid, found, ids), nil
	}
	ws, err := t.d.Hercle.WithdrawalsByClientID(ctx, cid)
	if errors.Is(err, hercle.ErrNotFound) {
		return venueState{}, nil
	}
	if err != nil {
		return venueState{}, err
	}
	found := make([]venueState, len(ws))
	ids := make([]string, len(ws))
	for i, w := range ws {
		found[i] = venueState{found: true, outcome: restOutcome(string(w.Status)), ref: w.ID, status: string(w.Status), fee: w.Fee.Decimal}
		ids[i] = w.ClientID
	}
	return t.pick(cid, found, ids), nil
}

// pick chooses the record of cid among the records a lookup by cid
// returned (ids are their clientId fields). A record naming another
// Client-Id is not ours. One that names none is taken to be ours: the venue
// filtered by cid, and treating a movement that happened as absent would
// fail it and let a later run send it again. More than one candidate is
// logged for reconciliation and followed as in progress, never failed.
func (t *Treasury) pick(cid string, found []venueState, ids []string) venueState {
	var exact, unnamed []venueState
	for i, st := range found {
		switch ids[i] {
		case cid:
			exact = append(exact, st)
		case "":
			unnamed = append(unnamed, st)
		}
	}
	cands := exact
	if len(cands) == 0 {
		cands = unnamed
	}
	switch len(cands) {
	case 0:
		return venueState{}
	case 1:
		return cands[0]
	}
	t.log.Error("treasury: the venue lists more than one movement for one Client-Id; followed as in progress, reconcile by hand",
		"client_id", cid, "count", len(cands))
	return venueState{found: true, ref: cands[0].ref, status: "ambiguous"}
}

// follow looks the movement up and applies what the venue says. It
// reports whether the venue has a record of it.
func (t *Treasury) follow(ctx context.Context, o open) (bool, error) {
	cid := o.in.ClientID
	st, err := t.lookup(ctx, o)
	if err != nil {
		return false, fmt.Errorf("look up %s by Client-Id: %w", cid, err)
	}
	if !st.found {
		return false, t.noRecord(ctx, o)
	}
	delete(t.notFound, cid)
	switch st.outcome {
	case ledger.StateFailed:
		return true, t.settleFailed(ctx, o, "venue status "+st.status)
	case ledger.StateSucceeded:
		if o.rec.Method == methodSettlement {
			if done, err := t.alreadyLanded(ctx, cid, o.rec, st.ref); done || err != nil {
				return true, err
			}
			t.landedAt(ctx, o, st)
			return true, nil
		}
		return true, t.settleSucceeded(ctx, o, st)
	}
	return true, nil
}

// noRecord counts a lookup that found nothing. A movement the venue still
// has no record of after Lookups lookups did not happen and fails; one the
// venue acknowledged (a 2xx answer naming its id, recorded in the ledger),
// and a Lightning payment, whose lookup by Client-Id is not documented,
// stay open for an operator instead.
func (t *Treasury) noRecord(ctx context.Context, o open) error {
	cid := o.in.ClientID
	t.notFound[cid]++
	n := t.notFound[cid]
	if o.in.Acknowledged() {
		// The venue answered the request with success: it has the
		// movement, whatever its lookup lists. Failing it would put money
		// that left back in the books and release its caps.
		if n == 1 {
			t.log.Error("treasury: the venue accepted this movement but does not list it by Client-Id; it stays open and is never resent: check it at the venue",
				"client_id", cid, "policy", o.rec.Policy)
		}
		return nil
	}
	if o.in.State == ledger.StateSubmitted {
		if _, err := t.d.Ledger.Transition(ctx, cid, ledger.StateUnknown, ledger.Detail{Note: "the venue has no record of it"}); err != nil && !errors.Is(err, ledger.ErrIllegalTransition) {
			return fmt.Errorf("mark %s unknown: %w", cid, err)
		}
	}
	if o.rec.Method == methodLightning {
		if n == 1 {
			t.log.Error("treasury: Lightning payment not found by Client-Id; it stays unknown and is never resent: check the BTC balance and the transaction history",
				"client_id", cid, "policy", o.rec.Policy)
		}
		return nil
	}
	if n < t.cfg.LookupsOr() {
		return nil
	}
	delete(t.notFound, cid)
	t.log.Warn("treasury: the venue has no record of the movement after every lookup; it did not happen: failed, transit reversed",
		"client_id", cid, "policy", o.rec.Policy, "lookups", n)
	return t.settleFailed(ctx, o, fmt.Sprintf("no record at the venue after %d lookups", n))
}

// settleSucceeded posts the movement's settlement (transit to the
// destination, the venue's fee to its fees account) and finishes its
// intent.
func (t *Treasury) settleSucceeded(ctx context.Context, o open, st venueState) error {
	cid, r := o.in.ClientID, o.rec
	failed, err := t.has(ctx, ledger.FailedKey(cid))
	if err != nil {
		return err
	}
	if failed {
		t.conflict(cid, r, "the venue reports success ("+st.status+") after the movement was reversed")
		return nil
	}
	settled, err := t.has(ctx, ledger.SettledKey(cid))
	if err != nil {
		return err
	}
	if !settled {
		amount, err := t.d.Ledger.Balance(ctx, ledger.Transit(r.transitKind(), cid), r.Asset)
		if err != nil {
			return fmt.Errorf("transit balance of %s: %w", cid, err)
		}
		if amount.IsPositive() {
			e, _ := settledEntry(cid, r, amount, st.fee, map[string]string{"venue_id": st.ref, "status": st.status, "source": "treasury.poll"})
			if _, _, err := t.d.Ledger.Post(ctx, e); err != nil {
				return fmt.Errorf("post the settlement of %s: %w", cid, err)
			}
		} else {
			t.log.Error("treasury: final status but nothing in transit; intent finished, journal unchanged, needs reconciliation", "client_id", cid)
		}
	}
	if err := t.finishIntent(ctx, cid, r, ledger.StateSucceeded, st.ref, "REST status "+st.status); err != nil {
		return err
	}
	t.log.Info("treasury: settled", "client_id", cid, "policy", r.Policy, "destination", r.Destination, "venue_ref", st.ref)
	t.m.resolved.WithLabelValues(r.Method, "succeeded").Inc()
	delete(t.tracked, cid)
	return nil
}

// settleFailed reverses the movement's transit posting, fails its intent
// and releases its caps.
func (t *Treasury) settleFailed(ctx context.Context, o open, note string) error {
	cid, r := o.in.ClientID, o.rec
	if settled, err := t.reverse(ctx, cid, r, note); err != nil || settled {
		return err
	}
	if err := t.finishIntent(ctx, cid, r, ledger.StateFailed, "", note); err != nil {
		return err
	}
	if err := t.release(ctx, cid, r); err != nil {
		return err
	}
	t.m.resolved.WithLabelValues(r.Method, "failed").Inc()
	delete(t.tracked, cid)
	delete(t.landed, cid)
	return nil
}

// finishIntent moves the intent to the outcome, from whatever state it is
// in now: a venue record proves a pending intent was sent. One already
// final with the same outcome is left alone (the webhook got there
// first); the opposite outcome is a conflict.
func (t *Treasury) finishIntent(ctx context.Context, cid string, r record, want ledger.IntentState, ref, note string) error {
	for range 2 {
		cur, err := t.d.Ledger.Intent(ctx, cid)
		if err != nil {
			return fmt.Errorf("intent %s: %w", cid, err)
		}
		d := ledger.Detail{VenueRef: ref, Note: clip(note)}
		switch cur.State {
		case ledger.StateSubmitted:
			_, err = t.d.Ledger.Transition(ctx, cid, want, d)
		case ledger.StatePending:
			if want == ledger.StateFailed && ref == "" {
				_, err = t.d.Ledger.Transition(ctx, cid, ledger.StateFailed, d)
				break
			}
			if _, err = t.d.Ledger.Transition(ctx, cid, ledger.StateUnknown, d); err == nil {
				d.Outcome = want
				_, err = t.d.Ledger.Transition(ctx, cid, ledger.StateResolved, d)
			}
		case ledger.StateUnknown:
			d.Outcome = want
			_, err = t.d.Ledger.Transition(ctx, cid, ledger.StateResolved, d)
		default:
			if got := outcomeOf(cur); got != want {
				t.conflict(cid, r, fmt.Sprintf("the intent is already %s, the venue says %s", got, want))
			}
			return nil
		}
		if !errors.Is(err, ledger.ErrIllegalTransition) {
			return err
		}
		// Moved concurrently (package inbound applied a webhook): look again.
	}
	return nil
}

// outcomeOf is succeeded or failed for a final intent, else "".
func outcomeOf(in ledger.Intent) ledger.IntentState {
	switch in.State {
	case ledger.StateSucceeded, ledger.StateFailed:
		return in.State
	case ledger.StateResolved:
		return in.Outcome
	}
	return ""
}

// Poll resolves what webhooks have not: every movement unresolved after
// PollAfter (and every unknown one, and every settlement) is looked up by
// Client-Id and settled or failed from what the venue says; a settlement
// Heropayments has sent is matched with its Hercle deposit; the caps of
// movements that failed are released. It runs on the "treasury:poll" job.
func (t *Treasury) Poll(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.poll(ctx, false)
}

// Recover resolves the treasury intents a previous run left unfinished,
// before anything new is sent: a pending one was never sent and fails
// (its transit posting reversed, its caps released); a submitted or
// unknown one is looked up by Client-Id and settled, failed, or followed.
// It also releases the caps of today's movements that failed while the
// engine was down. Call it once at start-up, after the webhook processor
// has applied what it stored (inbound.Processor.Sync). An error (the venue
// unreachable, say) leaves the rest to the poll; the books stay
// consistent and nothing is sent for a movement not yet resolved, so the
// engine may keep running.
func (t *Treasury) Recover(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	today := utcDay(t.clock.Now())
	for _, st := range []ledger.IntentState{ledger.StateFailed, ledger.StateResolved} {
		ins, err := t.d.Ledger.Intents(ctx, st)
		if err != nil {
			return fmt.Errorf("treasury: recover: list %s intents: %w", st, err)
		}
		for _, in := range ins {
			if r, ok := decodeRecord(in); ok && r.Day == today && outcomeOf(in) == ledger.StateFailed {
				errs = append(errs, t.release(ctx, in.ClientID, r))
			}
		}
	}
	errs = append(errs, t.poll(ctx, true))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("treasury: recover: %w", err)
	}
	return nil
}

// poll is Poll with t.mu held; recovering looks every movement up at once.
func (t *Treasury) poll(ctx context.Context, recovering bool) error {
	opens, err := t.open(ctx)
	if err != nil {
		return fmt.Errorf("treasury: poll: %w", err)
	}
	now := t.clock.Now()
	after := t.cfg.PollAfter.Or(policy.DefaultPollAfter)
	var errs []error
	seen := make(map[string]bool, len(opens))
	for _, o := range opens {
		cid := o.in.ClientID
		seen[cid] = true
		t.tracked[cid] = o.rec
		switch {
		case o.in.State == ledger.StatePending:
			t.log.Warn("treasury: intent recorded but never sent (the engine stopped first); failed, transit reversed", "client_id", cid, "policy", o.rec.Policy)
			errs = append(errs, t.abandon(ctx, cid, o.rec, "the engine stopped between recording and sending"))
		case t.landed[cid].created.IsZero() && (recovering || o.in.State == ledger.StateUnknown ||
			o.rec.Method == methodSettlement || now.Sub(o.in.Created) >= after):
			_, err := t.follow(ctx, o)
			errs = append(errs, err)
		}
	}
	errs = append(errs, t.finished(ctx, seen), t.matchDeposits(ctx, now))
	t.m.open.Set(float64(len(t.tracked)))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("treasury: poll: %w", err)
	}
	return nil
}

// finished accounts for tracked movements that became final elsewhere
// (package inbound, from a webhook): a failed one's caps are released.
func (t *Treasury) finished(ctx context.Context, seen map[string]bool) error {
	var errs []error
	for cid, r := range t.tracked {
		if seen[cid] {
			continue
		}
		in, err := t.d.Ledger.Intent(ctx, cid)
		if err != nil {
			errs = append(errs, fmt.Errorf("intent %s: %w", cid, err))
			continue
		}
		switch outcomeOf(in) {
		case ledger.StateFailed:
			if err := t.release(ctx, cid, r); err != nil {
				errs = append(errs, err)
				continue
			}
			t.m.resolved.WithLabelValues(r.Method, "failed").Inc()
		case ledger.StateSucceeded:
			t.m.resolved.WithLabelValues(r.Method, "succeeded").Inc()
		}
		delete(t.tracked, cid)
		delete(t.landed, cid)
		delete(t.notFound, cid)
	}
	return errors.Join(errs...)
}

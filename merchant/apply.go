package merchant

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// decoded is a stored event read back.
type decoded struct {
	ev      ledger.Event
	flow    heropayments.Flow
	origin  string
	cb      heropayments.Callback
	kind    heropayments.Kind
	outcome heropayments.Outcome
	at      time.Time // when the status was reached, as Heropayments says, else when stored
}

// flowOf returns the flow an event was stored under, or the processor's.
func (p *Processor) flowOf(ev ledger.Event) heropayments.Flow {
	switch f := heropayments.Flow(ev.Meta[MetaFlow]); f {
	case heropayments.FlowV2, heropayments.FlowCustody:
		return f
	}
	return p.flow
}

// decode reads a callback or poll event. kind is resolved from the body's
// type, else from what the registry or the intents know of the payment.
func (p *Processor) decode(ctx context.Context, ev ledger.Event) (decoded, error) {
	d := decoded{ev: ev, flow: p.flowOf(ev), origin: ev.Meta[MetaOrigin]}
	if d.origin == "" {
		d.origin = OriginCallback
	}
	cb, err := heropayments.ParseCallback(d.flow, ev.Body)
	if err != nil {
		return d, quarantinef("event %s: %v", ev.ID, err)
	}
	d.cb = cb
	d.kind = heropayments.Kind(strings.ToLower(strings.TrimSpace(string(cb.Payment.Type))))
	if d.kind != heropayments.KindDeposit && d.kind != heropayments.KindWithdrawal {
		d.kind = ""
		if st, ok := p.reg.get(cb.Key); ok && st.Kind != "" {
			d.kind = st.Kind
		} else if _, err := p.store.Intent(ctx, cb.Key.ExternalOrderID); err == nil {
			d.kind = heropayments.KindWithdrawal
		} else if !errors.Is(err, ledger.ErrNotFound) {
			return d, fmt.Errorf("intent %s: %w", cb.Key.ExternalOrderID, err)
		} else {
			return d, quarantinef("event %s: payment type %q is neither deposit nor withdrawal, and no intent or earlier event names it",
				ev.ID, clipRef(string(cb.Payment.Type)))
		}
	}
	d.outcome = heropayments.Classify(d.flow, d.kind, cb.Payment.Status)
	d.at = ev.Received
	if t, err := time.Parse(time.RFC3339, cb.Payment.UpdatedAt); err == nil {
		d.at = t.UTC()
	}
	return d, nil
}

// kindLabel is the metric label of a payment kind.
func kindLabel(k heropayments.Kind) string {
	if k == "" {
		return "other"
	}
	return string(k)
}

// apply applies one stored event. It returns the payment kind and outcome
// labels; an error wrapping errQuarantine means it never can be applied,
// any other error is transient.
func (p *Processor) apply(ctx context.Context, ev ledger.Event) (string, string, error) {
	if ev.Meta[MetaOrigin] == OriginTracked {
		return string(heropayments.KindDeposit), OutcomeRecorded, p.applyTracked(ev)
	}
	d, err := p.decode(ctx, ev)
	if err != nil {
		return kindLabel(d.kind), "", err
	}
	var outcome string
	if d.kind == heropayments.KindDeposit {
		outcome, err = p.applyDeposit(ctx, d)
	} else {
		outcome, err = p.applyWithdrawal(ctx, d)
	}
	return kindLabel(d.kind), outcome, err
}

// applyTracked records a deposit CreateDeposit is about to request.
func (p *Processor) applyTracked(ev ledger.Event) error {
	var t tracked
	if err := json.Unmarshal(ev.Body, &t); err != nil || t.ExternalOrderID == "" {
		return quarantinef("tracked deposit %s: body does not decode", ev.ID)
	}
	k := heropayments.Payment{ExternalOrderID: t.ExternalOrderID, Sequence: t.Sequence}.Key()
	flow := p.flowOf(ev)
	p.reg.update(k, ev.Received, func(s *PaymentState) {
		if s.Kind == "" {
			s.Kind, s.Flow, s.Origin = heropayments.KindDeposit, flow, OriginTracked
			s.CustomerID, s.Currency = t.CustomerID, t.Currency
		}
	})
	return nil
}

// record updates the payment's state with d (see observe).
func (p *Processor) record(d decoded, entryKey string, treasury bool) {
	p.reg.update(d.cb.Key, d.ev.Received, func(s *PaymentState) {
		before := s.Outcome
		observe(s, d.cb.Payment, d.flow, d.kind, d.outcome, d.origin, d.at)
		if entryKey != "" && d.outcome.Final() && (!before.Final() || before == d.outcome) {
			s.EntryKey = entryKey
		}
		s.Treasury = s.Treasury || treasury
	})
}

// logUnknown warns about a status the document does not list for the
// payment's flow and kind.
func (p *Processor) logUnknown(d decoded) {
	p.log.Warn("merchant: undocumented Heropayments status; recorded, not applied", "event_id", d.ev.ID,
		"flow", d.flow, "kind", d.kind, "status", clipRef(string(d.cb.Payment.Status)))
}

func (p *Processor) applyDeposit(ctx context.Context, d decoded) (string, error) {
	key := DepositKey(d.cb.Key)
	st, known := p.reg.get(d.cb.Key)
	final := known && st.Outcome.Final()
	switch d.outcome {
	case heropayments.OutcomeInProgress:
		if final {
			return OutcomeStale, nil
		}
		p.record(d, "", false)
		return OutcomeRecorded, nil
	case heropayments.OutcomeUnknown:
		p.logUnknown(d)
		if !final {
			p.record(d, "", false)
		}
		return OutcomeUnknown, nil
	case heropayments.OutcomeFailed:
		credited, err := p.hasEntry(ctx, key)
		if err != nil {
			return "", err
		}
		if credited || final && st.Outcome != heropayments.OutcomeFailed {
			p.conflict(d, "a failed deposit status after the deposit was credited; the credit stands")
			return OutcomeConflict, nil
		}
		p.record(d, "", false)
		if final {
			return OutcomeDuplicate, nil
		}
		return OutcomeFailed, nil
	}
	if final && st.Outcome != heropayments.OutcomeSuccess {
		p.conflict(d, "a successful deposit status after the deposit was recorded "+st.Outcome.String()+"; nothing credited")
		return OutcomeConflict, nil
	}
	postings, ok := depositPostings(d.cb.Payment, p.merchant)
	if !ok {
		return "", quarantinef("deposit %s reported %s without a positive amount in a valid currency", d.cb.Key, d.cb.Payment.Status)
	}
	e := ledger.Entry{
		Key:      key,
		Kind:     ledger.KindDeposit,
		Time:     d.at,
		Refs:     refs(d),
		Memo:     "Heropayments " + string(d.flow) + " deposit " + string(d.cb.Payment.Status),
		Postings: postings,
	}
	got, created, err := p.store.Post(ctx, e)
	if err != nil {
		return "", postError(e.Key, err)
	}
	p.record(d, key, false)
	if !created && got.Refs["event_id"] != d.ev.ID {
		if !samePostings(got.Postings, e.Postings) {
			p.conflict(d, "the deposit was reported again with different amounts; the first credit stands")
			return OutcomeConflict, nil
		}
		return OutcomeDuplicate, nil
	}
	p.log.Info("merchant: Heropayments deposit credited", "key", d.cb.Key.String(), "status", d.cb.Payment.Status,
		"origin", d.origin, "entry", key)
	return OutcomeCredited, nil
}

func (p *Processor) conflict(d decoded, why string) {
	p.log.Error("merchant: Heropayments status contradicts the recorded outcome; ignored, needs reconciliation",
		"event_id", d.ev.ID, "key", d.cb.Key.String(), "kind", d.kind, "status", clipRef(string(d.cb.Payment.Status)), "why", why)
}

// effectiveOutcome is succeeded or failed for a final intent, else "".
func effectiveOutcome(in ledger.Intent) ledger.IntentState {
	switch in.State {
	case ledger.StateSucceeded, ledger.StateFailed:
		return in.State
	case ledger.StateResolved:
		return in.Outcome
	}
	return ""
}

// isTreasurySettlement reports whether in is one of treasury's settlement
// withdrawals, which treasury settles itself when the deposit lands at
// Hercle.
func isTreasurySettlement(in ledger.Intent) bool {
	var r struct {
		Origin string `json:"origin"`
		Method string `json:"method"`
	}
	return len(in.Request) > 0 && json.Unmarshal(in.Request, &r) == nil && r.Origin == "treasury" && r.Method == "settlement"
}

func (p *Processor) applyWithdrawal(ctx context.Context, d decoded) (string, error) {
	cid := d.cb.Key.ExternalOrderID
	in, err := p.store.Intent(ctx, cid)
	if errors.Is(err, ledger.ErrNotFound) {
		p.log.Warn("merchant: Heropayments withdrawal names no intent of ours; recorded only", "event_id", d.ev.ID,
			"key", d.cb.Key.String(), "status", clipRef(string(d.cb.Payment.Status)))
		p.record(d, "", false)
		return OutcomeUnmatched, nil
	}
	if err != nil {
		return "", fmt.Errorf("intent %s: %w", cid, err)
	}
	if isTreasurySettlement(in) {
		p.log.Info("merchant: callback of a treasury settlement; left to treasury, which settles it when the deposit lands at Hercle",
			"event_id", d.ev.ID, "client_id", cid, "status", clipRef(string(d.cb.Payment.Status)))
		p.record(d, "", true)
		return OutcomeTreasury, nil
	}
	if in.Kind != ledger.IntentPayout || in.Venue != ledger.Heropayments {
		return "", quarantinef("withdrawal %s names intent %s of kind %s at %s, not a Heropayments payout", d.ev.ID, cid, in.Kind, in.Venue)
	}
	final := effectiveOutcome(in)
	switch d.outcome {
	case heropayments.OutcomeInProgress:
		if final != "" {
			return OutcomeStale, nil
		}
		p.record(d, "", false)
		return OutcomeRecorded, nil
	case heropayments.OutcomeUnknown:
		p.logUnknown(d)
		if final == "" {
			p.record(d, "", false)
		}
		return OutcomeUnknown, nil
	}
	want, mine, other, outcome := ledger.StateSucceeded, ledger.SettledKey(cid), ledger.FailedKey(cid), OutcomeSettled
	if d.outcome == heropayments.OutcomeFailed {
		want, mine, other, outcome = ledger.StateFailed, ledger.FailedKey(cid), ledger.SettledKey(cid), OutcomeFailed
	}
	otherPosted, err := p.hasEntry(ctx, other)
	if err != nil {
		return "", err
	}
	if otherPosted || final != "" && final != want {
		p.conflict(d, fmt.Sprintf("intent %s is %s (outcome %s)", cid, in.State, final))
		return OutcomeConflict, nil
	}
	posted, err := p.hasEntry(ctx, mine)
	if err != nil {
		return "", err
	}
	if posted && final == want {
		p.record(d, mine, false)
		return OutcomeDuplicate, nil
	}
	if !posted {
		if outcome, err = p.postPayout(ctx, d, cid, mine, want == ledger.StateSucceeded, outcome); err != nil {
			return "", err
		}
	}
	if final == "" {
		if err := p.finish(ctx, in, want, d); err != nil {
			return "", err
		}
	}
	entry := mine
	if outcome == OutcomeNoTransit {
		entry = ""
	}
	p.record(d, entry, false)
	return outcome, nil
}

// postPayout posts a payout's settlement (transit to its destination) or
// its failure (transit back to the merchant account) under key; with
// nothing in transit it posts nothing and reports OutcomeNoTransit.
func (p *Processor) postPayout(ctx context.Context, d decoded, cid, key string, settled bool, outcome string) (string, error) {
	hs, err := p.inTransit(ctx, cid, d.cb.Payment)
	if err != nil {
		return "", err
	}
	if len(hs) == 0 {
		p.log.Error("merchant: final payout status but nothing in transit; intent moved, journal unchanged, needs reconciliation",
			"event_id", d.ev.ID, "client_id", cid, "status", d.cb.Payment.Status)
		return OutcomeNoTransit, nil
	}
	e := ledger.Entry{Key: key, Time: d.at, ClientID: cid, Refs: refs(d)}
	if settled {
		dest, err := p.destination(ctx, cid, d.cb.Payment)
		if err != nil {
			return "", err
		}
		e.Kind, e.Postings = ledger.KindWithdrawalSettled, settledPostings(hs, dest, d.cb.Payment)
	} else {
		e.Kind, e.Postings = ledger.KindWithdrawalFailed, failedPostings(hs)
	}
	if _, _, err := p.store.Post(ctx, e); err != nil {
		return "", postError(e.Key, err)
	}
	return outcome, nil
}

// destination is the account a settled payout credits: the one its sent
// entry names (ledger.RefTo), else the address the callback reports.
func (p *Processor) destination(ctx context.Context, cid string, pay heropayments.Payment) (ledger.Account, error) {
	if a, ok, err := ledger.SentTo(ctx, p.store, cid); err != nil || ok {
		return a, err
	}
	return payoutDestination(pay), nil
}

// inTransit returns what payout cid holds in transit:withdrawal:<cid>,
// in the payout's currency and the merchant currency.
func (p *Processor) inTransit(ctx context.Context, cid string, pay heropayments.Payment) ([]held, error) {
	assets := []market.Asset{p.merchant}
	if a, ok := asset(pay.Currency); ok && a != p.merchant {
		assets = append([]market.Asset{a}, assets...)
	}
	acct := ledger.Transit(ledger.TransitWithdrawal, cid)
	var hs []held
	for _, a := range assets {
		bal, err := p.store.Balance(ctx, acct, a)
		if err != nil {
			return nil, fmt.Errorf("transit balance of %s: %w", cid, err)
		}
		if bal.IsPositive() {
			hs = append(hs, held{account: acct, asset: a, amount: bal})
		}
	}
	return hs, nil
}

// finish moves a payout intent not yet final to the outcome Heropayments
// reported.
func (p *Processor) finish(ctx context.Context, in ledger.Intent, want ledger.IntentState, d decoded) error {
	note := "heropayments " + d.origin + " status " + clipRef(string(d.cb.Payment.Status))
	ref := clipRef(d.cb.Payment.ID)
	var err error
	switch in.State {
	case ledger.StateSubmitted:
		_, err = p.store.Transition(ctx, in.ClientID, want, ledger.Detail{VenueRef: ref, Note: note})
	case ledger.StatePending, ledger.StateUnknown:
		// A status from Heropayments proves the request reached it,
		// whatever the process that wrote the intent believed.
		if in.State == ledger.StatePending {
			if _, err = p.store.Transition(ctx, in.ClientID, ledger.StateUnknown, ledger.Detail{VenueRef: ref, Note: note}); err != nil {
				break
			}
		}
		_, err = p.store.Transition(ctx, in.ClientID, ledger.StateResolved, ledger.Detail{VenueRef: ref, Note: note, Outcome: want})
	}
	if errors.Is(err, ledger.ErrIllegalTransition) {
		// Moved meanwhile by its owner (a lookup, recovery); the next pass
		// sees the new state. The journal entry stands.
		return fmt.Errorf("intent %s moved concurrently: %w", in.ClientID, err)
	}
	return err
}

func (p *Processor) hasEntry(ctx context.Context, key string) (bool, error) {
	_, err := p.store.Entry(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ledger.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("entry %s: %w", key, err)
}

// postError classifies a Post failure: an entry the ledger refuses will be
// refused again, so the event is quarantined; anything else is retried.
func postError(key string, err error) error {
	if errors.Is(err, ledger.ErrInvalidEntry) || errors.Is(err, ledger.ErrUnbalanced) || errors.Is(err, ledger.ErrInvalidAccount) {
		return quarantinef("entry %s refused by the ledger: %v", key, err)
	}
	return fmt.Errorf("post %s: %w", key, err)
}

func samePostings(a, b []ledger.Posting) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Account != b[i].Account || a[i].Asset != b[i].Asset || !a[i].Amount.Equal(b[i].Amount) {
			return false
		}
	}
	return true
}

// clipRef makes text from outside fit a ledger reference or a log field:
// printable ASCII kept, anything else escaped, at most 120 bytes.
func clipRef(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' }) {
		s = escapePart(s)
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// refs are the references an entry keeps of the event that applied it.
func refs(d decoded) map[string]string {
	out := map[string]string{"event_id": d.ev.ID, "origin": d.origin, "status": clipRef(string(d.cb.Payment.Status)),
		"external_order_id": clipRef(d.cb.Key.ExternalOrderID), "sequence": clipRef(d.cb.Key.Sequence)}
	for k, v := range map[string]string{"heropayments_id": d.cb.Payment.ID, "customer_id": d.cb.Payment.CustomerID,
		"tx_hash": d.cb.Payment.TxHash} {
		if v != "" {
			out[k] = clipRef(v)
		}
	}
	return out
}

// rebuild replays the processed events into the registry, in the order
// they were received, with the same rules as when they were applied;
// unprocessed ones are applied by the first pass.
func (p *Processor) rebuild(ctx context.Context) error {
	var evs []ledger.Event
	err := p.store.Events(ctx, ledger.SourceHeropaymentsCallback, func(ev ledger.Event) error {
		if !ev.Processed.IsZero() {
			evs = append(evs, ev)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(evs, func(a, b ledger.Event) int {
		return cmp.Or(a.Received.Compare(b.Received), cmp.Compare(a.ID, b.ID))
	})
	for _, ev := range evs {
		if ev.Meta[MetaOrigin] == OriginTracked {
			_ = p.applyTracked(ev) // it decoded when it was applied
			continue
		}
		d, err := p.decode(ctx, ev)
		if errors.Is(err, errQuarantine) {
			continue // it decoded when it was applied; nothing to rebuild from
		}
		if err != nil {
			return err
		}
		entry, treasury := "", false
		switch {
		case d.kind == heropayments.KindDeposit && d.outcome == heropayments.OutcomeSuccess:
			entry = DepositKey(d.cb.Key)
		case d.kind == heropayments.KindWithdrawal:
			in, err := p.store.Intent(ctx, d.cb.Key.ExternalOrderID)
			if err != nil && !errors.Is(err, ledger.ErrNotFound) {
				return fmt.Errorf("intent %s: %w", d.cb.Key.ExternalOrderID, err)
			}
			treasury = err == nil && isTreasurySettlement(in)
			switch {
			case err != nil || treasury:
			case d.outcome == heropayments.OutcomeSuccess:
				entry = ledger.SettledKey(in.ClientID)
			case d.outcome == heropayments.OutcomeFailed:
				entry = ledger.FailedKey(in.ClientID)
			}
		}
		if entry != "" {
			if ok, err := p.hasEntry(ctx, entry); err != nil {
				return err
			} else if !ok {
				entry = ""
			}
		}
		p.record(d, entry, treasury)
	}
	return nil
}

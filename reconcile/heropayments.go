package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
)

// Inbox meta keys of stored Heropayments events. MetaFlow holds a
// callback's flow ("v2" or "custody"); one stored without it is read as
// Deps.PaymentsFlow. MetaOrigin, when set, says where an event came from:
// only OriginCallback (or no origin) counts as a delivered callback, so
// events a status poll stores in the inbox do not hide a lost callback.
const (
	MetaFlow       = "flow"
	MetaOrigin     = "origin"
	OriginCallback = "callback"
)

// EventStore is the part of the ledger CallbackInbox writes to.
// *ledger.Store satisfies it.
type EventStore interface {
	PutEvent(ctx context.Context, ev ledger.Event) (ledger.Event, bool, error)
}

// CallbackInbox stores verified Heropayments callbacks in the ledger inbox
// (source heropayments.callback, id Callback.ID, the raw body, MetaFlow and
// MetaOrigin): the form reconciliation reads. It implements
// heropayments.CallbackInbox; Store returns once the callback is durable.
// It is safe for concurrent use. It does not apply callbacks: whatever
// applies them reads the same inbox.
type CallbackInbox struct{ store EventStore }

// NewCallbackInbox returns the adapter.
func NewCallbackInbox(store EventStore) *CallbackInbox { return &CallbackInbox{store: store} }

// Store implements heropayments.CallbackInbox: a callback id already
// stored is a duplicate (the ledger counts the delivery).
func (c *CallbackInbox) Store(ctx context.Context, cb heropayments.Callback) (bool, error) {
	_, dup, err := c.store.PutEvent(ctx, ledger.Event{
		Source: ledger.SourceHeropaymentsCallback, ID: cb.ID, Type: string(cb.Payment.Status),
		Body: cb.Body, Meta: map[string]string{MetaFlow: string(cb.Flow), MetaOrigin: OriginCallback},
	})
	if err != nil {
		return false, fmt.Errorf("store heropayments callback %s: %w", cb.ID, err)
	}
	return dup, nil
}

// callback is one stored Heropayments callback.
type callback struct {
	eventID    string
	flow       heropayments.Flow
	status     heropayments.Status
	outcome    heropayments.Outcome
	kind       heropayments.Kind
	merchant   decimal.Decimal
	at         time.Time
	deliveries int
}

// callbackIndex is the stored callbacks by payment.
type callbackIndex struct {
	byKey       map[string][]callback
	keys        map[string]heropayments.PaymentKey
	undecodable int
}

// cbInfo is what one stored callback says, parsed once and cached.
type cbInfo struct {
	parsed   bool
	flow     heropayments.Flow
	key      heropayments.PaymentKey
	status   heropayments.Status
	outcome  heropayments.Outcome
	kind     heropayments.Kind
	merchant decimal.Decimal
}

func loadCallbacks(ctx context.Context, store Ledger, cache map[string]cbInfo, flow heropayments.Flow) (*callbackIndex, error) {
	x := &callbackIndex{byKey: map[string][]callback{}, keys: map[string]heropayments.PaymentKey{}}
	err := store.Events(ctx, ledger.SourceHeropaymentsCallback, func(ev ledger.Event) error {
		if o := ev.Meta[MetaOrigin]; o != "" && o != OriginCallback {
			return nil
		}
		info, ok := cache[ev.ID]
		if !ok {
			f := flow
			if m := heropayments.Flow(ev.Meta[MetaFlow]); m == heropayments.FlowV2 || m == heropayments.FlowCustody {
				f = m
			}
			if cb, err := heropayments.ParseCallback(f, ev.Body); err == nil {
				info = cbInfo{parsed: true, flow: f, key: cb.Key, status: cb.Payment.Status, outcome: cb.Outcome,
					kind: cb.Payment.Type, merchant: cb.Payment.MerchantAmount.Decimal}
			}
			cache[ev.ID] = info
		}
		if !info.parsed {
			x.undecodable++
			return nil
		}
		k := info.key.String()
		x.keys[k] = info.key
		x.byKey[k] = append(x.byKey[k], callback{eventID: ev.ID, flow: info.flow, status: info.status, outcome: info.outcome,
			kind: info.kind, merchant: info.merchant, at: ev.Received, deliveries: ev.Deliveries})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: heropayments callbacks: %w", ErrLedger, err)
	}
	return x, nil
}

// paymentRef is a payment the ledger knows of: by an intent, callbacks or
// both.
type paymentRef struct {
	key    heropayments.PaymentKey
	intent *ledger.Intent
	cbs    []callback
}

// flow is the payment's flow: the one its intent's request names (treasury
// records it as "flow"), else its callbacks', else def.
func (p *paymentRef) flow(def heropayments.Flow) heropayments.Flow {
	if p.intent != nil && len(p.intent.Request) > 0 {
		var req struct {
			Flow heropayments.Flow `json:"flow"`
		}
		if json.Unmarshal(p.intent.Request, &req) == nil && (req.Flow == heropayments.FlowV2 || req.Flow == heropayments.FlowCustody) {
			return req.Flow
		}
	}
	if len(p.cbs) > 0 {
		return p.cbs[0].flow
	}
	return def
}

// compareHeropayments looks every payment our intents or callbacks name up
// by externalOrderId and sequence, and compares its status with the
// callbacks and the intent.
func (r *run) compareHeropayments(ctx context.Context) error {
	refs := map[string]*paymentRef{}
	for _, in := range r.books.intents {
		// A failed intent is looked up too: failed means refused or never
		// sent as far as the ledger knows, and Heropayments may say
		// otherwise.
		if in.Venue != ledger.Heropayments || !sentToVenue(in) && outcomeOf(in) != ledger.StateFailed {
			continue
		}
		if in.State.Final() && (in.Created.Before(r.since) || in.Created.After(r.until)) {
			continue
		}
		k := heropayments.PaymentKey{ExternalOrderID: in.ClientID}
		refs[k.String()] = &paymentRef{key: k, intent: &in}
	}
	for ks, cbs := range r.books.callbacks.byKey {
		recent := false
		for _, cb := range cbs {
			recent = recent || !cb.at.Before(r.since)
		}
		if !recent && refs[ks] == nil {
			continue
		}
		p := refs[ks]
		if p == nil {
			p = &paymentRef{key: r.books.callbacks.keys[ks]}
			// An intent left out above (final before the window) whose
			// payment recent callbacks name is compared all the same.
			cid := p.key.ExternalOrderID
			if in, ok := r.books.intents[cid]; ok && in.Venue == ledger.Heropayments &&
				(heropayments.PaymentKey{ExternalOrderID: cid}).String() == ks {
				p.intent = &in
			}
			refs[ks] = p
		}
		p.cbs = cbs
	}
	if n := r.books.callbacks.undecodable; n > 0 {
		r.skipped = append(r.skipped, fmt.Sprintf("heropayments: %d stored callback(s) do not decode", n))
	}
	if len(refs) == 0 {
		return nil
	}
	if r.payments == nil {
		r.skipped = append(r.skipped, fmt.Sprintf("heropayments: no client configured; %d payment(s) named by intents or callbacks not checked", len(refs)))
		return nil
	}
	keys := make([]string, 0, len(refs))
	for k := range refs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := r.comparePayment(ctx, refs[k]); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) comparePayment(ctx context.Context, ref *paymentRef) error {
	ks := ref.key.String()
	cid := ""
	if ref.intent != nil {
		cid = ref.intent.ClientID
	}
	for _, cb := range ref.cbs {
		if cb.deliveries > 1 {
			r.add(Finding{Check: CheckHeropayments, Outcome: Duplicate, Ref: cb.eventID, ClientID: cid, Venue: string(cb.status),
				Detail: fmt.Sprintf("callback delivered %d times; stored once", cb.deliveries)}, cb.at)
		}
	}
	q := heropayments.Ref{ExternalOrderID: ref.key.ExternalOrderID}
	if ref.key.Sequence != heropayments.SequenceOriginal {
		q.Sequence = ref.key.Sequence
	}
	flow := ref.flow(r.flow)
	p, err := r.payments.PaymentStatus(ctx, flow, q)
	switch {
	case isNotFound(err):
		r.paymentMissing(ref, cid)
		return nil
	case err != nil:
		return fmt.Errorf("%w: heropayments status of %s: %w", ErrVenue, ks, err)
	}
	kind := p.Type
	for _, cb := range ref.cbs {
		if kind == "" {
			kind = cb.kind
		}
	}
	if kind == "" && ref.intent != nil {
		kind = heropayments.KindWithdrawal
	}
	vo := heropayments.Classify(flow, kind, p.Status)
	at, _ := time.Parse(time.RFC3339Nano, p.UpdatedAt)
	n := len(r.findings)
	base := Finding{Check: CheckHeropayments, Ref: ks, ClientID: cid, Asset: p.Currency, Venue: string(p.Status)}
	r.compareCallbacks(ref, p, vo, base, at)
	r.comparePayoutIntent(ref, p, vo, base, at)
	if len(r.findings) == n {
		r.match(CheckHeropayments, 1)
	}
	return nil
}

// paymentMissing reports a payment the ledger knows that Heropayments'
// status check does not; a failed intent no callback ever named matches.
func (r *run) paymentMissing(ref *paymentRef, cid string) {
	if ref.intent != nil && outcomeOf(*ref.intent) == ledger.StateFailed && len(ref.cbs) == 0 {
		r.match(CheckHeropayments, 1) // failed, and Heropayments never had it
		return
	}
	f := Finding{Check: CheckHeropayments, Outcome: MissingAtVenue, Ref: ref.key.String(), ClientID: cid}
	at := time.Time{}
	switch {
	case ref.intent != nil:
		f.Ledger = "intent " + string(ref.intent.State)
		f.Detail = "the intent was sent; Heropayments has no payment with its externalOrderId"
		at = ref.intent.Updated
	default:
		last := ref.cbs[len(ref.cbs)-1]
		f.Ledger = "callback " + string(last.status)
		f.Detail = "callbacks name this payment; Heropayments' status check does not know it"
		at = last.at
	}
	r.add(f, at)
}

// compareCallbacks compares the callbacks received with the status check.
func (r *run) compareCallbacks(ref *paymentRef, p heropayments.Payment, vo heropayments.Outcome, base Finding, at time.Time) {
	var final *callback
	conflict := false
	for i := range ref.cbs {
		cb := &ref.cbs[i]
		if !cb.outcome.Final() {
			continue
		}
		if final != nil && final.outcome != cb.outcome {
			conflict = true
		}
		final = cb
	}
	f := base
	switch {
	case conflict:
		f.Outcome, f.Ledger = StatusMismatch, "callbacks disagree"
		f.Detail = "callbacks report both a success and a failure"
	case vo.Final() && final == nil:
		f.Outcome = WebhookMissing
		f.Detail = fmt.Sprintf("Heropayments reports the payment %s; its final callback was never received", p.Status)
		if len(ref.cbs) > 0 {
			f.Ledger = "callback " + string(ref.cbs[len(ref.cbs)-1].status)
		}
	case final != nil && final.outcome != vo:
		f.Outcome, f.Ledger = StatusMismatch, "callback "+string(final.status)
		f.Detail = fmt.Sprintf("a callback reported %s; the status check says %s", final.status, p.Status)
	case final != nil && !final.merchant.IsZero() && !p.MerchantAmount.IsZero() && !final.merchant.Equal(p.MerchantAmount.Decimal):
		f.Outcome, f.Venue, f.Ledger = AmountMismatch, p.MerchantAmount.String(), final.merchant.String()
		f.Detail = "the final callback's merchant amount differs from the status check's"
	default:
		return
	}
	r.add(f, at)
}

// comparePayoutIntent compares a payout intent's state with the status
// check.
func (r *run) comparePayoutIntent(ref *paymentRef, p heropayments.Payment, vo heropayments.Outcome, base Finding, at time.Time) {
	in := ref.intent
	if in == nil {
		return
	}
	io := outcomeOf(*in)
	want := ledger.StateSucceeded
	if vo == heropayments.OutcomeFailed {
		want = ledger.StateFailed
	}
	f := base
	f.Outcome, f.Ledger = StatusMismatch, "intent "+string(in.State)
	switch {
	case vo.Final() && io == "":
		f.Detail = fmt.Sprintf("Heropayments reports the payment %s; the intent is still %s", p.Status, in.State)
		r.add(f, at)
	case vo.Final() && io != want:
		f.Detail = fmt.Sprintf("the intent ended %s; Heropayments reports %s", io, p.Status)
		r.add(f, at)
	case !vo.Final() && io != "":
		f.Detail = fmt.Sprintf("the intent ended %s; Heropayments still reports %s", io, p.Status)
		r.add(f, time.Time{})
	}
}

package reconcile

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
)

// hook is one stored webhook about a movement.
type hook struct {
	eventID    string
	status     string
	effect     inbound.Effect
	at         time.Time
	deliveries int
}

// hookIndex is the Hercle webhooks in the inbox, by the object they name.
type hookIndex struct {
	deposits            map[string][]hook // transaction id
	withdrawals         map[string][]hook // withdrawal id
	withdrawalsByClient map[string][]hook // withdrawal Client-Id
	payouts             map[string][]hook // transfer id
	payoutsByClient     map[string][]hook // transfer Client-Id
	// balanceSeq is the newest Balance.Updated sequence stored.
	balanceSeq int64
	// redelivered are events delivered more than once under one id;
	// repeats are distinct events reporting the same status of the same
	// object again.
	redelivered []hook
	repeats     []repeat
	undecodable int
	objects     []hookObject // movement webhooks, for the webhook-to-REST direction
}

type repeat struct {
	first, again hook
	object       string
}

// hookObject is a movement a webhook names, with its newest event.
type hookObject struct {
	kind     string // "deposit", "withdrawal", "payout"
	id       string // venue id
	clientID string
	last     hook
}

// loadHooks reads every stored Hercle webhook. One that does not decode is
// counted and otherwise ignored: the processor quarantines it.
func loadHooks(ctx context.Context, store Ledger) (*hookIndex, error) {
	x := &hookIndex{
		deposits: map[string][]hook{}, withdrawals: map[string][]hook{}, withdrawalsByClient: map[string][]hook{},
		payouts: map[string][]hook{}, payoutsByClient: map[string][]hook{},
	}
	first := map[string]hook{}
	objects := map[string]*hookObject{}
	err := store.Events(ctx, ledger.SourceHercleWebhook, func(ev ledger.Event) error {
		we, err := hercle.DecodeWebhookEvent(ev.Body)
		if err != nil {
			x.undecodable++
			return nil
		}
		at := ev.Received
		if we.Timestamp.Valid() {
			at = we.Timestamp.Time.UTC()
		}
		h := hook{eventID: ev.ID, at: at, deliveries: ev.Deliveries}
		if ev.Deliveries > 1 {
			x.redelivered = append(x.redelivered, h)
		}
		var kind, id, cid string
		switch d := we.Payload.(type) {
		case *hercle.WebhookTransaction:
			kind, id, h.status = "deposit", d.ID, string(d.Status)
		case *hercle.WebhookWithdrawal:
			kind, id, cid, h.status = "withdrawal", d.ID, d.ClientID, string(d.Status)
		case *hercle.WebhookTransfer:
			kind, id, cid, h.status = "payout", d.ID, d.ClientID, string(d.Status)
		case *hercle.WebhookAccountBalance:
			x.balanceSeq = max(x.balanceSeq, d.Sequence)
			return nil
		default:
			return nil
		}
		h.effect = inbound.StatusEffect(hercle.BankingStatus(h.status))
		obj := kind + "\x00" + id + "\x00" + cid
		same := obj + "\x00" + strings.ToUpper(h.status)
		if f, ok := first[same]; ok {
			x.repeats = append(x.repeats, repeat{first: f, again: h, object: kind + " " + firstOf(id, cid)})
		} else {
			first[same] = h
		}
		if o, ok := objects[obj]; !ok || h.at.After(o.last.at) {
			objects[obj] = &hookObject{kind: kind, id: id, clientID: cid, last: h}
		}
		switch kind {
		case "deposit":
			add(x.deposits, id, h)
		case "withdrawal":
			add(x.withdrawals, id, h)
			add(x.withdrawalsByClient, cid, h)
		case "payout":
			add(x.payouts, id, h)
			add(x.payoutsByClient, cid, h)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: inbox: %w", ErrLedger, err)
	}
	for _, o := range objects {
		x.objects = append(x.objects, *o)
	}
	sort.Slice(x.objects, func(i, j int) bool {
		a, b := x.objects[i], x.objects[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.id != b.id {
			return a.id < b.id
		}
		return a.clientID < b.clientID
	})
	return x, nil
}

func add(m map[string][]hook, k string, h hook) {
	if k != "" {
		m[k] = append(m[k], h)
	}
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// finalEffect is the final effect (succeed or fail) the hooks report,
// EffectRecord if none is final. Contradicting final hooks report
// EffectUnknown.
func finalEffect(hs ...[]hook) inbound.Effect {
	out := inbound.EffectRecord
	for _, list := range hs {
		for _, h := range list {
			if h.effect != inbound.EffectSucceed && h.effect != inbound.EffectFail {
				continue
			}
			if out != inbound.EffectRecord && out != h.effect {
				return inbound.EffectUnknown
			}
			out = h.effect
		}
	}
	return out
}

// compareWebhookDuplicates reports webhooks delivered more than once and
// statuses reported again under another event id. They are warnings: the
// inbox stores an event id once and the processor applies a status once.
func (r *run) compareWebhookDuplicates() {
	for _, h := range r.books.hooks.redelivered {
		r.add(Finding{Check: CheckWebhooks, Outcome: Duplicate, Ref: h.eventID, Venue: h.status,
			Detail: fmt.Sprintf("webhook delivered %d times; stored and applied once", h.deliveries)}, h.at)
	}
	for _, rp := range r.books.hooks.repeats {
		r.add(Finding{Check: CheckWebhooks, Outcome: Duplicate, Ref: rp.again.eventID, Venue: rp.again.status,
			Detail: fmt.Sprintf("%s status %s reported again (first by event %s); applied once", rp.object, rp.again.status, rp.first.eventID)}, rp.again.at)
	}
	if n := r.books.hooks.undecodable; n > 0 {
		r.skipped = append(r.skipped, fmt.Sprintf("webhooks: %d stored webhook(s) do not decode; the processor quarantines them", n))
	}
}

// compareWebhookObjects checks the webhook-to-REST direction: a movement a
// webhook names that the venue does not know. Objects in this run's
// listings were matched while comparing them; the rest are looked up.
func (r *run) compareWebhookObjects(ctx context.Context) error {
	for _, o := range r.books.hooks.objects {
		if o.last.at.Before(r.since) || o.last.at.After(r.cutoff) {
			continue
		}
		switch o.kind {
		case "deposit":
			if o.last.effect != inbound.EffectSucceed || r.venue.hasTx(o.id) {
				continue
			}
		case "withdrawal":
			if r.venue.hasWithdrawal(o.id, o.clientID) {
				continue
			}
		case "payout":
			if r.venue.hasTransfer(o.id, o.clientID) {
				continue
			}
		}
		found, confirmed, err := r.lookupObject(ctx, o)
		if err != nil {
			return err
		}
		if found {
			r.match(CheckWebhooks, 1)
			continue
		}
		detail := fmt.Sprintf("%s webhook (event %s, status %s) names a %s the venue does not list", o.kind, o.last.eventID, o.last.status, o.kind)
		if !confirmed {
			detail += "; not confirmed by a lookup (lookup budget spent)"
		}
		r.add(Finding{Check: CheckWebhooks, Outcome: MissingAtVenue, Ref: firstOf(o.id, o.clientID), ClientID: o.clientID,
			Ledger: o.last.status, Detail: detail}, o.last.at)
	}
	return nil
}

// lookupObject asks the venue for a movement a webhook names.
func (r *run) lookupObject(ctx context.Context, o hookObject) (found, confirmed bool, err error) {
	if !r.spendLookup() {
		return false, false, nil
	}
	switch o.kind {
	case "deposit":
		e, err := bankingEntry(ctx, r.v, o.id)
		return e != nil, true, err
	case "withdrawal":
		var ws []hercle.Withdrawal
		if o.id != "" {
			ws, err = r.v.Withdrawals(ctx, hercle.WithdrawalFilter{WithdrawalID: o.id})
		} else {
			ws, err = r.v.WithdrawalsByClientID(ctx, o.clientID)
		}
		if err != nil && !isNotFound(err) {
			return false, false, fmt.Errorf("%w: withdrawal %s: %w", ErrVenue, firstOf(o.id, o.clientID), err)
		}
		for _, w := range ws {
			if (o.id != "" && w.ID == o.id) || (o.id == "" && w.ClientID == o.clientID) {
				return true, true, nil
			}
		}
		return false, true, nil
	case "payout":
		if o.id != "" {
			e, err := bankingEntry(ctx, r.v, o.id)
			return e != nil, true, err
		}
		from, to := pageRange(r.since.Add(-30*24*time.Hour), r.until)
		for t, err := range r.v.Transfers(ctx, hercle.TransferQuery{StartDate: from, EndDate: to, TransferClientID: o.clientID}) {
			if err != nil {
				return false, false, fmt.Errorf("%w: transfers of %s: %w", ErrVenue, o.clientID, err)
			}
			if t.ClientID == o.clientID {
				return true, true, nil
			}
		}
		return false, true, nil
	}
	return false, false, nil
}

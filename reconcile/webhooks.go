package reconcile

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/ledger"
)

// hook is one stored webhook about a movement.
type hook struct {
	eventID    string
	status     string
	effect     hercle.Effect
	at         time.Time
	deliveries int
}

// object names a movement a webhook is about.
type object struct {
	kind     string // "deposit", "withdrawal", "payout"
	id       string // venue id
	clientID string
}

// statusOf is one status of one movement, to find statuses reported again
// under another event id.
type statusOf struct {
	object
	status string // upper case
}

// hookIndex is the Hercle webhooks in the inbox, by the object they name.
// Deposits, by far the most numerous, keep their first event only.
type hookIndex struct {
	deposits            map[string]hook   // transaction id -> first webhook
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
	// last is each movement's newest webhook, for the webhook-to-REST
	// direction.
	last map[object]hook
}

type repeat struct {
	first, again hook
	object       string
}

// hookInfo is what one stored webhook says, decoded once and cached: an
// inbox event's body never changes.
type hookInfo struct {
	decoded  bool // false: the body does not decode (the processor quarantines it)
	obj      object
	kind     string // obj.kind, or "balance", or "" for other events
	status   string
	effect   hercle.Effect
	sequence int64     // Balance.Updated
	at       time.Time // the envelope's timestamp; zero if absent
}

func decodeHook(body []byte) hookInfo {
	we, err := webhook.DecodeEvent(body)
	if err != nil {
		return hookInfo{}
	}
	h := hookInfo{decoded: true}
	if we.Timestamp.Valid() {
		h.at = we.Timestamp.Time.UTC()
	}
	switch d := we.Payload.(type) {
	case *webhook.Transaction:
		h.obj, h.status = object{kind: "deposit", id: d.ID}, string(d.Status)
	case *webhook.Withdrawal:
		h.obj, h.status = object{kind: "withdrawal", id: d.ID, clientID: d.ClientID}, string(d.Status)
	case *webhook.Transfer:
		h.obj, h.status = object{kind: "payout", id: d.ID, clientID: d.ClientID}, string(d.Status)
	case *webhook.AccountBalance:
		h.kind, h.sequence = "balance", d.Sequence
		return h
	default:
		return h
	}
	h.kind = h.obj.kind
	h.effect = hercle.BankingStatus(h.status).Effect()
	h.status = strings.Clone(h.status)
	return h
}

// storedHook is what loadHooks keeps of an inbox event while reading.
type storedHook struct {
	id         string
	received   time.Time
	deliveries int
}

// loadHooks reads the Hercle webhooks received from from on: a movement in
// the compared window had its webhooks after it began, and a balance
// sequence only grows. Those not in the cache are decoded after the read,
// on every core: a start-up run decodes the whole window.
func loadHooks(ctx context.Context, store Ledger, c *cache, from time.Time) (*hookIndex, error) {
	var (
		events []storedHook
		fresh  []string // ids to decode
		bodies [][]byte
	)
	err := store.Events(ctx, ledger.SourceHercleWebhook, func(ev ledger.Event) error {
		if ev.Received.Before(from) {
			return nil
		}
		events = append(events, storedHook{id: ev.ID, received: ev.Received, deliveries: ev.Deliveries})
		if _, ok := c.hooks[ev.ID]; !ok {
			fresh, bodies = append(fresh, ev.ID), append(bodies, ev.Body)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: inbox: %w", ErrLedger, err)
	}
	decoded := decodeHooks(bodies)
	// The cache keeps what this window holds: older events drop out.
	kept := make(map[string]hookInfo, len(events))
	for i, id := range fresh {
		kept[id] = decoded[i]
	}
	for _, ev := range events {
		if _, ok := kept[ev.id]; !ok {
			kept[ev.id] = c.hooks[ev.id]
		}
	}
	c.hooks = kept
	return indexHooks(events, kept), nil
}

// decodeHooks decodes webhook bodies on every core.
func decodeHooks(bodies [][]byte) []hookInfo {
	decoded := make([]hookInfo, len(bodies))
	workers := min(runtime.GOMAXPROCS(0), 1+len(bodies)/1024)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(bodies); i += workers {
				decoded[i] = decodeHook(bodies[i])
			}
		}()
	}
	wg.Wait()
	return decoded
}

// indexHooks indexes the decoded webhooks of events by what they are
// about.
func indexHooks(events []storedHook, info map[string]hookInfo) *hookIndex {
	x := &hookIndex{
		deposits: make(map[string]hook, len(events)), withdrawals: map[string][]hook{}, withdrawalsByClient: map[string][]hook{},
		payouts: map[string][]hook{}, payoutsByClient: map[string][]hook{}, last: make(map[object]hook, len(events)),
	}
	first := make(map[statusOf]hook, len(events))
	for _, ev := range events {
		in := info[ev.id]
		if !in.decoded {
			x.undecodable++
			continue
		}
		at := in.at
		if at.IsZero() {
			at = ev.received
		}
		h := hook{eventID: ev.id, status: in.status, effect: in.effect, at: at, deliveries: ev.deliveries}
		if ev.deliveries > 1 {
			x.redelivered = append(x.redelivered, h)
		}
		switch in.kind {
		case "balance":
			x.balanceSeq = max(x.balanceSeq, in.sequence)
			continue
		case "":
			continue
		}
		o := in.obj
		same := statusOf{o, strings.ToUpper(h.status)}
		if f, ok := first[same]; ok {
			x.repeats = append(x.repeats, repeat{first: f, again: h, object: o.kind + " " + firstOf(o.id, o.clientID)})
		} else {
			first[same] = h
		}
		x.index(o, h)
	}
	return x
}

// index files h under its object.
func (x *hookIndex) index(o object, h hook) {
	if l, ok := x.last[o]; !ok || h.at.After(l.at) {
		x.last[o] = h
	}
	switch o.kind {
	case "deposit":
		if _, ok := x.deposits[o.id]; !ok && o.id != "" {
			x.deposits[o.id] = h
		}
	case "withdrawal":
		add(x.withdrawals, o.id, h)
		add(x.withdrawalsByClient, o.clientID, h)
	case "payout":
		add(x.payouts, o.id, h)
		add(x.payoutsByClient, o.clientID, h)
	}
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
// EffectPending if none is final. Contradicting final hooks report
// EffectUnknown.
func finalEffect(hs ...[]hook) hercle.Effect {
	out := hercle.EffectPending
	for _, list := range hs {
		for _, h := range list {
			if h.effect != hercle.EffectSucceed && h.effect != hercle.EffectFail {
				continue
			}
			if out != hercle.EffectPending && out != h.effect {
				return hercle.EffectUnknown
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
// listings were matched while comparing them; the rest are looked up, in a
// fixed order.
func (r *run) compareWebhookObjects(ctx context.Context) error {
	var candidates []object
	for o, last := range r.books.hooks.last {
		if last.at.Before(r.since) || last.at.After(r.cutoff) {
			continue
		}
		switch o.kind {
		case "deposit":
			if last.effect != hercle.EffectSucceed || r.venue.hasDeposit(o.id) {
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
		candidates = append(candidates, o)
	}
	sort.Slice(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.id != b.id {
			return a.id < b.id
		}
		return a.clientID < b.clientID
	})
	for _, o := range candidates {
		last := r.books.hooks.last[o]
		found, confirmed, err := r.lookupObject(ctx, o)
		if err != nil {
			return err
		}
		if found {
			r.match(CheckWebhooks, 1)
			continue
		}
		detail := fmt.Sprintf("%s webhook (event %s, status %s) names a %s the venue does not list", o.kind, last.eventID, last.status, o.kind)
		if !confirmed {
			detail += "; not confirmed by a lookup (lookup budget spent)"
		}
		r.add(Finding{Check: CheckWebhooks, Outcome: MissingAtVenue, Ref: firstOf(o.id, o.clientID), ClientID: o.clientID,
			Ledger: last.status, Detail: detail}, last.at)
	}
	return nil
}

// lookupObject asks the venue for a movement a webhook names.
func (r *run) lookupObject(ctx context.Context, o object) (found, confirmed bool, err error) {
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

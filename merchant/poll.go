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
)

// candidate is a payment due for a status lookup.
type candidate struct {
	key    heropayments.PaymentKey
	flow   heropayments.Flow
	kind   heropayments.Kind
	since  time.Time           // first known
	status heropayments.Status // latest applied; "" if none
	id     string              // Heropayments' payment id, if known
	payout bool                // an unfinished payout intent
}

// candidates returns the payments without a final status that have waited
// PollAfter since first known and PollEvery since their last lookup:
// those the registry knows (from callbacks, polls and tracked deposits)
// and the unfinished payout intents (treasury's settlements excepted,
// treasury polls them).
func (p *Processor) candidates(ctx context.Context, now time.Time) ([]candidate, error) {
	var out []candidate
	states, seen := p.reg.open()
	for _, s := range states {
		out = append(out, candidate{key: s.Key, flow: s.Flow, kind: s.Kind, since: s.FirstSeen, status: s.Status, id: s.ID})
	}
	ins, err := p.store.Unfinished(ctx)
	if err != nil {
		return nil, fmt.Errorf("unfinished intents: %w", err)
	}
	for _, in := range ins {
		k := heropayments.PaymentKey{ExternalOrderID: in.ClientID, Sequence: heropayments.SequenceOriginal}
		if in.Kind != ledger.IntentPayout || in.Venue != ledger.Heropayments || isTreasurySettlement(in) || seen[k] {
			continue
		}
		out = append(out, candidate{key: k, flow: p.intentFlow(in), kind: heropayments.KindWithdrawal, since: in.Created, payout: true})
	}
	// Forget the lookups of payments that need none any more.
	open := make(map[heropayments.PaymentKey]bool, len(out))
	for _, c := range out {
		open[c.key] = true
	}
	for k := range p.lastPoll {
		if !open[k] {
			delete(p.lastPoll, k)
			delete(p.pollLogged, k)
		}
	}
	out = slices.DeleteFunc(out, func(c candidate) bool {
		last, polled := p.lastPoll[c.key]
		return now.Sub(c.since) < p.pollAfter || polled && now.Sub(last) < p.pollEvery
	})
	slices.SortFunc(out, func(a, b candidate) int {
		return cmp.Or(a.since.Compare(b.since), cmp.Compare(a.key.String(), b.key.String()))
	})
	return out, nil
}

// intentFlow is the flow a payout intent's request names, else the
// processor's.
func (p *Processor) intentFlow(in ledger.Intent) heropayments.Flow {
	var r struct {
		Flow heropayments.Flow `json:"flow"`
	}
	if json.Unmarshal(in.Request, &r) == nil && (r.Flow == heropayments.FlowV2 || r.Flow == heropayments.FlowCustody) {
		return r.Flow
	}
	return p.flow
}

// poll looks up every payment due and stores each new status it learns as
// a synthetic inbox event. It returns how many it stored.
func (p *Processor) poll(ctx context.Context) int {
	now := p.clock.Now()
	cands, err := p.candidates(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("merchant: list payments to poll; retrying on the next pass", "err", err)
		}
		return 0
	}
	stored := 0
	for _, c := range cands {
		if ctx.Err() != nil {
			break
		}
		p.lastPoll[c.key] = now
		result, err := p.pollOne(ctx, c, now)
		p.m.polls.WithLabelValues(result).Inc()
		switch {
		case err != nil && ctx.Err() == nil:
			if !p.pollLogged[c.key] {
				p.pollLogged[c.key] = true
				p.log.Warn("merchant: status lookup failed; retrying after poll_every", "key", c.key.String(), "err", err)
			}
		case result == PollChanged:
			stored++
			delete(p.pollLogged, c.key)
		}
	}
	return stored
}

// pollOne looks one payment up and returns the result label.
func (p *Processor) pollOne(ctx context.Context, c candidate, now time.Time) (string, error) {
	ref := heropayments.Ref{ExternalOrderID: c.key.ExternalOrderID}
	if c.key.Sequence != heropayments.SequenceOriginal {
		ref.Sequence = c.key.Sequence
	}
	pay, err := p.api.PaymentStatus(ctx, c.flow, ref)
	if errors.Is(err, heropayments.ErrNotFound) {
		p.notFound(c, now)
		return PollNotFound, nil
	}
	if err != nil {
		return PollError, err
	}
	// The answer must be the payment asked about: a further payment's
	// answer must name its sequence (an API ignoring the sequence would
	// otherwise make the original payment count twice), and a payment
	// whose Heropayments id is known must keep it.
	if pay.ExternalOrderID == "" {
		pay.ExternalOrderID = c.key.ExternalOrderID
	}
	if pay.Key() != c.key || c.id != "" && pay.ID != "" && pay.ID != c.id {
		p.log.Error("merchant: status lookup answered for another payment; ignored", "asked", c.key.String(),
			"got", pay.Key().String())
		return PollMismatch, nil
	}
	if pay.Status == "" {
		return PollError, fmt.Errorf("status lookup of %s answered without a status", c.key)
	}
	if pay.Status == c.status {
		return PollUnchanged, nil
	}
	if k := heropayments.Kind(strings.ToLower(string(pay.Type))); k != heropayments.KindDeposit && k != heropayments.KindWithdrawal {
		pay.Type = c.kind
	}
	body, err := encodePayment(pay)
	if err != nil {
		return PollError, fmt.Errorf("encode the status of %s: %w", c.key, err)
	}
	_, dup, err := p.store.PutEvent(ctx, ledger.Event{
		Source: ledger.SourceHeropaymentsCallback,
		ID:     pollEventID(c.key, pay.Status),
		Type:   eventType(pay.Type),
		Body:   body,
		Meta: map[string]string{
			MetaOrigin:     OriginPoll,
			MetaFlow:       string(c.flow),
			MetaReceivedAt: now.UTC().Format(time.RFC3339Nano),
		},
	})
	if err != nil {
		return PollError, fmt.Errorf("store the status of %s: %w", c.key, err)
	}
	if dup {
		return PollUnchanged, nil
	}
	p.log.Info("merchant: status learnt by lookup, no callback had brought it", "key", c.key.String(),
		"kind", c.kind, "status", clipRef(string(pay.Status)))
	return PollChanged, nil
}

// notFound handles a payment Heropayments does not know. A tracked
// deposit it never reported is given up GiveUpAfter past PollAfter (its
// request never arrived, or was refused); anything else is logged once and
// polled again.
func (p *Processor) notFound(c candidate, now time.Time) {
	if c.kind == heropayments.KindDeposit && c.status == "" && now.Sub(c.since) >= p.pollAfter+p.giveUp {
		p.reg.update(c.key, c.since, func(s *PaymentState) { s.Abandoned = true })
		p.log.Warn("merchant: tracked deposit unknown to Heropayments; no longer polled", "key", c.key.String(),
			"since", c.since.UTC().Format(time.RFC3339))
		return
	}
	if !p.pollLogged[c.key] {
		p.pollLogged[c.key] = true
		p.log.Warn("merchant: status lookup: Heropayments has no such payment yet", "key", c.key.String(), "payout", c.payout)
	}
}

// CreateDeposit creates a deposit (an address for the customer to pay to)
// in the processor's flow, after recording it in the inbox, so that it is
// polled even if every callback of it is lost. r.CallbackURL defaults to
// Options.CallbackURL. static asks for the customer's static address
// (V2 only: the same address every time for one customerId).
//
// It moves no money, and creates a deposit once per externalOrderId: asked
// again for one already recorded, it looks the deposit up at Heropayments
// first and returns what it finds, creating it only if Heropayments has no
// such payment (the first request never arrived). Errors are the client's:
// after an heropayments.ErrOutcomeUnknown the deposit may exist, and the
// poll (or the next call) finds out; a deposit Heropayments never knows of
// is given up GiveUpAfter past PollAfter.
func (p *Processor) CreateDeposit(ctx context.Context, r heropayments.DepositRequest, static bool) (heropayments.Payment, error) {
	if r.CallbackURL == "" {
		r.CallbackURL = p.callbackURL
	}
	if r.ExternalOrderID == "" || len(r.ExternalOrderID) > 64 || strings.ContainsFunc(r.ExternalOrderID, func(c rune) bool { return c <= ' ' || c >= 0x7f }) ||
		r.CustomerID == "" || r.Currency == "" {
		return heropayments.Payment{}, fmt.Errorf("%w: a deposit needs an externalOrderId of 1 to 64 printable ASCII characters without spaces, a customerId and a currency",
			heropayments.ErrInvalidInput)
	}
	if static && p.flow != heropayments.FlowV2 {
		return heropayments.Payment{}, fmt.Errorf("%w: static deposit addresses exist in the V2 flow only (this account uses %s)", heropayments.ErrInvalidInput, p.flow)
	}
	k := heropayments.PaymentKey{ExternalOrderID: r.ExternalOrderID, Sequence: heropayments.SequenceOriginal}
	body, err := json.Marshal(tracked{ExternalOrderID: r.ExternalOrderID, Sequence: heropayments.SequenceOriginal,
		Type: string(heropayments.KindDeposit), CustomerID: r.CustomerID, Currency: r.Currency})
	if err != nil {
		return heropayments.Payment{}, err
	}
	_, dup, err := p.store.PutEvent(ctx, ledger.Event{
		Source: ledger.SourceHeropaymentsCallback,
		ID:     trackEventID(k),
		Type:   string(heropayments.KindDeposit),
		Body:   body,
		Meta: map[string]string{
			MetaOrigin:     OriginTracked,
			MetaFlow:       string(p.flow),
			MetaReceivedAt: p.clock.Now().UTC().Format(time.RFC3339Nano),
		},
	})
	if err != nil {
		return heropayments.Payment{}, fmt.Errorf("merchant: record deposit %s before creating it: %w", r.ExternalOrderID, err)
	}
	if dup {
		pay, err := p.api.PaymentStatus(ctx, p.flow, heropayments.Ref{ExternalOrderID: r.ExternalOrderID})
		switch {
		case err == nil:
			return pay, nil
		case !errors.Is(err, heropayments.ErrNotFound):
			return heropayments.Payment{}, fmt.Errorf("merchant: deposit %s was asked for before; look it up before asking again: %w", r.ExternalOrderID, err)
		}
	} else {
		p.Notify()
	}
	if static {
		return p.api.CreateStaticDeposit(ctx, r)
	}
	return p.api.CreateDeposit(ctx, p.flow, r)
}

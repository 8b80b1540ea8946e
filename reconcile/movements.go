package reconcile

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// progress is where a movement is at the venue.
type progress int

const (
	inFlight progress = iota
	succeeded
	failed
)

func (p progress) String() string {
	switch p {
	case succeeded:
		return "succeeded"
	case failed:
		return "failed"
	}
	return "in flight"
}

// venueProgress reads a REST movement status by the venue's mapping
// (hercle.MovementStatus.Effect: CONFIRMED is final at REST), and takes
// COMPLETED as done and CANCELLED as failed besides.
func venueProgress(status string) progress {
	switch strings.ToUpper(strings.TrimSpace(status)) {
	case "COMPLETED":
		return succeeded
	case "CANCELLED", "CANCELED":
		return failed
	}
	switch hercle.MovementStatus(status).Effect() {
	case hercle.EffectSucceed:
		return succeeded
	case hercle.EffectFail:
		return failed
	}
	return inFlight
}

// movement is a withdrawal or a bank transfer as the venue lists it.
type movement struct {
	check       Check
	noun        string // "withdrawal" or "transfer"
	id          string
	clientID    string
	asset       market.Asset
	amount      decimal.Decimal
	amountKnown bool
	fee         decimal.Decimal
	status      string
	progress    progress
	at          time.Time
	dest        ledger.Account
}

func withdrawalMovement(w *hercle.Withdrawal) movement {
	m := movement{check: CheckWithdrawals, noun: "withdrawal", id: w.ID, clientID: w.ClientID, asset: assetOf(w.Asset),
		amount: w.Amount.Decimal, amountKnown: true, fee: w.Fee.Decimal, status: string(w.Status),
		progress: venueProgress(string(w.Status)), at: w.Timestamp.Time}
	m.dest = ledger.Destination(w.Network, w.Destination)
	return m
}

func transferMovement(t *transfer) movement {
	m := movement{check: CheckTransfers, noun: "transfer", id: t.ID, clientID: t.ClientID, status: string(t.Status),
		progress: venueProgress(string(t.Status)), at: t.Timestamp.Time, dest: ledger.ExternalUnknown()}
	if t.entry != nil {
		m.asset, m.amount, m.amountKnown = assetOf(t.entry.Asset), t.entry.Amount.Decimal.Abs(), true
	}
	if c := t.Creditor; c != nil {
		m.dest = ledger.Destination("BANK", firstOf(c.IBAN, c.AccountNumber, c.Address))
	}
	return m
}

// compareWithdrawals compares crypto and Lightning withdrawals.
func (r *run) compareWithdrawals(ctx context.Context) error {
	ms := make([]movement, 0, len(r.venue.data.withdrawals))
	for i := range r.venue.data.withdrawals {
		ms = append(ms, withdrawalMovement(&r.venue.data.withdrawals[i]))
	}
	lookup := func(ctx context.Context, in ledger.Intent) ([]movement, error) {
		ws, err := r.v.WithdrawalsByClientID(ctx, in.ClientID)
		if err != nil && !isNotFound(err) {
			return nil, fmt.Errorf("%w: withdrawals of %s: %w", ErrVenue, in.ClientID, err)
		}
		var out []movement
		for i := range ws {
			if ws[i].ClientID == in.ClientID {
				out = append(out, withdrawalMovement(&ws[i]))
			}
		}
		return out, nil
	}
	return r.compareMovements(ctx, CheckWithdrawals, "withdrawal", ms, []ledger.IntentKind{ledger.IntentWithdrawal, ledger.IntentLightning}, lookup)
}

// compareTransfers compares bank transfers (the banking listing, cursor
// pages), with their amounts from the banking ledger.
func (r *run) compareTransfers(ctx context.Context) error {
	ms := make([]movement, 0, len(r.venue.data.transfers))
	for i := range r.venue.data.transfers {
		ms = append(ms, transferMovement(&r.venue.data.transfers[i]))
	}
	lookup := func(ctx context.Context, in ledger.Intent) ([]movement, error) {
		from, to := pageRange(in.Created.Add(-24*time.Hour), r.until)
		var out []movement
		for t, err := range r.v.Transfers(ctx, hercle.TransferQuery{StartDate: from, EndDate: to, TransferClientID: in.ClientID}) {
			if err != nil {
				return nil, fmt.Errorf("%w: transfers of %s: %w", ErrVenue, in.ClientID, err)
			}
			if t.ClientID != in.ClientID {
				continue
			}
			tr := transfer{Transfer: t}
			if tr.entry, err = bankingEntry(ctx, r.v, t.ID); err != nil {
				return nil, err
			}
			out = append(out, transferMovement(&tr))
		}
		return out, nil
	}
	return r.compareMovements(ctx, CheckTransfers, "transfer", ms, []ledger.IntentKind{ledger.IntentTransfer}, lookup)
}

// compareMovements compares the venue's movements with the intents of the
// given kinds, then asks the venue about the intents it did not list.
func (r *run) compareMovements(ctx context.Context, check Check, noun string, ms []movement, kinds []ledger.IntentKind,
	lookup func(context.Context, ledger.Intent) ([]movement, error)) error {
	c := &movementCheck{r: r, check: check, noun: noun, kinds: kinds, seen: map[string]bool{}, moved: map[string]string{}}
	for _, m := range ms {
		if err := c.handle(ctx, m); err != nil {
			return err
		}
	}
	var missing []ledger.Intent
	for _, in := range r.books.intents {
		if !c.ours(in) || c.seen[in.ClientID] || !sentToVenue(in) {
			continue
		}
		if in.State.Final() && (in.Created.Before(r.since) || in.Created.After(r.until)) {
			continue
		}
		missing = append(missing, in)
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].ClientID < missing[j].ClientID })
	for _, in := range missing {
		if err := c.unlisted(ctx, in, lookup); err != nil {
			return err
		}
	}
	return nil
}

// movementCheck is one compareMovements: the movements seen so far.
type movementCheck struct {
	r     *run
	check Check
	noun  string
	kinds []ledger.IntentKind
	seen  map[string]bool   // Client-Ids of intents a venue movement matched
	moved map[string]string // Client-Id -> the venue movement not failed compared with its intent
}

// ours reports whether an intent is of the kinds compared.
func (c *movementCheck) ours(in ledger.Intent) bool {
	return in.Venue == ledger.Hercle && slices.Contains(c.kinds, in.Kind)
}

// handle compares one venue movement with its intent, or reports it as
// made outside the engine.
func (c *movementCheck) handle(ctx context.Context, m movement) error {
	r := c.r
	in, ok := r.books.intentFor(m.clientID, m.id)
	if !ok || !c.ours(in) {
		if err := r.outsideMovement(ctx, m); err != nil {
			return err
		}
		r.movementWebhook(m)
		return nil
	}
	c.seen[in.ClientID] = true
	if m.progress == inFlight {
		r.open[in.ClientID] = true
	}
	first, again := c.moved[in.ClientID]
	if in.VenueRef != "" && in.Kind != ledger.IntentLightning {
		// The venue acknowledged the intent's movement: any other is the
		// second, whatever the listing's order. (A Lightning payment is
		// acknowledged by a payment id.)
		first, again = in.VenueRef, m.id != in.VenueRef
	}
	if again && m.progress != failed && first != m.id {
		// One intent, one request: a second movement under its Client-Id
		// is the request applied twice, money the ledger never sent.
		r.add(Finding{Check: c.check, Outcome: AmountMismatch, Ref: m.id, ClientID: in.ClientID, Asset: string(m.asset),
			Venue: strings.TrimSpace(m.amount.String() + " " + string(m.asset) + " " + m.status), Ledger: "sent once, as " + first,
			Detail: fmt.Sprintf("the venue holds a second %s under Client-Id %s (the first is %s): the request was applied twice", c.noun, in.ClientID, first)}, m.at)
		r.movementWebhook(m)
		return nil
	}
	if m.progress != failed {
		c.moved[in.ClientID] = m.id
	}
	if err := r.engineMovement(ctx, m, in); err != nil {
		return err
	}
	r.movementWebhook(m)
	return nil
}

// unlisted looks up an intent the venue's listing did not show (within
// the run's lookup budget), and reports it missing if the venue has it
// under no Client-Id.
func (c *movementCheck) unlisted(ctx context.Context, in ledger.Intent, lookup func(context.Context, ledger.Intent) ([]movement, error)) error {
	r := c.r
	confirmed := r.spendLookup()
	if confirmed {
		found, err := lookup(ctx, in)
		if err != nil {
			return err
		}
		for _, m := range found {
			if err := c.handle(ctx, m); err != nil {
				return err
			}
		}
		if len(found) > 0 {
			return nil
		}
	}
	detail := fmt.Sprintf("intent %s (%s) was sent; the venue has no %s with its Client-Id", in.Kind, in.State, c.noun)
	if !confirmed {
		detail += " in its listing (not confirmed by a lookup: lookup budget spent)"
	}
	r.add(Finding{Check: c.check, Outcome: MissingAtVenue, Ref: in.ClientID, ClientID: in.ClientID,
		Ledger: "intent " + string(in.State), Detail: detail}, in.Updated)
	return nil
}

// sentToVenue reports whether an intent's request may have reached the
// venue: pending ones never did, failed ones were refused or never sent.
func sentToVenue(in ledger.Intent) bool {
	switch in.State {
	case ledger.StateSubmitted, ledger.StateUnknown, ledger.StateSucceeded:
		return true
	case ledger.StateResolved:
		return in.Outcome == ledger.StateSucceeded
	}
	return false
}

// engineMovement compares a movement the engine sent with its intent: the
// amount moved into transit, and its final status against the journal's
// "<client-id>:settled" or ":failed" entry.
func (r *run) engineMovement(ctx context.Context, m movement, in ledger.Intent) error {
	cid := in.ClientID
	base := Finding{Check: m.check, Ref: m.id, ClientID: cid, Asset: string(m.asset)}
	n := len(r.findings)
	sent, ok, err := r.books.sentAmount(ctx, cid)
	if err != nil {
		return err
	}
	switch {
	case !ok:
		f := base
		f.Outcome, f.Venue = MissingInLedger, m.amount.String()
		f.Detail = fmt.Sprintf("intent %s (%s) has no entry moving the %s into transit", cid, in.State, m.noun)
		r.add(f, m.at)
	case m.amountKnown && (!r.within(m.asset, sent.get(m.asset), m.amount) || len(assetsOf(sent)) > 1):
		f := base
		f.Outcome, f.Venue, f.Ledger = AmountMismatch, m.amount.String(), sent.String()
		f.Detail = fmt.Sprintf("the venue's %s is %s %s; the ledger moved %s into transit", m.noun, m.amount, m.asset, sent)
		r.add(f, m.at)
	}
	settled, err := r.books.entry(ctx, ledger.SettledKey(cid))
	if err != nil {
		return err
	}
	failedE, err := r.books.entry(ctx, ledger.FailedKey(cid))
	if err != nil {
		return err
	}
	lo := inFlight
	switch {
	case settled != nil && failedE != nil:
		f := base
		f.Outcome, f.Venue, f.Ledger = StatusMismatch, m.status, "settled and failed"
		f.Detail = fmt.Sprintf("the journal has both %s and %s", settled.key, failedE.key)
		r.add(f, m.at)
		return nil
	case settled != nil:
		lo = succeeded
	case failedE != nil:
		lo = failed
	}
	switch {
	case m.progress == lo:
	case lo == inFlight:
		f := base
		f.Outcome, f.Venue, f.Ledger = StatusMismatch, m.status, "in transit (intent "+string(in.State)+")"
		f.Detail = fmt.Sprintf("the venue reports the %s %s; the ledger still holds it in transit (its final status was never applied)", m.noun, m.progress)
		nf := r.add(f, time.Time{})
		if m.progress == failed {
			nf.explains = sent // refunded at the venue, still in transit in the ledger
		}
	case m.progress == inFlight:
		f := base
		f.Outcome, f.Venue, f.Ledger = StatusMismatch, m.status, lo.String()
		f.Detail = fmt.Sprintf("the ledger recorded the %s %s; the venue still reports %s", m.noun, lo, m.status)
		r.add(f, time.Time{})
	default:
		f := base
		f.Outcome, f.Venue, f.Ledger = StatusMismatch, m.status, lo.String()
		f.Detail = fmt.Sprintf("the ledger recorded the %s %s; the venue says %s", m.noun, lo, m.progress)
		r.add(f, m.at)
	}
	if len(r.findings) == n {
		r.match(m.check, 1)
	}
	return nil
}

// outsideMovement handles a movement no intent of ours names: made outside
// the engine. Once final and successful it is imported, and stays a break
// for that run: money left the account without the engine.
func (r *run) outsideMovement(ctx context.Context, m movement) error {
	key := withdrawalKey(m.id)
	if m.check == CheckTransfers {
		key = transferKey(m.id)
	}
	e, err := r.books.entry(ctx, key)
	if err != nil {
		return err
	}
	if e != nil {
		got := e.hercle.get(m.asset).Neg()
		if m.amountKnown && !r.within(m.asset, got, m.amount) {
			r.add(Finding{Check: m.check, Outcome: AmountMismatch, Ref: m.id, ClientID: m.clientID, Asset: string(m.asset),
				Venue: m.amount.String(), Ledger: got.String(), Detail: fmt.Sprintf("imported entry %s moves %s", key, e.hercle)}, m.at)
			return nil
		}
		r.match(m.check, 1)
		return nil
	}
	f := Finding{Check: m.check, Outcome: MissingInLedger, Ref: m.id, ClientID: m.clientID, Asset: string(m.asset), Venue: m.status}
	who := "no Client-Id"
	if m.clientID != "" {
		who = fmt.Sprintf("Client-Id %q names no intent", m.clientID)
	}
	switch m.progress {
	case failed:
		r.match(m.check, 1) // nothing moved
		return nil
	case inFlight:
		f.Detail = fmt.Sprintf("%s made outside the engine (%s), still %s at the venue; imported once final", m.noun, who, m.status)
		r.add(f, m.at)
		return nil
	}
	f.Venue = m.amount.String() + " " + string(m.asset) + " " + m.status
	f.Detail = fmt.Sprintf("%s made outside the engine (%s)", m.noun, who)
	if !m.amountKnown {
		f.Detail += "; its amount is not in the banking ledger, so it cannot be imported"
		r.add(f, m.at)
		return nil
	}
	fix := outsideImport(m, key, f.Detail)
	nf := r.add(f, m.at)
	nf.fix = &fix
	return nil
}

// outsideImport is the entry of a final movement made outside the engine:
// the amount leaves the venue, the fee (taken from the amount) to fees.
func outsideImport(m movement, key, why string) ledger.Entry {
	kind := ledger.KindWithdrawal
	postings := []ledger.Posting{{Account: ledger.VenueAvailable(ledger.Hercle), Asset: m.asset, Amount: m.amount.Neg()}}
	if m.fee.IsPositive() && m.fee.LessThan(m.amount) {
		postings = append(postings,
			ledger.Posting{Account: m.dest, Asset: m.asset, Amount: m.amount.Sub(m.fee)},
			ledger.Posting{Account: ledger.Fees(ledger.Hercle), Asset: m.asset, Amount: m.fee})
	} else {
		postings = append(postings, ledger.Posting{Account: m.dest, Asset: m.asset, Amount: m.amount})
	}
	refs := map[string]string{refVenueRef: m.id, refSource: refSourceValue, "status": m.status}
	if m.clientID != "" {
		refs["client_id"] = m.clientID
	}
	return ledger.Entry{Key: key, Kind: kind, Time: m.at, Refs: refs,
		Memo: clipMemo("imported by reconciliation: " + why), Postings: postings}
}

// movementWebhook checks that a movement final at the venue had its final
// status webhook, and that the webhook agrees.
func (r *run) movementWebhook(m movement) {
	if m.progress == inFlight {
		return
	}
	hooks := r.books.hooks
	var eff hercle.Effect
	if m.check == CheckTransfers {
		eff = finalEffect(hooks.payouts[m.id], hooks.payoutsByClient[m.clientID])
	} else {
		eff = finalEffect(hooks.withdrawals[m.id], hooks.withdrawalsByClient[m.clientID])
	}
	want := hercle.EffectSucceed
	if m.progress == failed {
		want = hercle.EffectFail
	}
	switch eff {
	case want:
		r.match(CheckWebhooks, 1)
	case hercle.EffectPending:
		r.add(Finding{Check: CheckWebhooks, Outcome: WebhookMissing, Ref: m.id, ClientID: m.clientID, Asset: string(m.asset),
			Venue: m.status, Detail: fmt.Sprintf("the %s is %s at the venue; no final status webhook for it was received", m.noun, m.progress)}, time.Time{})
	default:
		r.add(Finding{Check: CheckWebhooks, Outcome: StatusMismatch, Ref: m.id, ClientID: m.clientID, Asset: string(m.asset),
			Venue: m.status, Ledger: "webhook " + eff.String(),
			Detail: fmt.Sprintf("the %s's webhooks report another outcome than the venue's %s", m.noun, m.status)}, m.at)
	}
}

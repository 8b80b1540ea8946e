package inbound

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// apply applies one decoded event and returns its outcome. An error
// wrapping errQuarantine means it never can be applied; any other error is
// transient.
func (p *Processor) apply(ctx context.Context, ev ledger.Event, we *webhook.Event) (string, error) {
	switch d := we.Payload.(type) {
	case nil:
		return OutcomeIgnored, nil
	case *webhook.Withdrawal:
		return p.applyMovement(ctx, ev, we, movement{
			venueID: d.ID, clientID: d.ClientID, asset: d.Asset, status: d.Status,
			fee: d.Fee.Decimal, network: d.Network, destination: d.Destination,
		})
	case *webhook.Transfer:
		m := movement{venueID: d.ID, clientID: d.ClientID, status: d.Status}
		if d.Debtor != nil {
			m.asset = d.Debtor.Asset
			if d.Debtor.Fee != nil {
				m.fee = d.Debtor.Fee.Decimal
			}
		}
		if d.Creditor != nil {
			m.asset = cmp.Or(m.asset, d.Creditor.Asset)
			m.network, m.destination = d.Creditor.Network, d.Creditor.Address
		}
		return p.applyMovement(ctx, ev, we, m)
	case *webhook.Transaction:
		return p.applyDeposit(ctx, ev, we, d)
	}
	if p.applyRegistry(ev, we) {
		return OutcomeRecorded, nil
	}
	return OutcomeStale, nil
}

// eventTime is when the event happened: the envelope's timestamp, or when
// it was stored.
func eventTime(ev ledger.Event, we *webhook.Event) time.Time {
	if we.Timestamp.Valid() {
		return we.Timestamp.Time.UTC()
	}
	return ev.Received
}

// movement is what a withdrawal or payout event says about a movement.
type movement struct {
	venueID, clientID    string
	asset                string
	status               hercle.BankingStatus
	fee                  decimal.Decimal
	network, destination string
}

// transitKind is where a Hercle movement intent holds its money in
// flight; ok is false for an intent no Hercle banking event can settle (an
// order, or a movement at another venue).
func transitKind(in ledger.Intent) (tk ledger.TransitKind, ok bool) {
	if in.Venue != ledger.Hercle {
		return "", false
	}
	switch in.Kind {
	case ledger.IntentWithdrawal:
		return ledger.TransitWithdrawal, true
	case ledger.IntentTransfer:
		return ledger.TransitBank, true
	case ledger.IntentLightning:
		return ledger.TransitLightning, true
	}
	return "", false
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

func (p *Processor) applyMovement(ctx context.Context, ev ledger.Event, we *webhook.Event, m movement) (string, error) {
	effect := m.status.Effect()
	in, found, err := p.findIntent(ctx, m)
	if err != nil {
		return "", err
	}
	if !found {
		p.log.Warn("inbound: banking event names no intent of ours; recorded only", "event_id", ev.ID,
			"event_type", we.EventType, "venue_id", m.venueID, "client_id", m.clientID, "status", m.status)
		return OutcomeUnmatched, nil
	}
	tk, ok := transitKind(in)
	if !ok {
		return "", quarantinef("event %s names intent %s of kind %s at %s, which no Hercle banking event can settle", ev.ID, in.ClientID, in.Kind, in.Venue)
	}
	final := effectiveOutcome(in)
	switch effect {
	case hercle.EffectPending:
		if final != "" {
			return OutcomeStale, nil // a progress status after the outcome: never backwards
		}
		return OutcomeRecorded, nil
	case hercle.EffectUnknown:
		p.log.Warn("inbound: undocumented banking status; recorded, not applied", "event_id", ev.ID,
			"client_id", in.ClientID, "status", m.status)
		return OutcomeUnknown, nil
	}

	if effect == hercle.EffectFail && tk != ledger.TransitLightning && in.VenueRef != "" && m.venueID != "" && m.venueID != in.VenueRef {
		// Another movement under our Client-Id (the request applied twice)
		// failed; the one the venue acknowledged may well have left, so
		// its money is not put back. (A Lightning payment is acknowledged
		// by a payment id, not its withdrawal's id.)
		p.log.Error("inbound: failure of a movement other than the intent's; ignored, needs reconciliation",
			"event_id", ev.ID, "client_id", in.ClientID, "venue_id", m.venueID, "intent_venue_ref", in.VenueRef, "status", m.status)
		return OutcomeConflict, nil
	}
	want, mine, other := ledger.StateSucceeded, ledger.SettledKey(in.ClientID), ledger.FailedKey(in.ClientID)
	if effect == hercle.EffectFail {
		want, mine, other = ledger.StateFailed, ledger.FailedKey(in.ClientID), ledger.SettledKey(in.ClientID)
	}
	otherPosted, err := p.hasEntry(ctx, other)
	if err != nil {
		return "", err
	}
	if otherPosted || final != "" && final != want {
		p.log.Error("inbound: banking status contradicts the recorded outcome; ignored, needs reconciliation",
			"event_id", ev.ID, "client_id", in.ClientID, "status", m.status, "intent_state", in.State,
			"intent_outcome", final)
		return OutcomeConflict, nil
	}
	posted, err := p.hasEntry(ctx, mine)
	if err != nil {
		return "", err
	}
	outcome := OutcomeSettled
	if effect == hercle.EffectFail {
		outcome = OutcomeFailed
	}
	if posted && final == want {
		return OutcomeDuplicate, nil
	}
	if !posted {
		if outcome, err = p.postOutcome(ctx, ev, we, m, in, tk, mine, outcome); err != nil {
			return "", err
		}
	}
	if final == "" {
		if err := p.finish(ctx, in, want, m); err != nil {
			return "", err
		}
	}
	return outcome, nil
}

// postOutcome posts the movement's settlement (transit to its
// destination, less the fee) or its failure (transit back to the venue)
// under key, for what is in transit; with nothing there it posts nothing
// and reports OutcomeNoTransit.
func (p *Processor) postOutcome(ctx context.Context, ev ledger.Event, we *webhook.Event, m movement, in ledger.Intent,
	tk ledger.TransitKind, key, outcome string) (string, error) {
	asset := market.Asset(strings.ToUpper(strings.TrimSpace(m.asset)))
	transit := ledger.Transit(tk, in.ClientID)
	amount, err := p.store.Balance(ctx, transit, asset)
	if err != nil {
		return "", fmt.Errorf("transit balance of %s: %w", in.ClientID, err)
	}
	if amount.Sign() <= 0 {
		p.log.Error("inbound: final banking status but nothing in transit; intent moved, journal unchanged, needs reconciliation",
			"event_id", ev.ID, "client_id", in.ClientID, "asset", asset, "status", m.status)
		return OutcomeNoTransit, nil
	}
	e := ledger.Entry{
		Key:      key,
		Time:     eventTime(ev, we),
		ClientID: in.ClientID,
		Refs:     map[string]string{"event_id": ev.ID, "venue_id": m.venueID, "status": string(m.status)},
	}
	if m.status.Effect() == hercle.EffectSucceed {
		dest, err := p.destination(ctx, in.ClientID, m, tk)
		if err != nil {
			return "", err
		}
		e.Kind, e.Postings = ledger.KindWithdrawalSettled, settlement(transit, dest, asset, amount, m.fee, in.Venue)
	} else {
		e.Kind = ledger.KindWithdrawalFailed
		e.Postings = []ledger.Posting{
			{Account: transit, Asset: asset, Amount: amount.Neg()},
			{Account: ledger.VenueAvailable(in.Venue), Asset: asset, Amount: amount},
		}
	}
	if _, _, err := p.store.Post(ctx, e); err != nil {
		return "", postError(e.Key, err)
	}
	return outcome, nil
}

// destination is the account a settled movement credits: the one its sent
// entry names (ledger.RefTo), so the entry is the same whether this
// webhook or the sender's own poll settles it; else, for a sent entry from
// before the ref or from outside the engine, the destination the event
// reports.
func (p *Processor) destination(ctx context.Context, cid string, m movement, tk ledger.TransitKind) (ledger.Account, error) {
	if a, ok, err := ledger.SentTo(ctx, p.store, cid); err != nil || ok {
		return a, err
	}
	network := m.network
	switch tk {
	case ledger.TransitBank:
		network = "BANK"
	case ledger.TransitLightning:
		network = "LIGHTNING"
	}
	return ledger.Destination(network, m.destination), nil
}

// settlement moves amount out of transit: the fee the venue reports to
// fees:<venue> (taken from the amount, as in the ledger's worked example)
// and the rest to dest.
func settlement(transit, dest ledger.Account, asset market.Asset, amount, fee decimal.Decimal, v ledger.Venue) []ledger.Posting {
	out := []ledger.Posting{{Account: transit, Asset: asset, Amount: amount.Neg()}}
	if fee.Sign() > 0 && fee.Cmp(amount) < 0 {
		out = append(out,
			ledger.Posting{Account: dest, Asset: asset, Amount: amount.Sub(fee)},
			ledger.Posting{Account: ledger.Fees(v), Asset: asset, Amount: fee})
	} else {
		out = append(out, ledger.Posting{Account: dest, Asset: asset, Amount: amount})
	}
	return out
}

// finish moves a not yet final intent to the outcome the venue reported.
func (p *Processor) finish(ctx context.Context, in ledger.Intent, want ledger.IntentState, m movement) error {
	note := "webhook status " + string(m.status)
	var err error
	switch in.State {
	case ledger.StateSubmitted:
		_, err = p.store.Transition(ctx, in.ClientID, want, ledger.Detail{VenueRef: m.venueID, Note: note})
	case ledger.StatePending, ledger.StateUnknown:
		// A venue event proves the request reached the venue, whatever the
		// process that wrote the intent believed.
		if in.State == ledger.StatePending {
			if _, err = p.store.Transition(ctx, in.ClientID, ledger.StateUnknown, ledger.Detail{VenueRef: m.venueID, Note: note}); err != nil {
				break
			}
		}
		_, err = p.store.Transition(ctx, in.ClientID, ledger.StateResolved, ledger.Detail{VenueRef: m.venueID, Note: note, Outcome: want})
	}
	if errors.Is(err, ledger.ErrIllegalTransition) {
		// Someone else (recovery, a lookup) moved it meanwhile; the next
		// delivery or pass sees the new state. The journal entry stands.
		return fmt.Errorf("intent %s moved concurrently: %w", in.ClientID, err)
	}
	return err
}

// findIntent finds the intent a banking event is about: by its ClientId,
// else by the venue id recorded as an intent's VenueRef. The ledger has no
// VenueRef index, so the second lookup scans the intents; it runs only for
// events without a ClientId of ours.
func (p *Processor) findIntent(ctx context.Context, m movement) (ledger.Intent, bool, error) {
	if m.clientID != "" {
		in, err := p.store.Intent(ctx, m.clientID)
		if err == nil {
			return in, true, nil
		}
		if !errors.Is(err, ledger.ErrNotFound) {
			return ledger.Intent{}, false, fmt.Errorf("intent %s: %w", m.clientID, err)
		}
	}
	if m.venueID == "" {
		return ledger.Intent{}, false, nil
	}
	all, err := p.store.Intents(ctx, "")
	if err != nil {
		return ledger.Intent{}, false, fmt.Errorf("intents: %w", err)
	}
	for _, in := range all {
		if _, ok := transitKind(in); ok && in.VenueRef == m.venueID {
			return in, true, nil
		}
	}
	return ledger.Intent{}, false, nil
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

func (p *Processor) applyDeposit(ctx context.Context, ev ledger.Event, we *webhook.Event, tx *webhook.Transaction) (string, error) {
	switch tx.Status.Effect() {
	case hercle.EffectPending, hercle.EffectFail:
		return OutcomeRecorded, nil
	case hercle.EffectUnknown:
		p.log.Warn("inbound: undocumented deposit status; recorded, not applied", "event_id", ev.ID,
			"transaction_id", tx.ID, "status", tx.Status)
		return OutcomeUnknown, nil
	}
	asset := market.Asset(strings.ToUpper(strings.TrimSpace(tx.Asset)))
	amount := tx.Amount.Decimal
	if tx.ID == "" || asset == "" || amount.Sign() <= 0 {
		return "", quarantinef("deposit event %s needs a transaction id, an asset and a positive amount", ev.ID)
	}
	from := ledger.ExternalUnknown()
	if tx.Debtor != nil && tx.Debtor.IBAN != "" {
		if a, err := ledger.ParseAccount(ledger.ExternalBank(strings.ReplaceAll(tx.Debtor.IBAN, " ", "")).String()); err == nil {
			from = a
		}
	}
	at := eventTime(ev, we)
	if tx.ProcessedAt.Valid() {
		at = tx.ProcessedAt.Time.UTC()
	}
	// A webhook alone does not make money spendable: the deposit is ours
	// but pending until the venue's history confirms it (reconcile's
	// Confirmer moves it to available).
	e := ledger.Entry{
		Key:  ledger.DepositKey(tx.ID),
		Kind: ledger.KindDeposit,
		Time: at,
		Refs: map[string]string{"event_id": ev.ID, "transaction_id": tx.ID},
		Postings: []ledger.Posting{
			{Account: ledger.VenuePending(ledger.Hercle), Asset: asset, Amount: amount},
			{Account: from, Asset: asset, Amount: amount.Neg()},
		},
	}
	if tx.SourceRefID != "" {
		e.Refs["source_ref_id"] = tx.SourceRefID
	}
	got, created, err := p.store.Post(ctx, e)
	if err != nil {
		return "", postError(e.Key, err)
	}
	if !created && got.Refs["event_id"] != ev.ID {
		if !sameAmount(got, asset, amount) {
			p.log.Error("inbound: deposit reported again with a different amount; the first stands, needs reconciliation",
				"event_id", ev.ID, "transaction_id", tx.ID, "first_event_id", got.Refs["event_id"])
			return OutcomeConflict, nil
		}
		return OutcomeDuplicate, nil
	}
	// created, or re-applied after a crash by the event that created it.
	if p.onDeposit != nil {
		p.depositM.Lock()
		p.onDeposit(Deposit{
			EventID: ev.ID, TransactionID: tx.ID, Venue: ledger.Hercle, Asset: asset,
			Amount: amount, EntryKey: e.Key, Time: at,
		})
		p.depositM.Unlock()
	}
	return OutcomeCredited, nil
}

func sameAmount(e ledger.Entry, asset market.Asset, amount decimal.Decimal) bool {
	for _, pst := range e.Postings {
		if (pst.Account == ledger.VenueAvailable(ledger.Hercle) || pst.Account == ledger.VenuePending(ledger.Hercle)) && pst.Asset == asset {
			return pst.Amount.Equal(amount)
		}
	}
	return false
}

// applyRegistry records a registry event and reports whether it changed
// the registry (false: an older update than the one applied).
func (p *Processor) applyRegistry(ev ledger.Event, we *webhook.Event) bool {
	at := eventTime(ev, we)
	switch d := we.Payload.(type) {
	case *webhook.PayeeAddress:
		return p.reg.putPayeeAddress(PayeeAddress{
			ID: d.ID, PayeeID: d.PayeeID, Name: d.Name, Asset: market.Asset(strings.ToUpper(d.Asset)),
			Address: d.Address, Network: d.Network, Status: d.Status,
			ConfirmationStrategy: d.ConfirmationStrategy, Updated: at, EventID: ev.ID,
		})
	case *webhook.Payee:
		return p.reg.putPayee(Payee{
			ID: d.ID, EndUserID: d.EndUserID, Name: d.Name, Surname: d.Surname, Company: d.Company,
			Country: d.Country, Type: d.Type, Disabled: d.Disabled, Deleted: d.Deleted, Updated: at, EventID: ev.ID,
		})
	case *webhook.EndUser:
		u := EndUser{Updated: at, EventID: ev.ID}
		switch {
		case d.Individual != nil:
			u.ID, u.Status = d.Individual.ID, d.Individual.RegistrationStatus
			u.Name = strings.TrimSpace(d.Individual.Person.FirstName + " " + d.Individual.Person.LastName)
		case d.Business != nil:
			u.ID, u.Status, u.Business, u.Name = d.Business.ID, d.Business.RegistrationStatus, true, d.Business.Business.CompanyName
		}
		return p.reg.putEndUser(u)
	case *webhook.InternalAddress:
		return p.reg.putVirtualAccount(VirtualAccount{
			ID: d.ID, EndUserID: d.EndUserID, Name: d.Name, Asset: market.Asset(strings.ToUpper(d.Asset)),
			Address: d.Address, Network: d.Network, Deleted: d.Deleted, Updated: at, EventID: ev.ID,
		})
	case *webhook.AccountBalance:
		snaps := make([]BalanceSnapshot, 0, len(d.Assets))
		for _, a := range d.Assets {
			snaps = append(snaps, BalanceSnapshot{
				UserID: d.UserID, Asset: market.Asset(strings.ToUpper(a.Name)), Available: a.Available.Decimal,
				Allocated: a.Allocated.Decimal, Sequence: d.Sequence, At: at, EventID: ev.ID,
			})
		}
		return p.reg.putBalances(d.UserID, d.Sequence, snaps)
	}
	return false
}

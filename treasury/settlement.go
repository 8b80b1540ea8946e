package treasury

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// landing is a settlement Heropayments reports sent, awaiting its Hercle
// deposit.
type landing struct {
	in      ledger.Intent
	m       execution.Movement
	created time.Time       // when the intent was recorded
	amount  decimal.Decimal // in transit
	ref     string          // Heropayments' payment id
}

// arrival is a Hercle deposit that may settle a landing.
type arrival struct {
	txID     string
	asset    market.Asset
	amount   decimal.Decimal
	at       time.Time
	credited bool // the ledger holds its deposit entry
}

// landedAt records that Heropayments has sent the settlement: it stays in
// transit until its deposit is found at Hercle.
func (t *Treasury) landedAt(ctx context.Context, o open, ref string) error {
	cid := o.in.ClientID
	if _, ok := t.landed[cid]; ok {
		return nil
	}
	if done, err := t.alreadyLanded(ctx, o.in, o.m, ref); done || err != nil {
		return err
	}
	amount, err := t.d.Ledger.Balance(ctx, o.m.Transit(), o.m.Asset)
	if err != nil || !amount.IsPositive() {
		amount = o.m.Amount
	}
	t.landed[cid] = landing{in: o.in, m: o.m, created: o.in.Created, amount: amount, ref: ref}
	t.log.Info("treasury: settlement sent by Heropayments; in transit until the Hercle deposit arrives",
		"client_id", cid, "policy", o.m.Policy, "amount", amount.String(), "heropayments_id", ref)
	return nil
}

// alreadyLanded finishes a settlement whose settled entry is already
// posted while its intent is not finished (an older engine wrote the two
// apart and stopped in between): its deposit is claimed by that entry, so
// no match would ever finish it. It reports whether it was.
func (t *Treasury) alreadyLanded(ctx context.Context, in ledger.Intent, m execution.Movement, ref string) (bool, error) {
	settled, err := t.has(ctx, ledger.SettledKey(in.ClientID))
	if err != nil || !settled {
		return false, err
	}
	if r := t.d.Follow.Finish(ctx, in, ref, "settlement entry already posted", nil); r.Status != execution.Settled {
		return true, fmt.Errorf("finish settlement %s: %s", in.ClientID, r.Detail)
	}
	t.log.Info("treasury: settlement already landed at Hercle; intent finished", "client_id", in.ClientID, "policy", m.Policy)
	t.done(m, "succeeded")
	return true, nil
}

// matchDeposits settles every landing whose Hercle deposit has arrived:
// deposits notified by the webhook processor and deposits listed over REST,
// each used once, earliest first, for the earliest landing whose asset it
// has, which it does not precede, and whose amount it is at most
// max_network_fee below.
func (t *Treasury) matchDeposits(ctx context.Context, now time.Time) error {
	if len(t.landed) == 0 {
		return nil
	}
	cids := make([]string, 0, len(t.landed))
	from := now
	for cid, l := range t.landed {
		cids = append(cids, cid)
		from = minTime(from, l.created)
	}
	slices.SortFunc(cids, func(a, b string) int {
		return cmp.Or(t.landed[a].created.Compare(t.landed[b].created), strings.Compare(a, b))
	})
	from = from.Add(-matchSlack)
	arrivals, err := t.arrivals(ctx, from, now.Add(matchSlack))
	if err != nil {
		return err
	}
	claimed, err := t.claimed(ctx, from)
	if err != nil {
		return err
	}
	var errs []error
	for _, cid := range cids {
		l := t.landed[cid]
		if done, err := t.alreadyLanded(ctx, l.in, l.m, l.ref); done || err != nil {
			errs = append(errs, err)
			continue
		}
		i := slices.IndexFunc(arrivals, func(a arrival) bool {
			return !claimed[a.txID] && a.asset == l.m.Asset && !a.at.Before(l.created.Add(-matchSlack)) &&
				a.amount.LessThanOrEqual(l.amount) && a.amount.GreaterThanOrEqual(l.amount.Sub(l.m.MaxNetFee))
		})
		if i < 0 {
			continue
		}
		claimed[arrivals[i].txID] = true
		errs = append(errs, t.land(ctx, cid, l, arrivals[i]))
	}
	return errors.Join(errs...)
}

// arrivals returns the Hercle deposits in [from, to]: those the webhook
// processor credited and told us about, then those listed over REST,
// ordered by time.
func (t *Treasury) arrivals(ctx context.Context, from, to time.Time) ([]arrival, error) {
	seen := map[string]bool{}
	var out []arrival
	t.depMu.Lock()
	for _, d := range t.deposits {
		if !seen[d.TransactionID] {
			seen[d.TransactionID] = true
			out = append(out, arrival{txID: d.TransactionID, asset: d.Asset, amount: d.Amount, at: d.Time, credited: true})
		}
	}
	t.depMu.Unlock()
	for tx, err := range t.d.Hercle.Transactions(ctx, hercle.PageQuery{From: from, To: to}) {
		if err != nil {
			return nil, fmt.Errorf("list Hercle transactions: %w", err)
		}
		if tx.Type != hercle.TxDeposit || tx.ID == "" || seen[tx.ID] || !tx.Amount.IsPositive() {
			continue
		}
		seen[tx.ID] = true
		credited, err := t.has(ctx, ledger.DepositKey(tx.ID))
		if err != nil {
			return nil, err
		}
		out = append(out, arrival{txID: tx.ID, asset: market.Asset(strings.ToUpper(tx.Asset)), amount: tx.Amount.Decimal,
			at: tx.Timestamp.Time, credited: credited})
	}
	slices.SortStableFunc(out, func(a, b arrival) int { return cmp.Or(a.at.Compare(b.at), strings.Compare(a.txID, b.txID)) })
	return out, nil
}

// claimed returns the Hercle transactions that already settled a
// settlement.
func (t *Treasury) claimed(ctx context.Context, from time.Time) (map[string]bool, error) {
	es, err := t.d.Ledger.Entries(ctx, ledger.Filter{Kind: ledger.KindTransferSettled, From: from.Add(-matchSlack)})
	if err != nil {
		return nil, fmt.Errorf("list settled transfers: %w", err)
	}
	out := map[string]bool{}
	for _, e := range es {
		if id := e.Refs["transaction_id"]; id != "" {
			out[id] = true
		}
	}
	return out, nil
}

// land settles a landing with its deposit: the deposit is credited under
// package inbound's key if the webhook has not done it (and announced
// through Deps.OnDeposit), then the transit account is cleared against the
// deposit's source, the difference to fees:heropayments.
func (t *Treasury) land(ctx context.Context, cid string, l landing, a arrival) error {
	dep, err := t.creditDeposit(ctx, a)
	if err != nil {
		return err
	}
	var source ledger.Account
	for _, p := range dep.Postings {
		if p.Asset == a.asset && p.Amount.IsNegative() {
			source = p.Account
		}
	}
	if source.IsZero() {
		return fmt.Errorf("deposit entry %s has no source posting in %s", dep.Key, a.asset)
	}
	failed, err := t.has(ctx, ledger.FailedKey(cid))
	if err != nil {
		return err
	}
	if failed {
		t.conflict(cid, l.m, "the Hercle deposit "+a.txID+" arrived after the settlement was reversed")
		delete(t.landed, cid)
		return nil
	}
	ps := []ledger.Posting{
		{Account: l.m.Transit(), Asset: a.asset, Amount: l.amount.Neg()},
		{Account: source, Asset: a.asset, Amount: a.amount},
	}
	if fee := l.amount.Sub(a.amount); fee.IsPositive() {
		ps = append(ps, ledger.Posting{Account: ledger.Fees(ledger.Heropayments), Asset: a.asset, Amount: fee})
	}
	e := ledger.Entry{
		Key: ledger.SettledKey(cid), Kind: ledger.KindTransferSettled, Time: a.at, ClientID: cid,
		Refs: map[string]string{"transaction_id": a.txID, "deposit_entry": dep.Key, "heropayments_id": l.ref},
		Memo: fmt.Sprintf("settlement %s landed at Hercle as deposit %s", cid, a.txID), Postings: ps,
	}
	if r := t.d.Follow.Finish(ctx, l.in, l.ref, "landed at Hercle as deposit "+a.txID, []ledger.Entry{e}); r.Status != execution.Settled {
		return fmt.Errorf("settle %s with deposit %s: %s", cid, a.txID, r.Detail)
	}
	t.log.Info("treasury: settlement landed at Hercle", "client_id", cid, "policy", l.m.Policy,
		"sent", l.amount.String(), "received", a.amount.String(), "transaction_id", a.txID)
	t.done(l.m, "succeeded")
	t.depMu.Lock()
	t.deposits = slices.DeleteFunc(t.deposits, func(d inbound.Deposit) bool { return d.TransactionID == a.txID })
	t.depMu.Unlock()
	// The money is at Hercle: the settlement's chain (a conversion, the
	// next sweep) runs now.
	if p, ok := t.cfg.Policies[l.m.Policy]; ok && len(p.Then) > 0 {
		rs, err := t.chain(ctx, l.m.Policy, p, 0)
		for _, r := range rs {
			t.log.Info("treasury: chained after the settlement landed", "settlement", cid, "policy", r.Policy,
				"outcome", string(r.Outcome), "amount", r.Amount.String(), "reason", r.Reason)
		}
		return err
	}
	return nil
}

// creditDeposit returns the deposit's journal entry, posting it in package
// inbound's form when the webhook has not (the webhook then finds it and
// applies nothing). A deposit credited here is announced to Deps.OnDeposit.
func (t *Treasury) creditDeposit(ctx context.Context, a arrival) (ledger.Entry, error) {
	key := ledger.DepositKey(a.txID)
	if a.credited {
		e, err := t.d.Ledger.Entry(ctx, key)
		if err != nil {
			return ledger.Entry{}, fmt.Errorf("deposit entry %s: %w", key, err)
		}
		return e, t.confirmDeposit(ctx, e, a)
	}
	e := ledger.Entry{
		Key: key, Kind: ledger.KindDeposit, Time: a.at,
		Refs: map[string]string{"transaction_id": a.txID, "source": "treasury.rest"},
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(ledger.Hercle), Asset: a.asset, Amount: a.amount},
			{Account: ledger.ExternalUnknown(), Asset: a.asset, Amount: a.amount.Neg()},
		},
	}
	got, created, err := t.d.Ledger.Post(ctx, e)
	if err != nil {
		return ledger.Entry{}, fmt.Errorf("credit deposit %s: %w", a.txID, err)
	}
	if created && t.d.OnDeposit != nil {
		t.d.OnDeposit(inbound.Deposit{TransactionID: a.txID, Venue: ledger.Hercle, Asset: a.asset, Amount: a.amount, EntryKey: key, Time: a.at})
	}
	return got, nil
}

// confirmDeposit makes a deposit its webhook credited as pending
// spendable: the venue's history, read here, lists it with the same asset
// and amount (reconcile's Confirmer would do the same on its next pass).
func (t *Treasury) confirmDeposit(ctx context.Context, e ledger.Entry, a arrival) error {
	c, ok := ledger.DepositConfirmation(e, t.clock.Now(), "listed in the venue's history: spendable")
	if !ok {
		return nil
	}
	if len(c.Postings) != 2 || c.Postings[1].Asset != a.asset || !c.Postings[1].Amount.Equal(a.amount) {
		return fmt.Errorf("deposit %s: the webhook credited another asset or amount than the venue's history lists (%s %s); left pending for reconciliation",
			a.txID, a.amount, a.asset)
	}
	_, created, err := t.d.Ledger.Post(ctx, c)
	if err != nil {
		return fmt.Errorf("confirm deposit %s: %w", a.txID, err)
	}
	if created && t.d.OnDeposit != nil {
		t.d.OnDeposit(inbound.Deposit{TransactionID: a.txID, Venue: ledger.Hercle, Asset: a.asset, Amount: a.amount, EntryKey: e.Key, Time: e.Time})
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

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

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// landing is a settlement Heropayments reports sent, awaiting its Hercle
// deposit.
type landing struct {
	rec     record
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
func (t *Treasury) landedAt(ctx context.Context, o open, st venueState) {
	if _, ok := t.landed[o.in.ClientID]; ok {
		return
	}
	amount, err := t.d.Ledger.Balance(ctx, ledger.Transit(o.rec.transitKind(), o.in.ClientID), o.rec.Asset)
	if err != nil || !amount.IsPositive() {
		amount = o.rec.Amount
	}
	t.landed[o.in.ClientID] = landing{rec: o.rec, created: o.in.Created, amount: amount, ref: st.ref}
	t.log.Info("treasury: settlement sent by Heropayments; in transit until the Hercle deposit arrives",
		"client_id", o.in.ClientID, "policy", o.rec.Policy, "amount", amount.String(), "heropayments_id", st.ref)
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
		if done, err := t.alreadyLanded(ctx, cid, l.rec, l.ref); done || err != nil {
			errs = append(errs, err)
			continue
		}
		i := slices.IndexFunc(arrivals, func(a arrival) bool {
			return !claimed[a.txID] && a.asset == l.rec.Asset && !a.at.Before(l.created.Add(-matchSlack)) &&
				a.amount.LessThanOrEqual(l.amount) && a.amount.GreaterThanOrEqual(l.amount.Sub(l.rec.MaxNetFee))
		})
		if i < 0 {
			continue
		}
		claimed[arrivals[i].txID] = true
		errs = append(errs, t.land(ctx, cid, l, arrivals[i]))
	}
	return errors.Join(errs...)
}

// alreadyLanded finishes a settlement whose entry is already posted (its
// intent was not finished: the process stopped in between). Its deposit is
// claimed by that entry, so no match would ever finish it. It reports
// whether the settlement was already posted.
func (t *Treasury) alreadyLanded(ctx context.Context, cid string, r record, ref string) (bool, error) {
	settled, err := t.has(ctx, ledger.SettledKey(cid))
	if err != nil || !settled {
		return false, err
	}
	if err := t.finishIntent(ctx, cid, r, ledger.StateSucceeded, ref, "settlement entry already posted"); err != nil {
		return true, err
	}
	t.log.Info("treasury: settlement already landed at Hercle; intent finished", "client_id", cid, "policy", r.Policy)
	t.m.resolved.WithLabelValues(r.Method, "succeeded").Inc()
	delete(t.landed, cid)
	delete(t.tracked, cid)
	return true, nil
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
		credited, err := t.has(ctx, inbound.DepositKey(tx.ID))
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
		t.conflict(cid, l.rec, "the Hercle deposit "+a.txID+" arrived after the settlement was reversed")
		delete(t.landed, cid)
		return nil
	}
	transit := ledger.Transit(l.rec.transitKind(), cid)
	ps := []ledger.Posting{
		{Account: transit, Asset: a.asset, Amount: l.amount.Neg()},
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
	if _, _, err := t.d.Ledger.Post(ctx, e); err != nil {
		return fmt.Errorf("post the settlement of %s: %w", cid, err)
	}
	if err := t.finishIntent(ctx, cid, l.rec, ledger.StateSucceeded, l.ref, "landed at Hercle as deposit "+a.txID); err != nil {
		return err
	}
	t.log.Info("treasury: settlement landed at Hercle", "client_id", cid, "policy", l.rec.Policy,
		"sent", l.amount.String(), "received", a.amount.String(), "transaction_id", a.txID)
	t.m.resolved.WithLabelValues(l.rec.Method, "succeeded").Inc()
	delete(t.landed, cid)
	delete(t.tracked, cid)
	t.depMu.Lock()
	t.deposits = slices.DeleteFunc(t.deposits, func(d inbound.Deposit) bool { return d.TransactionID == a.txID })
	t.depMu.Unlock()
	// The money is at Hercle: the settlement's chain (a conversion, the
	// next sweep) runs now.
	if p, ok := t.cfg.Policies[l.rec.Policy]; ok && len(p.Then) > 0 {
		rs, err := t.chain(ctx, l.rec.Policy, p, 0)
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
	key := inbound.DepositKey(a.txID)
	if a.credited {
		e, err := t.d.Ledger.Entry(ctx, key)
		if err != nil {
			return ledger.Entry{}, fmt.Errorf("deposit entry %s: %w", key, err)
		}
		return e, nil
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

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

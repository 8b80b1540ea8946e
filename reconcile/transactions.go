package reconcile

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// compareTransactions compares the venue's transactions with the journal:
// deposits and fees one by one, trade legs in sum against the trades.
// Allocation and withdrawal legs are counted as skipped: balances,
// withdrawals and transfers compare what they move.
func (r *run) compareTransactions(ctx context.Context) error {
	var legs amounts
	legCount := map[market.Asset]int{}
	for i := range r.venue.data.txs {
		t := &r.venue.data.txs[i]
		var err error
		switch t.Type {
		case hercle.TxDeposit:
			err = r.compareDeposit(ctx, t)
		case hercle.TxTradeFee, hercle.TxCustodyFee:
			err = r.compareFee(ctx, t)
		case hercle.TxTrade:
			if at := t.Timestamp.Time; at.After(r.cutoff) {
				r.skip(CheckTransactions, 1)
				continue
			}
			a := assetOf(t.Asset)
			legs = legs.add(a, t.Amount.Decimal)
			legCount[a]++
		default:
			r.skip(CheckTransactions, 1)
		}
		if err != nil {
			return err
		}
	}
	r.compareTradeLegs(legs, legCount)
	return r.depositsMissingAtVenue(ctx)
}

func assetOf(s string) market.Asset { return market.Asset(strings.ToUpper(strings.TrimSpace(s))) }

// compareDeposit matches a deposit with "hercle:deposit:<id>".
func (r *run) compareDeposit(ctx context.Context, t *hercle.Transaction) error {
	asset, amount, at := assetOf(t.Asset), t.Amount.Decimal, t.Timestamp.Time
	e, err := r.books.entry(ctx, ledger.DepositKey(t.ID))
	if err != nil {
		return err
	}
	if e != nil {
		e.matched++
		got := e.hercle.get(asset)
		if !r.within(asset, got, amount) {
			r.add(Finding{Check: CheckTransactions, Outcome: AmountMismatch, Ref: t.ID, Asset: string(asset),
				Venue: amount.String(), Ledger: got.String(),
				Detail: fmt.Sprintf("deposit entry %s credits %s; the venue credited %s %s", e.key, e.hercle, amount, asset)}, at)
			return nil
		}
		r.match(CheckTransactions, 1)
		return nil
	}
	f := Finding{Check: CheckTransactions, Outcome: MissingInLedger, Ref: t.ID, Asset: string(asset), Venue: amount.String(),
		Detail: "deposit with no entry in the journal"}
	fix := depositImport(t, asset, amount, f.Detail)
	nf := r.add(f, at)
	nf.fix, nf.benign = &fix, true
	nf.prepare = func(ctx context.Context) error { return r.prepareDeposit(ctx, nf) }
	return nil
}

// prepareDeposit reads the deposit from the banking ledger before it is
// imported: a failed one is not imported, and a known bank sender becomes
// the entry's other side.
func (r *run) prepareDeposit(ctx context.Context, f *Finding) error {
	if !r.spendLookup() {
		return nil
	}
	e, err := bankingEntry(ctx, r.v, f.Ref)
	if err != nil || e == nil {
		return err
	}
	switch strings.ToUpper(string(e.Status)) {
	case "FAILURE", "FAILED", "REJECTED":
		f.Outcome, f.Ledger, f.benign, f.fix = StatusMismatch, "no entry", false, nil
		f.Venue = string(e.Status)
		f.Detail = fmt.Sprintf("listed as a deposit transaction but the banking ledger says %s: not imported", e.Status)
		return nil
	}
	if e.Debtor != nil && e.Debtor.IBAN != "" {
		if a, err := ledger.ParseAccount(ledger.ExternalBank(strings.ReplaceAll(e.Debtor.IBAN, " ", "")).String()); err == nil {
			f.fix.Postings[1].Account = a
		}
	}
	return nil
}

func depositImport(t *hercle.Transaction, asset market.Asset, amount decimal.Decimal, why string) ledger.Entry {
	return ledger.Entry{
		Key:  ledger.DepositKey(t.ID),
		Kind: ledger.KindDeposit,
		Time: t.Timestamp.Time,
		Refs: map[string]string{refTransactionID: t.ID, refSource: refSourceValue},
		Memo: clipMemo("imported by reconciliation: " + why),
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(ledger.Hercle), Asset: asset, Amount: amount},
			{Account: ledger.ExternalUnknown(), Asset: asset, Amount: amount.Neg()},
		},
	}
}

// compareFee matches a trade or custody fee with "hercle:fee:<id>".
func (r *run) compareFee(ctx context.Context, t *hercle.Transaction) error {
	asset, at := assetOf(t.Asset), t.Timestamp.Time
	charged := t.Amount.Decimal.Abs()
	e, err := r.books.entry(ctx, feeKey(t.ID))
	if err != nil {
		return err
	}
	if e != nil {
		got := e.hercle.get(asset).Neg()
		if !r.within(asset, got, charged) {
			r.add(Finding{Check: CheckTransactions, Outcome: AmountMismatch, Ref: t.ID, Asset: string(asset),
				Venue: charged.String(), Ledger: got.String(), Detail: fmt.Sprintf("fee entry %s charges %s", e.key, e.hercle)}, at)
			return nil
		}
		r.match(CheckTransactions, 1)
		return nil
	}
	if charged.IsZero() {
		r.match(CheckTransactions, 1)
		return nil
	}
	detail := fmt.Sprintf("%s charged by the venue, not in the journal", t.Type)
	fix := ledger.Entry{
		Key:  feeKey(t.ID),
		Kind: ledger.KindFee,
		Time: at,
		Refs: map[string]string{refTransactionID: t.ID, refSource: refSourceValue},
		Memo: clipMemo("imported by reconciliation: " + detail),
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(ledger.Hercle), Asset: asset, Amount: charged.Neg()},
			{Account: ledger.Fees(ledger.Hercle), Asset: asset, Amount: charged},
		},
	}
	nf := r.add(Finding{Check: CheckTransactions, Outcome: MissingInLedger, Ref: t.ID, Asset: string(asset),
		Venue: charged.String(), Detail: detail}, at)
	nf.fix, nf.benign = &fix, true
	return nil
}

// compareTradeLegs checks the venue against itself: per asset, the trade
// legs of its transaction history must add up to what its trades listing
// implies, or one of the two listings is incomplete and the trade
// comparison cannot be trusted.
func (r *run) compareTradeLegs(legs amounts, legCount map[market.Asset]int) {
	var implied amounts
	for i := range r.venue.data.trades {
		t := &r.venue.data.trades[i]
		if t.Timestamp.Time.After(r.cutoff) {
			continue
		}
		eff, ok := tradeEffect(t, nil)
		if !ok {
			n := 0
			for _, c := range legCount {
				n += c
			}
			r.skip(CheckTransactions, n)
			r.skipped = append(r.skipped, fmt.Sprintf("transactions: trade legs not compared, trade %s's instrument %q does not name its assets", t.ID, t.Instrument))
			return
		}
		for _, x := range eff {
			implied = implied.add(x.asset, x.amount)
		}
	}
	for _, a := range assetsOf(legs, implied) {
		if !r.within(a, legs.get(a), implied.get(a)) {
			r.add(Finding{Check: CheckTransactions, Outcome: AmountMismatch, Ref: "trade legs " + string(a), Asset: string(a),
				Venue: legs.get(a).String(), Ledger: implied.get(a).String(),
				Detail: "the venue's trade transactions do not add up to its trades listing: one listing is incomplete (Ledger shows what the trades imply)"}, r.cutoff)
			continue
		}
		r.match(CheckTransactions, legCount[a])
	}
}

// depositsMissingAtVenue reports deposit entries in the window whose
// transaction the venue does not list, after asking the banking ledger.
func (r *run) depositsMissingAtVenue(ctx context.Context) error {
	for _, e := range r.books.deposits {
		if e.matched > 0 || e.at.Before(r.since) || e.at.After(r.until) {
			continue
		}
		id := strings.TrimPrefix(e.key, depositPrefix)
		detail := "deposit in the journal; the venue lists no such transaction"
		if r.spendLookup() {
			be, err := bankingEntry(ctx, r.v, id)
			if err != nil {
				return err
			}
			if be != nil {
				// Known, outside the listing's range: compare what the
				// banking ledger says it was.
				asset, amount := assetOf(be.Asset), be.Amount.Decimal.Abs()
				got := e.hercle.get(asset)
				switch st := strings.ToUpper(string(be.Status)); {
				case st == "FAILURE" || st == "FAILED" || st == "REJECTED":
					r.add(Finding{Check: CheckTransactions, Outcome: StatusMismatch, Ref: id, Asset: string(asset), Venue: string(be.Status),
						Ledger: e.hercle.String(), Detail: fmt.Sprintf("deposit entry %s credits %s; the banking ledger says %s", e.key, e.hercle, be.Status)}, e.at)
				case be.Type != "" && !strings.EqualFold(be.Type, "DEPOSIT") || !r.within(asset, got, amount):
					r.add(Finding{Check: CheckTransactions, Outcome: AmountMismatch, Ref: id, Asset: string(asset), Venue: amount.String(),
						Ledger: got.String(), Detail: fmt.Sprintf("deposit entry %s credits %s; the banking ledger has %s %s %s", e.key, e.hercle, be.Type, amount, asset)}, e.at)
				default:
					r.match(CheckTransactions, 1)
				}
				continue
			}
			detail += ", and its banking ledger does not know it"
		}
		r.add(Finding{Check: CheckTransactions, Outcome: MissingAtVenue, Ref: id, Ledger: e.hercle.String(), Detail: detail}, e.at)
	}
	return nil
}

// compareDepositWebhooks checks that every deposit the venue lists had its
// webhook, and says so on a deposit missing in the ledger whose webhook
// was stored but not applied.
func (r *run) compareDepositWebhooks(context.Context) error {
	missing := map[string]*Finding{}
	for _, f := range r.findings {
		if f.Check == CheckTransactions && f.Outcome == MissingInLedger {
			missing[f.Ref] = f
		}
	}
	for i := range r.venue.data.txs {
		t := &r.venue.data.txs[i]
		if t.Type != hercle.TxDeposit {
			continue
		}
		h, ok := r.books.hooks.deposits[t.ID]
		if !ok {
			r.add(Finding{Check: CheckWebhooks, Outcome: WebhookMissing, Ref: t.ID, Asset: string(assetOf(t.Asset)), Venue: t.Amount.String(),
				Detail: "deposit listed by the venue; no Banking.Deposit webhook for it was received"}, t.Timestamp.Time)
			continue
		}
		r.match(CheckWebhooks, 1)
		if f := missing[t.ID]; f != nil {
			f.Detail = fmt.Sprintf("deposit webhook %s stored but not applied (pending or quarantined in the inbox)", h.eventID)
		}
	}
	return nil
}

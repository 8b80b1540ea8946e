package reconcile

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// balanceReads bounds the attempts at a venue balance snapshot whose
// sequence does not move while the ledger is read.
const balanceReads = 3

// compareBalances compares, per asset, the venue's available plus
// allocated with the ledger's venue:hercle accounts plus the money in
// transit whose movement is still open at the venue (there it sits in
// allocated). It runs after the imports, on a fresh ledger read between
// two venue reads with the same sequence.
func (r *run) compareBalances(ctx context.Context) error {
	snap, lb, ok, err := r.balanceSnapshot(ctx)
	if err != nil || !ok {
		return err
	}
	r.balanceSeq, r.balancesCompared = snap.Sequence, true
	var venue, books amounts
	for _, a := range snap.Assets {
		venue = venue.add(assetOf(a.Name), a.Available.Add(a.Allocated.Decimal))
	}
	inTransit := map[market.Asset][]string{}
	for _, b := range lb {
		switch {
		case b.Account.HasPrefix("venue:" + string(ledger.Hercle)):
			books = books.add(b.Asset, b.Amount)
		case b.Account.Class() == "transit":
			cid := transitRef(b.Account)
			if in, ok := r.books.intents[cid]; ok && in.Venue == ledger.Hercle && r.open[cid] {
				books = books.add(b.Asset, b.Amount)
				inTransit[b.Asset] = append(inTransit[b.Asset], cid)
			}
		}
	}
	// A difference is in flight while the engine may not have heard of
	// the newest balance change: unless the inbox holds a Balance.Updated
	// at least as new as the snapshot, it dates from the newest venue
	// record.
	at := r.cutoff
	if r.books.hooks.balanceSeq < snap.Sequence && r.venue.data.newest.After(at) {
		at = r.venue.data.newest
	}
	for _, a := range assetsOf(venue, books) {
		if v, l := venue.get(a), books.get(a); r.within(a, v, l) {
			r.match(CheckBalances, 1)
		} else {
			r.balanceBreak(a, v, l, snap.Sequence, inTransit[a], at)
		}
	}
	return nil
}

// balanceSnapshot reads the venue's balances, the ledger's, and the
// venue's again, until both venue reads carry the same sequence: the
// ledger was read while the venue stood still. ok is false (and noted as
// skipped) when it kept moving.
func (r *run) balanceSnapshot(ctx context.Context) (snap hercle.Balances, lb []ledger.Balance, ok bool, err error) {
	var seqs []int64
	for range balanceReads {
		a, err := r.v.Balances(ctx)
		if err != nil {
			return snap, nil, false, fmt.Errorf("%w: balances: %w", ErrVenue, err)
		}
		if lb, err = r.books.store.Balances(ctx); err != nil {
			return snap, nil, false, fmt.Errorf("%w: balances: %w", ErrLedger, err)
		}
		b, err := r.v.Balances(ctx)
		if err != nil {
			return snap, nil, false, fmt.Errorf("%w: balances: %w", ErrVenue, err)
		}
		seqs = append(seqs, a.Sequence, b.Sequence)
		if a.Sequence == b.Sequence {
			return b, lb, true, nil
		}
	}
	r.skipped = append(r.skipped, fmt.Sprintf("balances: the venue's balance sequence kept moving while the ledger was read (%v); not compared", seqs))
	return snap, nil, false, nil
}

// balanceBreak reports asset's venue balance v against the books' l.
func (r *run) balanceBreak(a market.Asset, v, l decimal.Decimal, seq int64, transit []string, at time.Time) {
	detail := fmt.Sprintf("venue available+allocated %s (sequence %d); ledger venue:hercle", v, seq)
	if len(transit) > 0 {
		detail += fmt.Sprintf(" plus open transit of %s", strings.Join(transit, ", "))
	}
	detail += fmt.Sprintf(" %s; difference %s", l, v.Sub(l))
	if t := r.cfg.tolerance(a); !t.IsZero() {
		detail += fmt.Sprintf(" exceeds the tolerance %s", t)
	}
	explained := false
	if s := r.pendingImports(a); !s.IsZero() && r.within(a, v.Sub(l), s) {
		explained = true
		detail += "; records the ledger lacks within the grace period (pending) account for it"
	}
	f := r.add(Finding{Check: CheckBalances, Outcome: AmountMismatch, Ref: string(a), Asset: string(a),
		Venue: v.String(), Ledger: l.String(), Detail: detail}, at)
	switch {
	case explained:
		// A deposit whose webhook is on its way, whatever the balance
		// webhooks say: pending as long as the record is.
		f.Pending = true
	case f.Pending && r.now.Sub(f.FirstSeen) >= r.cfg.Grace:
		// A busy account always has a recent venue record; a difference
		// runs have seen for a whole grace period is not in flight.
		f.Pending = false
	}
}

// pendingImports is what the imports of the pending findings would add
// to venue:hercle in asset, and what the pending ones it has no import for
// explain: the venue's records the ledger lacks yet.
func (r *run) pendingImports(asset market.Asset) decimal.Decimal {
	sum := decimal.Zero
	for _, f := range r.findings {
		if !f.Pending {
			continue
		}
		sum = sum.Add(f.explains.get(asset))
		if f.fix == nil {
			continue
		}
		for _, p := range f.fix.Postings {
			if p.Asset == asset && p.Account.HasPrefix("venue:"+string(ledger.Hercle)) {
				sum = sum.Add(p.Amount)
			}
		}
	}
	return sum
}

// transitRef is the reference (the Client-Id) of a transit account.
func transitRef(a ledger.Account) string {
	s := strings.TrimPrefix(a.String(), "transit:")
	_, ref, _ := strings.Cut(s, ":")
	return ref
}

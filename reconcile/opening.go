package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// OpeningLedger is what PostOpening reads and writes. *ledger.Store
// satisfies it.
type OpeningLedger interface {
	Entry(ctx context.Context, key string) (ledger.Entry, error)
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, bool, error)
}

// Opening is a venue's balances as the venue reports them, to open the
// books with.
type Opening struct {
	Venue     ledger.Venue
	Available map[market.Asset]decimal.Decimal
	Allocated map[market.Asset]decimal.Decimal
	Refs      map[string]string // the venue's sequence, for the audit
}

// OpeningKey is the journal key of venue v's opening balances: one per
// ledger.
func OpeningKey(v ledger.Venue) string { return string(v) + ":opening" }

// PostOpening posts o as the opening balances of a ledger that has none
// for o.Venue yet, so the books start equal to the venue; afterwards
// reconciliation owns any difference. It reports whether it posted.
func PostOpening(ctx context.Context, l OpeningLedger, o Opening) (bool, error) {
	key := OpeningKey(o.Venue)
	if _, err := l.Entry(ctx, key); err == nil {
		return false, nil
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return false, fmt.Errorf("opening balances: %w", err)
	}
	e := ledger.Entry{Key: key, Kind: ledger.KindOpening, Refs: o.Refs, Memo: "opening balances from the venue at first start"}
	add := func(acct ledger.Account, m map[market.Asset]decimal.Decimal) {
		assets := make([]market.Asset, 0, len(m))
		for a := range m {
			assets = append(assets, a)
		}
		sort.Slice(assets, func(i, j int) bool { return assets[i] < assets[j] })
		for _, a := range assets {
			if amt := m[a]; !amt.IsZero() {
				e.Postings = append(e.Postings,
					ledger.Posting{Account: acct, Asset: a, Amount: amt},
					ledger.Posting{Account: ledger.OpeningBalance(), Asset: a, Amount: amt.Neg()})
			}
		}
	}
	add(ledger.VenueAvailable(o.Venue), o.Available)
	add(ledger.VenueAllocated(o.Venue), o.Allocated)
	if len(e.Postings) == 0 {
		return false, nil
	}
	if _, _, err := l.Post(ctx, e); err != nil {
		return false, fmt.Errorf("opening balances: %w", err)
	}
	return true, nil
}

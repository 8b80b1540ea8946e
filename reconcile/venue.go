package reconcile

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
)

// Venue is the Hercle REST history reconciliation reads. *hercle.Client
// satisfies it. Listings are iterated to the end; an error ends the run.
type Venue interface {
	Balances(ctx context.Context) (hercle.Balances, error)
	Trades(ctx context.Context, q hercle.PageQuery) iter.Seq2[hercle.Trade, error]
	HistoricalTrades(ctx context.Context, q hercle.PageQuery) iter.Seq2[hercle.Trade, error]
	TradesByClientID(ctx context.Context, clientID string) ([]hercle.Trade, error)
	Transactions(ctx context.Context, q hercle.PageQuery) iter.Seq2[hercle.Transaction, error]
	HistoricalTransactions(ctx context.Context, q hercle.PageQuery) iter.Seq2[hercle.Transaction, error]
	WithdrawalsPaginated(ctx context.Context, q hercle.PageQuery) iter.Seq2[hercle.Withdrawal, error]
	Withdrawals(ctx context.Context, f hercle.WithdrawalFilter) ([]hercle.Withdrawal, error)
	WithdrawalsByClientID(ctx context.Context, clientID string) ([]hercle.Withdrawal, error)
	Transfers(ctx context.Context, q hercle.TransferQuery) iter.Seq2[hercle.Transfer, error]
	TransactionLedger(ctx context.Context, transactionID string) (hercle.LedgerTransaction, error)
}

// Payments is the Heropayments status check. *heropayments.Client
// satisfies it.
type Payments interface {
	PaymentStatus(ctx context.Context, flow heropayments.Flow, ref heropayments.Ref) (heropayments.Payment, error)
}

// recentWindow is how far back the non-historical trade and transaction
// listings are read; older history comes from the historical listings.
const recentWindow = 7 * 24 * time.Hour

// transfer is a bank transfer with its amount from the banking ledger
// (the transfer listing does not carry it).
type transfer struct {
	hercle.Transfer
	entry *hercle.LedgerTransaction // nil if the banking ledger lookup found nothing
}

// venueData is the venue's history in [since, until].
type venueData struct {
	trades      []hercle.Trade
	txs         []hercle.Transaction
	withdrawals []hercle.Withdrawal
	transfers   []transfer
	// newest is the time of the newest record of any kind.
	newest time.Time
}

// pageRange is the range to ask the venue for: listings take whole
// seconds, so it is widened to them; records are filtered to [since,
// until] afterwards.
func pageRange(since, until time.Time) (time.Time, time.Time) {
	return since.Truncate(time.Second), until.Truncate(time.Second).Add(time.Second)
}

// sizes is the number of records of a previous fetch, to size the next
// one's slices: growing a slice of 100,000 records copies it over and
// over.
type sizes struct{ trades, txs int }

// fetch reads the venue's history in [since, until]: trades and
// transactions from the 7-day listing for the last week and the 30-day
// historical listing before it, withdrawals, transfers with their banking
// ledger entries.
func fetch(ctx context.Context, v Venue, since, until time.Time, hint sizes) (*venueData, error) {
	d := &venueData{
		trades: make([]hercle.Trade, 0, hint.trades+hint.trades/8),
		txs:    make([]hercle.Transaction, 0, hint.txs+hint.txs/8),
	}
	in := func(t time.Time) bool { return !t.Before(since) && !t.After(until) }
	recentFrom := until.Add(-recentWindow)
	if recentFrom.Before(since) {
		recentFrom = since
	}
	recent := hercle.PageQuery{}
	recent.From, recent.To = pageRange(recentFrom, until)
	old := hercle.PageQuery{}
	old.From, old.To = pageRange(since, recentFrom)
	hasOld := since.Before(recentFrom)

	// Each listing yields a record once; the two listings may overlap at
	// their boundary, so repeats are dropped only when both were read.
	var seenTrade, seenTx map[string]bool
	trade := func(t hercle.Trade) (string, time.Time) { return t.ID, t.Timestamp.Time }
	tx := func(t hercle.Transaction) (string, time.Time) { return t.ID, t.Timestamp.Time }
	if hasOld {
		seenTrade, seenTx = map[string]bool{}, map[string]bool{}
		if err := collect(v.HistoricalTrades(ctx, old), "historical trades", trade, in, seenTrade, &d.trades); err != nil {
			return nil, err
		}
	}
	if err := collect(v.Trades(ctx, recent), "trades", trade, in, seenTrade, &d.trades); err != nil {
		return nil, err
	}
	if hasOld {
		if err := collect(v.HistoricalTransactions(ctx, old), "historical transactions", tx, in, seenTx, &d.txs); err != nil {
			return nil, err
		}
	}
	if err := collect(v.Transactions(ctx, recent), "transactions", tx, in, seenTx, &d.txs); err != nil {
		return nil, err
	}
	allFrom, allTo := pageRange(since, until)
	withdrawal := func(w hercle.Withdrawal) (string, time.Time) { return w.ID, w.Timestamp.Time }
	if err := collect(v.WithdrawalsPaginated(ctx, hercle.PageQuery{From: allFrom, To: allTo}), "withdrawals", withdrawal, in, map[string]bool{}, &d.withdrawals); err != nil {
		return nil, err
	}
	var transfers []hercle.Transfer
	transferOf := func(t hercle.Transfer) (string, time.Time) { return t.ID, t.Timestamp.Time }
	if err := collect(v.Transfers(ctx, hercle.TransferQuery{StartDate: allFrom, EndDate: allTo}), "transfers", transferOf, in, map[string]bool{}, &transfers); err != nil {
		return nil, err
	}
	for _, t := range transfers {
		e, err := bankingEntry(ctx, v, t.ID)
		if err != nil {
			return nil, err
		}
		d.transfers = append(d.transfers, transfer{Transfer: t, entry: e})
	}
	d.order()
	return d, nil
}

// collect appends the records of one listing that fall in range to out,
// each once: seen (nil when repeats cannot happen) remembers the ids.
func collect[T any](seq iter.Seq2[T, error], what string, key func(T) (string, time.Time), in func(time.Time) bool,
	seen map[string]bool, out *[]T) error {
	for r, err := range seq {
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrVenue, what, err)
		}
		id, at := key(r)
		if !in(at) || seen[id] {
			continue
		}
		if seen != nil {
			seen[id] = true
		}
		*out = append(*out, r)
	}
	return nil
}

// order sorts the trades and transactions by time (listings come in time
// order; only one that did not is sorted) and notes the newest record.
func (d *venueData) order() {
	byTime := func(a, b time.Time) int { return a.Compare(b) }
	tradeTime := func(a, b hercle.Trade) int { return byTime(a.Timestamp.Time, b.Timestamp.Time) }
	if !slices.IsSortedFunc(d.trades, tradeTime) {
		slices.SortStableFunc(d.trades, tradeTime)
	}
	txTime := func(a, b hercle.Transaction) int { return byTime(a.Timestamp.Time, b.Timestamp.Time) }
	if !slices.IsSortedFunc(d.txs, txTime) {
		slices.SortStableFunc(d.txs, txTime)
	}
	for _, t := range d.trades {
		d.newest = later(d.newest, t.Timestamp.Time)
	}
	for _, t := range d.txs {
		d.newest = later(d.newest, t.Timestamp.Time)
	}
	for _, w := range d.withdrawals {
		d.newest = later(d.newest, w.Timestamp.Time)
	}
	for _, t := range d.transfers {
		d.newest = later(d.newest, t.Timestamp.Time)
	}
}

// bankingEntry looks a transaction up in the banking ledger; nil, nil when
// the venue does not know it.
func bankingEntry(ctx context.Context, v Venue, id string) (*hercle.LedgerTransaction, error) {
	e, err := v.TransactionLedger(ctx, id)
	switch {
	case err == nil:
		return &e, nil
	case isNotFound(err):
		return nil, nil
	}
	return nil, fmt.Errorf("%w: banking ledger %s: %w", ErrVenue, id, err)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

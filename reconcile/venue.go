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

// fetch reads the venue's history in [since, until]: trades and
// transactions from the 7-day listing for the last week and the 30-day
// historical listing before it, withdrawals, transfers with their banking
// ledger entries.
// sizes is the number of records of a previous fetch, to size the next
// one's slices: growing a slice of 100,000 records copies it over and
// over.
type sizes struct{ trades, txs int }

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
	from, to := pageRange(recentFrom, until)
	oldFrom, oldTo := pageRange(since, recentFrom)
	hasOld := since.Before(recentFrom)

	// Each listing yields a record once; the two listings may overlap at
	// their boundary, so repeats are dropped only when both were read.
	var seenTrade map[string]bool
	if hasOld {
		seenTrade = map[string]bool{}
	}
	addTrades := func(seq iter.Seq2[hercle.Trade, error], what string) error {
		for t, err := range seq {
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrVenue, what, err)
			}
			if !in(t.Timestamp.Time) || seenTrade[t.ID] {
				continue
			}
			if seenTrade != nil {
				seenTrade[t.ID] = true
			}
			d.trades = append(d.trades, t)
		}
		return nil
	}
	if hasOld {
		if err := addTrades(v.HistoricalTrades(ctx, hercle.PageQuery{From: oldFrom, To: oldTo}), "historical trades"); err != nil {
			return nil, err
		}
	}
	if err := addTrades(v.Trades(ctx, hercle.PageQuery{From: from, To: to}), "trades"); err != nil {
		return nil, err
	}

	var seenTx map[string]bool
	if hasOld {
		seenTx = map[string]bool{}
	}
	addTxs := func(seq iter.Seq2[hercle.Transaction, error], what string) error {
		for t, err := range seq {
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrVenue, what, err)
			}
			if !in(t.Timestamp.Time) || seenTx[t.ID] {
				continue
			}
			if seenTx != nil {
				seenTx[t.ID] = true
			}
			d.txs = append(d.txs, t)
		}
		return nil
	}
	if hasOld {
		if err := addTxs(v.HistoricalTransactions(ctx, hercle.PageQuery{From: oldFrom, To: oldTo}), "historical transactions"); err != nil {
			return nil, err
		}
	}
	if err := addTxs(v.Transactions(ctx, hercle.PageQuery{From: from, To: to}), "transactions"); err != nil {
		return nil, err
	}

	allFrom, allTo := pageRange(since, until)
	seenW := map[string]bool{}
	for w, err := range v.WithdrawalsPaginated(ctx, hercle.PageQuery{From: allFrom, To: allTo}) {
		if err != nil {
			return nil, fmt.Errorf("%w: withdrawals: %w", ErrVenue, err)
		}
		if !in(w.Timestamp.Time) || seenW[w.ID] {
			continue
		}
		seenW[w.ID] = true
		d.withdrawals = append(d.withdrawals, w)
	}

	seenT := map[string]bool{}
	for t, err := range v.Transfers(ctx, hercle.TransferQuery{StartDate: allFrom, EndDate: allTo}) {
		if err != nil {
			return nil, fmt.Errorf("%w: transfers: %w", ErrVenue, err)
		}
		if !in(t.Timestamp.Time) || seenT[t.ID] {
			continue
		}
		seenT[t.ID] = true
		tr := transfer{Transfer: t}
		e, err := bankingEntry(ctx, v, t.ID)
		if err != nil {
			return nil, err
		}
		tr.entry = e
		d.transfers = append(d.transfers, tr)
	}

	// Listings come in time order; sort only if one did not.
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
	return d, nil
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

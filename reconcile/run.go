package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/market"
)

// run is one reconciliation in progress: both sides read, findings
// collected. It is used by one goroutine.
type run struct {
	cfg      Config
	v        Venue
	payments Payments
	flow     heropayments.Flow
	books    *books
	venue    *venueIndex

	now    time.Time // the run's clock
	since  time.Time // start of the venue history compared
	until  time.Time // end of it (now)
	cutoff time.Time // until - grace: records after it may be in flight

	prev     map[string]time.Time // finding key -> first seen, from the last report
	findings []*Finding
	counts   map[Check]map[Outcome]int
	skipped  []string
	lookups  int
	// balanceSeq is the venue balance snapshot compared, 0 if none.
	balanceSeq int64
	// balancesCompared is whether the balances were compared at all.
	balancesCompared bool

	// open holds the Client-Ids of intents whose movement is still open at
	// the venue (its money in the venue's allocated balance).
	open map[string]bool
}

func newRun(cfg Config, now, since time.Time) *run {
	return &run{
		cfg: cfg, now: now, since: since, until: now, cutoff: now.Add(-cfg.Grace),
		prev: map[string]time.Time{}, counts: map[Check]map[Outcome]int{}, open: map[string]bool{},
	}
}

// add records a finding. at is when the event happened at the venue (zero
// when unknown, as for a status change): the finding is pending while at,
// or else its first sighting, is younger than the grace period.
func (r *run) add(f Finding, at time.Time) *Finding {
	f.At = at
	f.FirstSeen = r.now
	if p, ok := r.prev[f.key()]; ok && p.Before(r.now) {
		f.FirstSeen = p
	}
	base := at
	if base.IsZero() {
		base = f.FirstSeen
	}
	f.Pending = r.now.Sub(base) < r.cfg.Grace
	r.findings = append(r.findings, &f)
	return &f
}

func (r *run) count(c Check, o Outcome, n int) {
	if n == 0 {
		return
	}
	m := r.counts[c]
	if m == nil {
		m = map[Outcome]int{}
		r.counts[c] = m
	}
	m[o] += n
}

// within reports whether two amounts of asset agree within its tolerance.
func (r *run) within(a market.Asset, x, y decimal.Decimal) bool {
	if x.Equal(y) {
		return true
	}
	t := r.cfg.tolerance(a)
	return !t.IsZero() && x.Sub(y).Abs().LessThanOrEqual(t)
}

func (r *run) match(c Check, n int) { r.count(c, Matched, n) }
func (r *run) skip(c Check, n int)  { r.count(c, Skipped, n) }

// spendLookup takes one point lookup from the run's budget.
func (r *run) spendLookup() bool {
	if r.lookups >= r.cfg.MaxLookups {
		return false
	}
	r.lookups++
	return true
}

// report settles every finding's Break flag and builds the Report.
func (r *run) report(started, finished time.Time) Report {
	rep := Report{
		Started: started, Finished: finished, Since: r.since, Until: r.until,
		Grace: r.cfg.Grace.String(), DryRun: r.cfg.DryRun, Skipped: r.skipped, BalanceSequence: r.balanceSeq,
		BalancesCompared: r.balancesCompared,
	}
	all := make([]Finding, 0, len(r.findings))
	for _, f := range r.findings {
		f.Break = !f.Pending && f.Outcome.breaks() && !(f.Imported != "" && f.benign)
		switch {
		case f.Break:
			rep.Breaks++
		case f.Pending:
			rep.Pending++
		}
		if f.Imported != "" {
			rep.Imported++
		}
		o := f.Outcome
		if f.Pending {
			o = outcomePending
		}
		r.count(f.Check, o, 1)
		all = append(all, *f)
	}
	sortFindings(all)
	if len(all) > maxFindings {
		rep.Truncated = len(all) - maxFindings
		all = all[:maxFindings]
	}
	rep.Findings = all
	for c, m := range r.counts {
		for o, n := range m {
			rep.Counts = append(rep.Counts, Count{Check: c, Outcome: o, N: n})
		}
	}
	sort.Slice(rep.Counts, func(i, j int) bool {
		a, b := rep.Counts[i], rep.Counts[j]
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Outcome < b.Outcome
	})
	return rep
}

// venueIndex indexes the venue's history by id and Client-Id.
type venueIndex struct {
	data                *venueData
	txs                 map[string]*hercle.Transaction // deposits
	withdrawals         map[string]*hercle.Withdrawal
	withdrawalsByClient map[string][]*hercle.Withdrawal
	transfers           map[string]*transfer
	transfersByClient   map[string][]*transfer
}

func indexVenue(d *venueData) *venueIndex {
	x := &venueIndex{
		data:                d,
		txs:                 make(map[string]*hercle.Transaction, len(d.txs)/2),
		withdrawals:         map[string]*hercle.Withdrawal{},
		withdrawalsByClient: map[string][]*hercle.Withdrawal{},
		transfers:           map[string]*transfer{},
		transfersByClient:   map[string][]*transfer{},
	}
	for i := range d.txs {
		if d.txs[i].Type == hercle.TxDeposit {
			x.txs[d.txs[i].ID] = &d.txs[i]
		}
	}
	for i := range d.withdrawals {
		w := &d.withdrawals[i]
		x.withdrawals[w.ID] = w
		if w.ClientID != "" {
			x.withdrawalsByClient[w.ClientID] = append(x.withdrawalsByClient[w.ClientID], w)
		}
	}
	for i := range d.transfers {
		t := &d.transfers[i]
		x.transfers[t.ID] = t
		if t.ClientID != "" {
			x.transfersByClient[t.ClientID] = append(x.transfersByClient[t.ClientID], t)
		}
	}
	return x
}

// hasDeposit reports whether the venue lists the deposit transaction id.
func (x *venueIndex) hasDeposit(id string) bool { return x.txs[id] != nil }

func (x *venueIndex) hasWithdrawal(id, clientID string) bool {
	return id != "" && x.withdrawals[id] != nil || clientID != "" && len(x.withdrawalsByClient[clientID]) > 0
}

func (x *venueIndex) hasTransfer(id, clientID string) bool {
	return id != "" && x.transfers[id] != nil || clientID != "" && len(x.transfersByClient[clientID]) > 0
}

func isNotFound(err error) bool {
	return errors.Is(err, hercle.ErrNotFound) || errors.Is(err, heropayments.ErrNotFound)
}

// compareVenueSide runs the comparisons that need no webhook: trades and
// transactions against the journal.
func (r *run) compareVenueSide(ctx context.Context) error {
	if err := r.compareTrades(ctx); err != nil {
		return fmt.Errorf("trades: %w", err)
	}
	if err := r.compareTransactions(ctx); err != nil {
		return fmt.Errorf("transactions: %w", err)
	}
	return nil
}

// compareInboxSide runs the comparisons that need the inbox: webhooks
// against REST, withdrawals and transfers (their final webhooks), and
// Heropayments. Balances come last, after the imports.
func (r *run) compareInboxSide(ctx context.Context) error {
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"deposit webhooks", r.compareDepositWebhooks},
		{"withdrawals", r.compareWithdrawals},
		{"transfers", r.compareTransfers},
		{"webhooks", r.compareWebhookObjects},
		{"heropayments", r.compareHeropayments},
	}
	r.compareWebhookDuplicates()
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

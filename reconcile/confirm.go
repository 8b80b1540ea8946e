package reconcile

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Defaults of ConfirmOptions.
const (
	DefaultConfirmEvery    = 5 * time.Second
	DefaultConfirmLookback = 7 * 24 * time.Hour
	// confirmWarnAfter is how long a deposit may wait for the history
	// before the wait is logged (once).
	confirmWarnAfter = 10 * time.Minute
)

// ConfirmLedger is what the Confirmer reads and writes. *ledger.Store
// satisfies it.
type ConfirmLedger interface {
	Balances(ctx context.Context) ([]ledger.Balance, error)
	Entries(ctx context.Context, f ledger.Filter) ([]ledger.Entry, error)
	Entry(ctx context.Context, key string) (ledger.Entry, error)
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, bool, error)
}

// TransactionLister lists the venue's transaction history.
// *hercle.Client satisfies it.
type TransactionLister interface {
	Transactions(ctx context.Context, q hercle.PageQuery) iter.Seq2[hercle.Transaction, error]
}

// ConfirmOptions configure a Confirmer.
type ConfirmOptions struct {
	Ledger ConfirmLedger
	Venue  TransactionLister
	// Every is how often pending deposits are looked for in the history;
	// zero means DefaultConfirmEvery. Lookback bounds how old a pending
	// deposit may be; zero means DefaultConfirmLookback.
	Every, Lookback time.Duration
	// OnConfirmed receives each deposit entry once it is spendable (the
	// daemon relays it to the strategies). It must not block.
	OnConfirmed func(ledger.Entry)
	Clock       clock.Clock // zero: the system clock
	Logger      *slog.Logger
	Registry    prometheus.Registerer
}

// Confirmer makes a deposit that a webhook credited spendable only once
// the venue's history confirms it: the same transaction id, asset and
// amount, listed as a deposit. Until then the money sits in
// venue:hercle:pending, which neither the strategies nor treasury nor
// risk count as available: a webhook alone, however well signed, cannot
// make money to trade with. A deposit the history lists otherwise stays
// pending and is logged for reconciliation.
type Confirmer struct {
	o     ConfirmOptions
	log   *slog.Logger
	clock clock.Clock
	delay prometheus.Histogram

	mu     sync.Mutex      // guards warned
	warned map[string]bool // deposits whose problem was logged
}

// NewConfirmer returns a Confirmer. It does no I/O.
func NewConfirmer(o ConfirmOptions) (*Confirmer, error) {
	if o.Ledger == nil || o.Venue == nil {
		return nil, fmt.Errorf("reconcile: a Confirmer needs a Ledger and a Venue")
	}
	if o.Every <= 0 {
		o.Every = DefaultConfirmEvery
	}
	if o.Lookback <= 0 {
		o.Lookback = DefaultConfirmLookback
	}
	c := &Confirmer{o: o, log: o.Logger, clock: o.Clock, warned: map[string]bool{}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.delay = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "engine_deposit_confirm_seconds",
		Help:    "Time from a deposit's credit (pending, from its webhook) to its confirmation by the venue's history.",
		Buckets: prometheus.ExponentialBuckets(0.5, 2, 14),
	})
	if o.Registry != nil {
		if err := o.Registry.Register(c.delay); err != nil {
			return nil, fmt.Errorf("reconcile: confirmer metrics: %w", err)
		}
	}
	return c, nil
}

// Run confirms pending deposits every Every until ctx ends.
func (c *Confirmer) Run(ctx context.Context) error {
	for {
		if _, err := c.Pass(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("deposit confirmation: pass failed; next pass retries", "err", err)
		}
		t := c.clock.NewTimer(c.o.Every)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
	}
}

// Pass confirms every pending deposit the history lists as credited, and
// reports how many it confirmed.
func (c *Confirmer) Pass(ctx context.Context) (int, error) {
	pending, err := c.pending(ctx)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	now := c.clock.Now()
	from := now
	for _, d := range pending {
		if d.entry.Time.Before(from) {
			from = d.entry.Time
		}
	}
	listed := map[string]hercle.Transaction{}
	for tx, err := range c.o.Venue.Transactions(ctx, hercle.PageQuery{From: from.Add(-time.Hour), To: now.Add(time.Hour)}) {
		if err != nil {
			return 0, fmt.Errorf("list the venue's transactions: %w", err)
		}
		if tx.Type == hercle.TxDeposit {
			listed[tx.ID] = tx
		}
	}
	n := 0
	for _, d := range pending {
		tx, ok := listed[d.txID]
		switch {
		case !ok:
			if now.Sub(d.entry.Time) > confirmWarnAfter {
				c.warnOnce(d.entry.Key, "deposit credited by its webhook is not in the venue's history yet; it stays pending (not spendable)",
					"transaction_id", d.txID, "asset", d.asset, "amount", d.amount.String(), "credited", d.entry.Time)
			}
		case market.Asset(strings.ToUpper(tx.Asset)) != d.asset || !tx.Amount.Decimal.Equal(d.amount):
			c.warnOnce(d.entry.Key, "deposit: the venue's history lists another asset or amount than its webhook; it stays pending, needs reconciliation",
				"transaction_id", d.txID, "webhook", d.amount.String()+" "+string(d.asset), "history", tx.Amount.Decimal.String()+" "+tx.Asset)
		default:
			if err := c.confirm(ctx, d, now); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// pendingDeposit is a deposit credited as pending and not yet confirmed.
type pendingDeposit struct {
	entry  ledger.Entry
	txID   string
	asset  market.Asset
	amount decimal.Decimal
}

// pending lists the deposits waiting for confirmation, oldest first.
func (c *Confirmer) pending(ctx context.Context) ([]pendingDeposit, error) {
	bs, err := c.o.Ledger.Balances(ctx)
	if err != nil {
		return nil, err
	}
	held := false
	for _, b := range bs {
		held = held || b.Account == ledger.VenuePending(ledger.Hercle)
	}
	if !held {
		return nil, nil
	}
	es, err := c.o.Ledger.Entries(ctx, ledger.Filter{Kind: ledger.KindDeposit, Account: ledger.VenuePending(ledger.Hercle).String(),
		From: c.clock.Now().Add(-c.o.Lookback)})
	if err != nil {
		return nil, err
	}
	var out []pendingDeposit
	for _, e := range es {
		if _, err := c.o.Ledger.Entry(ctx, ledger.ConfirmedKey(e.Key)); err == nil {
			continue
		}
		for _, p := range e.Postings {
			if p.Account == ledger.VenuePending(ledger.Hercle) && p.Amount.IsPositive() {
				out = append(out, pendingDeposit{entry: e, txID: e.Refs["transaction_id"], asset: p.Asset, amount: p.Amount})
			}
		}
	}
	return out, nil
}

// confirm moves a deposit from pending to available.
func (c *Confirmer) confirm(ctx context.Context, d pendingDeposit, now time.Time) error {
	e, ok := ledger.DepositConfirmation(d.entry, now, "listed in the venue's history: spendable")
	if !ok {
		return nil
	}
	if _, created, err := c.o.Ledger.Post(ctx, e); err != nil {
		return fmt.Errorf("confirm deposit %s: %w", d.txID, err)
	} else if !created {
		return nil
	}
	c.delay.Observe(now.Sub(d.entry.Recorded).Seconds())
	c.log.Info("deposit confirmed by the venue's history: spendable", "transaction_id", d.txID, "asset", d.asset, "amount", d.amount.String())
	if c.o.OnConfirmed != nil {
		c.o.OnConfirmed(d.entry)
	}
	return nil
}

func (c *Confirmer) warnOnce(key, msg string, attrs ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.warned[key] {
		return
	}
	c.warned[key] = true
	c.log.Warn(msg, attrs...)
}

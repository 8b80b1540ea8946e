package inbound

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
)

// RelayLedger is what a Relay marks deposits in. *ledger.Store satisfies
// it.
type RelayLedger interface {
	AddCounter(ctx context.Context, k ledger.CounterKey, opID string, delta decimal.Decimal) (decimal.Decimal, bool, error)
}

// Relay hands credited deposits to the strategies (the event loop) without
// blocking whoever credited them (the processor, treasury,
// reconciliation), once per journal entry, across restarts too: a webhook
// re-applied after a crash (between crediting the deposit and marking the
// event processed) reports its deposit again, and a strategy that converts
// deposits would convert it twice. Before a deposit is handed on it is
// marked in the ledger (a counter of relayed deposits per day, with the
// entry key as its op id); one already marked is dropped. A crash between
// the mark and the hand-over loses the notification instead: the deposit
// stays credited, unconverted. The balance itself reaches the loop from
// the ledger, whatever happens here.
//
// Build it with NewRelay, call Push (it is an Options.OnDeposit) from any
// goroutine, and Run it. It is safe for concurrent use.
type Relay struct {
	log   *slog.Logger
	ch    chan Deposit
	store RelayLedger
	clock clock.Clock

	mu   sync.Mutex      // guards seen
	seen map[string]bool // journal entry keys already queued by this process
}

// relayBacklog bounds the deposits queued for the loop.
const relayBacklog = 4096

// NewRelay returns a relay marking deposits in store; clk stamps a deposit
// without a time.
func NewRelay(store RelayLedger, clk clock.Clock, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{log: log, store: store, clock: clk, ch: make(chan Deposit, relayBacklog), seen: map[string]bool{}}
}

// relayedKey counts the deposits of t's UTC day handed to strategies.
func relayedKey(t time.Time) ledger.CounterKey {
	return ledger.CounterKey{Metric: "deposits_relayed", Day: t.UTC().Format(time.DateOnly), Scope: "strategies"}
}

// Push queues a credited deposit. It never blocks: with the queue full
// the deposit is not shown to the strategies (it is logged).
func (r *Relay) Push(dep Deposit) {
	r.mu.Lock()
	dup := r.seen[dep.EntryKey]
	r.seen[dep.EntryKey] = true
	r.mu.Unlock()
	if dup {
		return
	}
	select {
	case r.ch <- dep:
	default:
		r.log.Error("deposit relay full; deposit not shown to strategies", "entry", dep.EntryKey)
	}
}

// PushEntry relays a deposit entry once it is spendable: imported by
// reconciliation from the venue's history (its webhook never came), or
// credited by a webhook and since confirmed by the history.
func (r *Relay) PushEntry(e ledger.Entry) {
	if e.Kind != ledger.KindDeposit {
		return
	}
	for _, p := range e.Postings {
		if (p.Account == ledger.VenueAvailable(ledger.Hercle) || p.Account == ledger.VenuePending(ledger.Hercle)) && p.Amount.IsPositive() {
			r.Push(Deposit{EventID: "reconcile", TransactionID: e.Key, Venue: ledger.Hercle,
				Asset: p.Asset, Amount: p.Amount, EntryKey: e.Key, Time: e.Time})
		}
	}
}

// Run hands queued deposits to deliver until ctx ends, each once.
func (r *Relay) Run(ctx context.Context, deliver func(context.Context, Deposit)) {
	for {
		select {
		case <-ctx.Done():
			return
		case dep := <-r.ch:
			at := dep.Time
			if at.IsZero() {
				at = r.clock.Now()
			}
			_, first, err := r.store.AddCounter(ctx, relayedKey(at), dep.EntryKey, decimal.NewFromInt(1))
			switch {
			case err != nil:
				r.log.Error("deposit not shown to strategies: could not record it as relayed", "entry", dep.EntryKey, "err", err)
				continue
			case !first:
				r.log.Info("deposit already shown to strategies before a restart; not again", "entry", dep.EntryKey)
				continue
			}
			r.log.Info("deposit credited", "asset", dep.Asset, "amount", dep.Amount, "entry", dep.EntryKey)
			deliver(ctx, dep)
		}
	}
}

package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/reconcile"
)

// startInbound starts the webhook processor and the relay of credited
// deposits to the strategies.
func (r *run) startInbound(context.Context) error {
	r.g.start("inbound", r.proc.Run)
	r.g.start("deposit relay", func(ctx context.Context) error {
		r.relay.Run(ctx, r.deposit)
		return nil
	})
	return nil
}

// recoverInbox waits until the webhooks stored before a crash are applied:
// a status webhook may already settle what recovery would look up.
func (r *run) recoverInbox(ctx context.Context) error {
	if err := r.proc.Sync(ctx); err != nil {
		return fmt.Errorf("apply stored webhooks: %w", err)
	}
	return nil
}

// recoverOrders resolves every unfinished order and RFQ intent before
// trading starts: each is looked up at the venue by Client-Id, nothing is
// re-sent. An outcome the venue cannot tell yet (the order still open) is
// waited for with backoff: trading on a portfolio with an unknown trade in
// it is how duplicates happen. A venue that cannot be asked fails the
// start-up instead of holding it: the supervisor starts again later.
func (r *run) recoverOrders(ctx context.Context) error {
	d := r.d
	backoff := 250 * time.Millisecond // then 0.5 s, 1 s, …: a takeover waits on this
	for attempt := 1; ; attempt++ {
		results, err := r.eng.Exec.Recover(ctx)
		if err != nil {
			return err
		}
		unresolved := 0
		var unreachable error
		for _, res := range results {
			d.m.recovered.WithLabelValues(res.Status.String()).Inc()
			if res.Status == execution.Unresolved {
				unresolved++
				if res.Err != nil && unreachable == nil {
					unreachable = fmt.Errorf("intent %s: %w", res.Intent.ID, res.Err)
				}
			}
		}
		if len(results) > 0 {
			d.log.Info("recovery", "attempt", attempt, "intents", len(results), "unresolved", unresolved)
		}
		switch {
		case unresolved == 0:
			return nil
		case unreachable != nil:
			return fmt.Errorf("recovery: the venue could not be asked about %d unfinished intent(s); nothing was sent: %w", unresolved, unreachable)
		}
		d.log.Warn("intents still open at the venue; trading waits until they resolve", "unresolved", unresolved, "retry_in", backoff)
		if err := d.o.Clock.Sleep(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// recoverBalances reads the venues' balances. Into a ledger with no
// history of a venue it posts them as opening balances, so the books start
// equal to the venue; afterwards reconciliation owns any difference. The
// loop's balances are the ledger's.
func (r *run) recoverBalances(ctx context.Context) error {
	d := r.d
	b, err := r.rest.Balances(ctx)
	if err != nil {
		return fmt.Errorf("read balances: %w", err)
	}
	o := reconcile.Opening{Venue: ledger.Hercle, Available: map[market.Asset]decimal.Decimal{}, Allocated: map[market.Asset]decimal.Decimal{},
		Refs: map[string]string{"sequence": fmt.Sprint(b.Sequence)}}
	for _, a := range b.Assets {
		o.Available[market.Asset(a.Name)] = a.Available.Decimal
		o.Allocated[market.Asset(a.Name)] = a.Allocated.Decimal
		d.m.balance.WithLabelValues(a.Name).Set(a.Available.Decimal.Add(a.Allocated.Decimal).InexactFloat64())
	}
	if posted, err := reconcile.PostOpening(ctx, r.store, o); err != nil {
		return err
	} else if posted {
		d.log.Info("opening balances posted to the new ledger", "venue", ledger.Hercle, "assets", len(b.Assets), "sequence", b.Sequence)
	}
	if r.hp.client == nil {
		return nil
	}
	hb, err := r.hp.client.Balance(ctx, heropayments.Flow(d.cfg.Heropayments.Flow))
	if err != nil {
		return fmt.Errorf("read the Heropayments balance: %w", err)
	}
	o = reconcile.Opening{Venue: ledger.Heropayments, Available: map[market.Asset]decimal.Decimal{market.Asset(hb.Currency): hb.Amount.Decimal}}
	if posted, err := reconcile.PostOpening(ctx, r.store, o); err != nil {
		return err
	} else if posted {
		d.log.Info("opening balances posted to the new ledger", "venue", ledger.Heropayments, "asset", hb.Currency, "amount", hb.Amount.Decimal)
	}
	return nil
}

// recoverTreasury resolves the treasury movements the last run left
// unfinished (by lookup, never by sending) and loads the loop: its
// balances from the ledger, the strategies' state from their fills.
func (r *run) recoverTreasury(ctx context.Context) error {
	if err := r.tr.Recover(ctx); err != nil {
		return fmt.Errorf("treasury recovery: %w", err)
	}
	if r.customers != nil {
		if err := r.customers.Recover(ctx); err != nil {
			return fmt.Errorf("customer payouts recovery: %w", err)
		}
	}
	return r.eng.Loop.Load(ctx)
}

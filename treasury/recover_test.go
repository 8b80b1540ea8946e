package treasury_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/treasury"
)

// crashingLedger is the real ledger until the transit entry of a movement
// is posted; then every write fails, as if the process died there.
type crashingLedger struct {
	treasury.Ledger
	dead bool
}

var errCrashed = errors.New("simulated crash")

func (c *crashingLedger) Post(ctx context.Context, e ledger.Entry) (ledger.Entry, bool, error) {
	if c.dead {
		return ledger.Entry{}, false, errCrashed
	}
	out, created, err := c.Ledger.Post(ctx, e)
	c.dead = c.dead || strings.HasSuffix(e.Key, ":sent")
	return out, created, err
}

func (c *crashingLedger) Transition(ctx context.Context, id string, to ledger.IntentState, d ledger.Detail) (ledger.Intent, error) {
	if c.dead {
		return ledger.Intent{}, errCrashed
	}
	return c.Ledger.Transition(ctx, id, to, d)
}

func (c *crashingLedger) AddCounter(ctx context.Context, k ledger.CounterKey, op string, v decimal.Decimal) (decimal.Decimal, bool, error) {
	if c.dead {
		return v, false, errCrashed
	}
	return c.Ledger.AddCounter(ctx, k, op, v)
}

func TestRecoverFailsAMovementRecordedButNeverSent(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{wrap: func(l treasury.Ledger) treasury.Ledger { return &crashingLedger{Ledger: l} }})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	res, err := r.sweep("btc-cold")
	if err == nil {
		t.Fatalf("Sweep with a dying ledger = %+v, want an error", res)
	}
	cid := res.ClientID
	if len(r.wire.sent()) != 0 {
		t.Fatalf("a request went out although the intent never became submitted")
	}
	if in := r.intent(cid); in.State != ledger.StatePending {
		t.Fatalf("intent %s after the crash, want pending", in.State)
	}
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.Equal(d("4")) {
		t.Fatalf("reserved %s before the crash, want 4", c)
	}
	r.opts.wrap = nil
	r.restart()
	if in := r.intent(cid); in.State != ledger.StateFailed {
		t.Errorf("intent after Recover %s, want failed (never sent)", in.State)
	}
	if b := r.balance(ledger.Transit(ledger.TransitWithdrawal, cid), "BTC"); !b.IsZero() {
		t.Errorf("in transit %s after Recover, want 0", b)
	}
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.IsZero() {
		t.Errorf("daily total after Recover %s, want 0", c)
	}
	if len(r.withdrawals()) != 0 {
		t.Errorf("Recover sent something")
	}
	r.verify()
}

// unknownRefused is the ledger with the move to unknown failing once: the
// process died right after sending, leaving the intent submitted.
type unknownRefused struct {
	treasury.Ledger
	done bool
}

func (u *unknownRefused) Transition(ctx context.Context, id string, to ledger.IntentState, d ledger.Detail) (ledger.Intent, error) {
	if to == ledger.StateUnknown && !u.done {
		u.done = true
		return ledger.Intent{}, errCrashed
	}
	return u.Ledger.Transition(ctx, id, to, d)
}

func TestRecoverLooksUpAMovementSentBeforeACrash(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{wrap: func(l treasury.Ledger) treasury.Ledger { return &unknownRefused{Ledger: l} }})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	r.wire.inject(faultAfterApply)
	res, _ := r.sweep("btc-cold")
	cid := res.ClientID
	if in := r.intent(cid); in.State != ledger.StateSubmitted {
		t.Fatalf("intent %s after the crash, want submitted", in.State)
	}
	r.opts.wrap = nil
	r.clock.Advance(61 * time.Second)
	r.restart()
	if in := r.intent(cid); in.State != ledger.StateSucceeded {
		t.Fatalf("intent after Recover %s, want succeeded from the venue's CONFIRMED", in.State)
	}
	if n := r.venue.Executions(cid); n != 1 || len(r.wire.sent()) != 1 {
		t.Errorf("venue executed %d times, %d requests; want 1 and 1", n, len(r.wire.sent()))
	}
	r.verify()
}

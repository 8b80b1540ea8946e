package treasury_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
)

var errCrashed = errors.New("simulated crash")

// A movement recorded (intent submitted, transit posted, caps reserved)
// whose request never left is looked up after a restart; once the lookups
// find no record it failed: transit reversed, caps released, nothing sent.
func TestRecoverFailsAMovementRecordedButNeverSent(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	// The engine recorded the movement (one write: intent, transit, caps)
	// and died before the request.
	cid := "died-before-sending"
	day := monday.Format(time.DateOnly)
	m := execution.Movement{ID: cid, Origin: execution.OriginTreasury, Policy: "btc-cold", Method: execution.MethodWithdrawal,
		Destination: "cold", Account: coldAccount.String(), Source: ledger.Hercle, Asset: "BTC", Amount: d("4"), Day: day,
		Address: coldAddress, Network: "Bitcoin",
		Caps: []ledger.CounterKey{{Metric: "withdrawn", Day: day, Scope: coldAccount.String()}, {Metric: "withdrawn_total", Day: day, Scope: "BTC"}}}
	body, _ := json.Marshal(m)
	sub := ledger.Submission{Intent: ledger.Intent{ClientID: cid, Kind: ledger.IntentWithdrawal, Venue: ledger.Hercle, Request: body},
		Entries: []ledger.Entry{m.SentEntry()}}
	for _, k := range m.Caps {
		sub.Counters = append(sub.Counters, ledger.CounterAdd{Key: k, OpID: cid, Delta: m.Amount})
	}
	if _, _, err := r.store.Submit(r.ctx, sub); err != nil {
		t.Fatal(err)
	}
	r.restart() // the first lookup
	for i := 1; i < r.cfg.LookupsOr(); i++ {
		r.clock.Advance(11 * time.Minute) // past poll_after
		r.poll()
	}
	if in := r.intent(cid); in.State != ledger.StateFailed {
		t.Errorf("intent after the lookups %s, want failed (never sent)", in.State)
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

// unknownRefused is the ledger under execution with the move to unknown
// failing once: the process died right after sending, leaving the intent
// submitted.
type unknownRefused struct {
	execution.Store
	done bool
}

func (u *unknownRefused) Transition(ctx context.Context, id string, to ledger.IntentState, d ledger.Detail) (ledger.Intent, error) {
	if to == ledger.StateUnknown && !u.done {
		u.done = true
		return ledger.Intent{}, errCrashed
	}
	return u.Store.Transition(ctx, id, to, d)
}

func TestRecoverLooksUpAMovementSentBeforeACrash(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{wrap: func(s execution.Store) execution.Store { return &unknownRefused{Store: s} }})
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

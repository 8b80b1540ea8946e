package execution

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
)

// ErrNotOpen: the intent is already final; there is nothing to resolve.
var ErrNotOpen = errors.New("execution: the intent is already final")

// Evidence is what an operator resolving an intent by hand has learnt of
// it outside the engine (the venue's screens, its support), recorded with
// the outcome.
type Evidence struct {
	// Outcome is ledger.StateSucceeded or ledger.StateFailed.
	Outcome ledger.IntentState
	// Note says what the evidence is; required.
	Note string
	// TradeID, Size and Amount are an order's or RFQ's fill, required
	// when it succeeded: the venue's trade id, the base size and the
	// quote amount.
	TradeID      string
	Size, Amount decimal.Decimal
	// Fee is what the venue kept of a movement that succeeded (zero: none);
	// VenueRef its id at the venue, if known.
	Fee      decimal.Decimal
	VenueRef string
}

func (ev Evidence) validate(it ledger.Intent, isMove bool) error {
	switch {
	case ev.Note == "":
		return errors.New("evidence: say what shows the outcome (a note is required)")
	case ev.Outcome != ledger.StateSucceeded && ev.Outcome != ledger.StateFailed:
		return fmt.Errorf("outcome %q: want succeeded or failed", ev.Outcome)
	case ev.Outcome == ledger.StateFailed || isMove:
		if ev.Fee.IsNegative() {
			return errors.New("fee: must not be negative")
		}
		return nil
	case ev.TradeID == "" || !ev.Size.IsPositive() || !ev.Amount.IsPositive():
		return fmt.Errorf("intent %s filled: give the venue's trade id, the size and the amount", it.ClientID)
	}
	return nil
}

// ResolveByHand records the outcome an operator established for an
// unfinished intent, with the evidence, in one ledger write, as the
// protocol would from a lookup: an order's fill entry, a movement's
// settled entry or its money back from transit and its caps released.
// Nothing is sent or looked up. who names the operator. It returns
// ErrNotOpen for a final intent, ledger.ErrNotFound for an unknown one,
// and a plain error for evidence that does not fit the intent; nothing
// is written then.
func (x *Executor) ResolveByHand(ctx context.Context, clientID, who string, ev Evidence) (ledger.Intent, error) {
	it, err := x.o.Store.Intent(ctx, clientID)
	if err != nil {
		return ledger.Intent{}, err
	}
	if it.State.Final() {
		return it, fmt.Errorf("%w: %s is %s", ErrNotOpen, clientID, it.State)
	}
	m, isMove := MovementOf(it)
	if err := ev.validate(it, isMove); err != nil {
		return it, err
	}
	var o op
	if isMove {
		o = x.opFor(m)
	} else {
		in, err := IntentOf(it)
		if err != nil {
			return it, err
		}
		o = order{x: x, in: in, pair: x.pairOf(in.Pair)}
	}
	note := clip("resolved by hand by " + who + ": " + ev.Note)
	p := protocol{x}
	var out outcome
	switch {
	case ev.Outcome == ledger.StateFailed:
		out = p.fail(ctx, it, o, note)
	case isMove:
		refs := map[string]string{"resolved_by": who}
		out = p.finish(ctx, it, answer{verdict: done, ref: ev.VenueRef, detail: note,
			entries: []ledger.Entry{m.SettledEntry(m.Amount, ev.Fee, refs)}})
	default:
		ans, err := o.(order).filled(clientID, fill{tradeID: ev.TradeID, size: ev.Size, amount: ev.Amount,
			at: hercle.Time{Time: x.clock.Now()}})
		if err != nil {
			return it, err
		}
		ans.detail = note
		out = p.finish(ctx, it, ans)
	}
	if out.stage != stageDone && out.stage != stageFailed {
		return it, fmt.Errorf("record the outcome of %s: %s", clientID, out.detail)
	}
	x.log.Warn("intent resolved by hand", "client_id", clientID, "outcome", ev.Outcome, "by", who)
	return x.o.Store.Intent(context.WithoutCancel(ctx), clientID)
}

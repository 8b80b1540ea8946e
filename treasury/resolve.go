package treasury

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/treasury/policy"
)

// open is a treasury movement not yet final.
type open struct {
	in ledger.Intent
	m  execution.Movement
}

// open returns the unresolved treasury movements, oldest first.
func (t *Treasury) open(ctx context.Context) ([]open, error) {
	all, err := t.d.Ledger.Unfinished(ctx)
	if err != nil {
		return nil, fmt.Errorf("list unresolved intents: %w", err)
	}
	var out []open
	for _, in := range all {
		if m, ok := execution.MovementOf(in); ok && m.Origin == execution.OriginTreasury {
			out = append(out, open{in, m})
		}
	}
	slices.SortFunc(out, func(a, b open) int {
		if c := a.in.Created.Compare(b.in.Created); c != 0 {
			return c
		}
		return strings.Compare(a.in.ClientID, b.in.ClientID)
	})
	return out, nil
}

// follow looks the movement up at the venue (execution's Follow: by
// Client-Id, applying what it finds, never sending) and keeps treasury's
// own account of it: a settlement Heropayments reports sent waits for its
// Hercle deposit; a failed movement's caps are released.
func (t *Treasury) follow(ctx context.Context, o open) error {
	r, err := t.d.Follow.Follow(ctx, o.in)
	if err != nil {
		return fmt.Errorf("look up %s: %w", o.in.ClientID, err)
	}
	cid, m := o.in.ClientID, o.m
	switch r.Status {
	case execution.Settled:
		t.log.Info("treasury: settled", "client_id", cid, "policy", m.Policy, "destination", m.Destination, "venue_ref", r.VenueRef)
		t.done(m, "succeeded")
	case execution.Failed:
		t.log.Warn("treasury: movement failed; transit reversed, caps released", "client_id", cid, "policy", m.Policy, "detail", r.Detail)
		if err := t.release(ctx, m); err != nil {
			return err
		}
		t.done(m, "failed")
	case execution.Sent:
		if r.Landed {
			return t.landedAt(ctx, o, r.VenueRef)
		}
	case execution.Unresolved:
		if r.Err != nil {
			return fmt.Errorf("look up %s by Client-Id: %w", cid, r.Err)
		}
	}
	return nil
}

// done forgets a movement that reached its end.
func (t *Treasury) done(m execution.Movement, outcome string) {
	t.m.resolved.WithLabelValues(string(m.Method), outcome).Inc()
	delete(t.tracked, m.ID)
	delete(t.landed, m.ID)
}

// has reports whether the journal holds an entry under key.
func (t *Treasury) has(ctx context.Context, key string) (bool, error) {
	_, err := t.d.Ledger.Entry(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ledger.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("entry %s: %w", key, err)
}

// conflict logs, once per movement, a venue status that contradicts what
// the ledger already holds. Reconciliation decides; nothing is applied.
func (t *Treasury) conflict(cid string, m execution.Movement, why string) {
	if t.conflicts[cid] {
		return
	}
	t.conflicts[cid] = true
	t.m.resolved.WithLabelValues(string(m.Method), "conflict").Inc()
	t.log.Error("treasury: venue status contradicts the ledger; not applied, needs reconciliation", "client_id", cid,
		"policy", m.Policy, "destination", m.Destination, "detail", why)
}

// outcomeOf is succeeded or failed for a final intent, else "".
func outcomeOf(in ledger.Intent) ledger.IntentState {
	switch in.State {
	case ledger.StateSucceeded, ledger.StateFailed:
		return in.State
	case ledger.StateResolved:
		return in.Outcome
	}
	return ""
}

// Poll resolves what webhooks have not: every movement unresolved after
// PollAfter (and every unknown one, and every settlement) is looked up by
// Client-Id and settled or failed from what the venue says; a settlement
// Heropayments has sent is matched with its Hercle deposit; the caps of
// movements that failed are released. It runs on the "treasury:poll" job.
func (t *Treasury) Poll(ctx context.Context) error {
	if t.d.Follow == nil {
		return fmt.Errorf("%w: Follow (this treasury only plans)", ErrMissingDependency)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.poll(ctx, false)
}

// Recover resolves the treasury movements a previous run left unfinished,
// before anything new is sent: each is looked up by Client-Id and settled,
// failed, or followed (one an older engine left pending was never sent
// and fails). It also releases the caps of today's movements that failed
// while the engine was down. Call it once at start-up, after the webhook
// processor has applied what it stored (inbound.Processor.Sync). An error
// (the venue unreachable, say) is returned; the books stay consistent and
// nothing is sent for a movement not yet resolved.
func (t *Treasury) Recover(ctx context.Context) error {
	if t.d.Follow == nil {
		return fmt.Errorf("%w: Follow (this treasury only plans)", ErrMissingDependency)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	today := utcDay(t.clock.Now())
	for _, st := range []ledger.IntentState{ledger.StateFailed, ledger.StateResolved} {
		ins, err := t.d.Ledger.Intents(ctx, st)
		if err != nil {
			return fmt.Errorf("treasury: recover: list %s intents: %w", st, err)
		}
		for _, in := range ins {
			if m, ok := execution.MovementOf(in); ok && m.Origin == execution.OriginTreasury && m.Day == today && outcomeOf(in) == ledger.StateFailed {
				errs = append(errs, t.release(ctx, m))
			}
		}
	}
	errs = append(errs, t.poll(ctx, true))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("treasury: recover: %w", err)
	}
	return nil
}

// poll is Poll with t.mu held; recovering looks every movement up at once.
func (t *Treasury) poll(ctx context.Context, recovering bool) error {
	opens, err := t.open(ctx)
	if err != nil {
		return fmt.Errorf("treasury: poll: %w", err)
	}
	now := t.clock.Now()
	after := t.cfg.PollAfter.Or(policy.DefaultPollAfter)
	var errs []error
	seen := make(map[string]bool, len(opens))
	for _, o := range opens {
		seen[o.in.ClientID] = true
		t.tracked[o.in.ClientID] = o.m
		if _, waiting := t.landed[o.in.ClientID]; waiting {
			continue
		}
		if recovering || o.in.State != ledger.StateSubmitted || o.m.Method == execution.MethodSettlement || now.Sub(o.in.Created) >= after {
			errs = append(errs, t.follow(ctx, o))
		}
	}
	errs = append(errs, t.finished(ctx, seen), t.matchDeposits(ctx, now))
	t.m.open.Set(float64(len(t.tracked)))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("treasury: poll: %w", err)
	}
	return nil
}

// finished accounts for tracked movements that became final elsewhere
// (package inbound, from a webhook): a failed one's caps are released.
func (t *Treasury) finished(ctx context.Context, seen map[string]bool) error {
	var errs []error
	for cid, m := range t.tracked {
		if seen[cid] {
			continue
		}
		in, err := t.d.Ledger.Intent(ctx, cid)
		if err != nil {
			errs = append(errs, fmt.Errorf("intent %s: %w", cid, err))
			continue
		}
		switch outcomeOf(in) {
		case ledger.StateFailed:
			if err := t.release(ctx, m); err != nil {
				errs = append(errs, err)
				continue
			}
			t.done(m, "failed")
		case ledger.StateSucceeded:
			t.done(m, "succeeded")
		default:
			delete(t.tracked, cid)
		}
	}
	return errors.Join(errs...)
}

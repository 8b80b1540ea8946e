package treasury

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/treasury/policy"
)

// Outcome is how a policy run ended.
type Outcome string

// Outcomes of Sweep and Plan.
const (
	OutcomeNone      Outcome = "none"      // the balance is within range, or the excess is below min_sweep
	OutcomeAlert     Outcome = "alert"     // below min, alert only
	OutcomePlanned   Outcome = "planned"   // Plan only: this would be done now
	OutcomeDryRun    Outcome = "dry_run"   // logged, nothing sent
	OutcomeSent      Outcome = "sent"      // the request was accepted (or found by Client-Id)
	OutcomeConverted Outcome = "converted" // the conversion filled
	OutcomeIssued    Outcome = "issued"    // a Lightning invoice was issued for a pull
	OutcomeSkipped   Outcome = "skipped"   // a movement to the destination is unresolved
	OutcomeRefused   Outcome = "refused"   // a safety check refused it; nothing sent
	OutcomeFailed    Outcome = "failed"    // the venue or execution refused it; nothing moved
	OutcomeUnknown   Outcome = "unknown"   // sent, outcome unknown; looked up on every poll
)

// Actions a policy decides on.
const (
	ActionNone    = "none"
	ActionSend    = "send"
	ActionConvert = "convert"
	ActionAlert   = "alert"
	ActionPull    = "pull"
)

// Result is what one policy run did, or (Plan) would do.
type Result struct {
	Policy      string
	Action      string
	Outcome     Outcome
	Asset       market.Asset
	Available   decimal.Decimal // the balance the decision read
	Amount      decimal.Decimal // moved, or to move
	Destination string          // configured destination name, or the pair of a conversion
	ClientID    string          // of the movement, once recorded
	Reason      string
	// Chained are the runs of the policies named by then, after this one
	// moved money.
	Chained []Result
}

// Defaults of New.
const (
	// depositBacklog bounds the deposits OnDeposit keeps for matching.
	depositBacklog = 1024
	// matchSlack allows for clocks: a deposit may be stamped this much
	// before the movement that caused it was recorded.
	matchSlack = 5 * time.Minute
)

// Treasury runs the policies. Build it with New, recover with Recover,
// schedule with Register; it is safe for concurrent use.
type Treasury struct {
	cfg   policy.Config
	d     Deps
	log   *slog.Logger
	clock clock.Clock
	m     *metrics
	// settles is whether a policy can put a settlement in transit, so
	// deposits are worth keeping for matching.
	settles bool

	mu        sync.Mutex                    // serialises runs, polls and recovery; guards the fields below
	bank      map[string]bankIDs            // resolved payee and internal address ids, by destination
	deposit   map[string]string             // resolved Hercle deposit address, by destination
	tracked   map[string]execution.Movement // movements seen unresolved, by Client-Id
	landed    map[string]landing            // settlements Heropayments has sent, awaiting the Hercle deposit
	conflicts map[string]bool               // Client-Ids whose conflict was logged

	refusedMu sync.Mutex        // guards refused
	refused   map[string]string // the refusal last logged, by policy

	depMu    sync.Mutex        // guards deposits
	deposits []inbound.Deposit // credited Hercle deposits not yet matched
}

type bankIDs struct{ payeeID, payeeAddressID, internalID string }

// New validates cfg and deps and returns a Treasury. It does no I/O.
func New(cfg policy.Config, deps Deps) (*Treasury, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Ledger == nil || deps.Hercle == nil {
		return nil, fmt.Errorf("%w: Ledger and Hercle are required", ErrMissingDependency)
	}
	if err := checkDeps(cfg, deps); err != nil {
		return nil, err
	}
	m, err := newMetrics(deps.Metrics)
	if err != nil {
		return nil, err
	}
	t := &Treasury{
		cfg: cfg, d: deps, log: deps.Logger, clock: deps.Clock, m: m,
		bank: map[string]bankIDs{}, deposit: map[string]string{},
		tracked: map[string]execution.Movement{}, landed: map[string]landing{}, conflicts: map[string]bool{},
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	for _, p := range cfg.Policies {
		t.settles = t.settles || p.Kind == policy.KindSettlement
	}
	return t, nil
}

// checkDeps reports every dependency the configuration uses and deps
// lack. A Treasury without a Loop only plans: what only sending needs is
// not asked of it.
func checkDeps(cfg policy.Config, d Deps) error {
	var errs []error
	missing := func(what, why string) {
		errs = append(errs, fmt.Errorf("%w: %s (needed by %s)", ErrMissingDependency, what, why))
	}
	sends := d.Loop != nil
	if sends && d.Follow == nil {
		missing("Follow", "the movements the loop sends")
	}
	for _, n := range cfg.PolicyNames() {
		p := cfg.Policies[n]
		if p.Kind == policy.KindSettlement && d.Heropayments == nil {
			missing("Heropayments", "settlement policy "+n)
		}
		if p.Pull != nil && p.BelowMin == policy.BelowMinPull && p.Pull.From == policy.PullHeropayments && d.Heropayments == nil {
			missing("Heropayments", "the pull of policy "+n)
		}
		if p.Kind != policy.KindSweep {
			continue
		}
		switch cfg.Destinations[p.Destination].Type {
		case policy.TypeBank:
			if d.Payees == nil {
				missing("Payees", "bank destination "+p.Destination)
			}
		case policy.TypeLightning:
			if sends && d.Invoices == nil {
				missing("Invoices", "Lightning destination "+p.Destination)
			}
		}
	}
	return errors.Join(errs...)
}

// Register schedules one job per policy ("treasury:<name>", on its
// schedule, deferred or skipped inside maintenance windows as in_window
// says) and the poll ("treasury:poll", every poll_every, skipped inside
// windows). Call Recover first.
func (t *Treasury) Register(s *scheduler.Scheduler) error {
	for _, name := range t.cfg.PolicyNames() {
		err := s.Add(scheduler.Job{
			Name:     "treasury:" + name,
			Spec:     t.cfg.Policies[name].Schedule,
			InWindow: t.cfg.Window(),
			Run: func(ctx context.Context, _ time.Time) error {
				res, err := t.Sweep(ctx, name)
				if err != nil && ctx.Err() != nil {
					return err // shutdown: nothing refused, the scheduler says so
				}
				if res.Outcome == OutcomeRefused && err != nil {
					// Waiting for the desk (an approval, a whitelist
					// entry): said once per reason, not every run; the
					// runs are counted in engine_treasury_runs_total.
					t.noteRefused(name, err)
					return nil
				}
				t.noteRefused(name, nil)
				return err
			},
		})
		if err != nil {
			return fmt.Errorf("treasury: schedule policy %s: %w", name, err)
		}
	}
	every := t.cfg.PollEvery.Or(policy.DefaultPollEvery)
	err := s.Add(scheduler.Job{
		Name:     "treasury:poll",
		Spec:     "@every " + every.String(),
		InWindow: scheduler.Skip,
		Run:      func(ctx context.Context, _ time.Time) error { return t.Poll(ctx) },
	})
	if err != nil {
		return fmt.Errorf("treasury: schedule poll: %w", err)
	}
	return nil
}

// noteRefused logs a scheduled run's refusal when it differs from the
// policy's last one, and that the refusals stopped when err is nil.
func (t *Treasury) noteRefused(name string, err error) {
	t.refusedMu.Lock()
	defer t.refusedMu.Unlock()
	last, was := t.refused[name]
	switch {
	case err == nil && was:
		delete(t.refused, name)
		t.log.Info("treasury: policy no longer refused", "policy", name)
	case err != nil && last != err.Error():
		if t.refused == nil {
			t.refused = map[string]string{}
		}
		t.refused[name] = err.Error()
		if errors.Is(err, ErrNotApproved) {
			// Waiting for the venue to approve an address or payee is a
			// step of the desk's, not a fault: registering it was logged.
			t.log.Info("treasury: policy waits for the venue's approval of its destination; nothing sent until then", "policy", name, "err", err)
			return
		}
		t.log.Warn("treasury: policy refused; nothing sent until this changes (repeats are not logged)", "policy", name, "err", err)
	}
}

// Sweep runs the named policy now, and the policies it chains to after it
// moved money. It returns the result and, for a refusal, a failure or an
// unresolved outcome, an error wrapping ErrNotAllowlisted, ErrNotApproved,
// ErrCapReached, ErrMaintenance, ErrRejected or ErrUnresolved that says
// what to do next.
func (t *Treasury) Sweep(ctx context.Context, name string) (Result, error) {
	if t.d.Loop == nil {
		return Result{Policy: name}, fmt.Errorf("%w: Loop (this treasury only plans)", ErrMissingDependency)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.run(ctx, name, false, 0)
}

// Plan returns what every policy would do now (amount, destination,
// reason), reading balances, whitelists and caps and sending, registering
// and recording nothing: `engine treasury plan`. Each policy is planned on
// the balances as they are, so a chain's later links show what they would
// do before the first one moved anything.
func (t *Treasury) Plan(ctx context.Context) ([]Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Result
	var errs []error
	for _, name := range t.cfg.PolicyNames() {
		r, err := t.run(ctx, name, true, 0)
		out = append(out, r)
		if err != nil && r.Outcome != OutcomeRefused && r.Outcome != OutcomeSkipped {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// run runs one policy; plan only decides. t.mu is held.
func (t *Treasury) run(ctx context.Context, name string, plan bool, depth int) (Result, error) {
	p, ok := t.cfg.Policies[name]
	if !ok {
		return Result{Policy: name}, fmt.Errorf("%w %q", ErrUnknownPolicy, name)
	}
	res := Result{Policy: name, Asset: market.Asset(p.Asset), Destination: p.Destination}
	finish := func(r Result, err error) (Result, error) {
		if !plan {
			label := string(r.Outcome)
			if err != nil && r.Outcome == "" {
				label = "error"
			}
			t.m.runs.WithLabelValues(name, label).Inc()
		}
		return r, err
	}
	now := t.clock.Now()
	if !t.gateOpen(now) {
		res.Outcome, res.Reason = OutcomeSkipped, "maintenance window"
		if plan {
			return res, nil
		}
		return finish(res, fmt.Errorf("policy %s: %w at %s: nothing sent", name, ErrMaintenance, now.UTC().Format(time.RFC3339)))
	}
	avail, err := t.available(ctx, p)
	if err != nil {
		return finish(res, fmt.Errorf("policy %s: read the %s balance: %w", name, p.Asset, err))
	}
	res.Available = avail
	d := decide(p, avail)
	res.Action, res.Amount, res.Reason = d.action, d.amount, d.reason
	switch d.action {
	case ActionNone:
		res.Outcome = OutcomeNone
		return finish(res, nil)
	case ActionAlert:
		res.Outcome = OutcomeAlert
		if !plan {
			t.log.Warn("treasury: balance below min", "policy", name, "asset", p.Asset,
				"available", avail.String(), "min", p.Min.String(), "target", p.Target.String())
		}
		return finish(res, nil)
	case ActionSend:
		res, err = t.send(ctx, name, p, d, res, plan)
	case ActionConvert:
		res, err = t.convert(ctx, name, p, d, res, plan)
	case ActionPull:
		res, err = t.pull(ctx, name, p, d, res, plan)
	}
	if plan {
		return res, err
	}
	// A settlement's money is usable only once it lands at Hercle: its
	// chain runs then (land), not now.
	if err == nil && (res.Outcome == OutcomeSent || res.Outcome == OutcomeConverted) && p.Kind != policy.KindSettlement {
		res.Chained, err = t.chain(ctx, name, p, depth)
	}
	return finish(res, err)
}

// chain runs the policies p names in then, in order. Validation refuses
// loops; depth bounds a chain all the same.
func (t *Treasury) chain(ctx context.Context, name string, p policy.Policy, depth int) ([]Result, error) {
	var out []Result
	var errs []error
	if depth >= len(t.cfg.Policies) {
		return nil, nil
	}
	for _, next := range p.Then {
		r, err := t.run(ctx, next, false, depth+1)
		out = append(out, r)
		if err != nil {
			errs = append(errs, fmt.Errorf("chained from %s: %w", name, err))
		}
	}
	return out, errors.Join(errs...)
}

func (t *Treasury) gateOpen(now time.Time) bool { return t.d.Gate == nil || t.d.Gate.Open(now) }

// OnDeposit takes a Hercle deposit package inbound credited (wire it into
// inbound.Options.OnDeposit, next to the event loop's). The next poll
// matches it against settlements in transit. It never blocks.
func (t *Treasury) OnDeposit(d inbound.Deposit) {
	t.depMu.Lock()
	defer t.depMu.Unlock()
	if d.Venue != ledger.Hercle || !t.settles {
		return
	}
	t.deposits = append(t.deposits, d)
	if n := len(t.deposits); n > depositBacklog {
		t.deposits = slices.Delete(t.deposits, 0, n-depositBacklog)
	}
}

package backtest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
	"github.com/otcdesk/engine/treasury"
	"github.com/otcdesk/engine/treasury/policy"
)

// Treasury policies replay on simulated time with the daemon's own code:
// package treasury's Treasury, its jobs on package scheduler's Scheduler
// driven by the replay's clock (in_window and the maintenance gate
// included), its conversions and movements through the same loop, risk
// and execution as the strategies. The venue model accepts withdrawals to
// the configured crypto destinations (as if they were whitelisted and
// approved at Hercle) and confirms them, so the poll settles them; a dry
// run stays a dry run, as in the daemon.
//
// Money swept out is still the desk's: it counts in the equity curve at
// its destination, valued at the marks, so a sweep is not a loss.

// replayable returns the part of c a backtest can replay (sweeps to
// crypto destinations and conversions), and a note for each policy left
// out: settlements and pulls need Heropayments, bank transfers the payee
// registry, Lightning an invoice source, none of which is modelled.
func replayable(c policy.Config) (policy.Config, []string) {
	out := c
	out.Policies = map[string]policy.Policy{}
	var dropped []string
	for _, name := range c.PolicyNames() {
		p := c.Policies[name]
		why := ""
		switch {
		case p.Kind == policy.KindSettlement:
			why = "a settlement needs Heropayments"
		case p.Kind == policy.KindSweep && c.Destinations[p.Destination].Type != policy.TypeCrypto:
			why = fmt.Sprintf("destination %s is %s; only crypto withdrawals are modelled", p.Destination, c.Destinations[p.Destination].Type)
		}
		if why != "" {
			dropped = append(dropped, fmt.Sprintf("treasury policy %s is not replayed: %s", name, why))
			continue
		}
		if p.BelowMin == policy.BelowMinPull {
			p.BelowMin, p.Pull = policy.BelowMinAlert, nil
			dropped = append(dropped, fmt.Sprintf("treasury policy %s: its pull below min is not replayed (it alerts)", name))
		}
		out.Policies[name] = p
	}
	for name, p := range out.Policies {
		p.Then = slices.DeleteFunc(slices.Clone(p.Then), func(n string) bool { _, ok := out.Policies[n]; return !ok })
		out.Policies[name] = p
	}
	return out, dropped
}

// TreasuryReport is what the treasury policies did during a run.
type TreasuryReport struct {
	// Runs counts each policy's runs by outcome (none, alert, dry_run,
	// sent, converted, skipped, refused, failed, unknown, error).
	Runs map[string]map[string]int64 `json:"runs"`
	// Away is what withdrawals took to the desk's destinations, by asset:
	// still the desk's, and in the equity curve.
	Away map[string]string `json:"away"`
}

// treasuryReport reads the policies' runs from the treasury's counters.
func (r *replay) treasuryReport() (*TreasuryReport, error) {
	if r.sched == nil {
		return nil, nil
	}
	t := &TreasuryReport{Runs: map[string]map[string]int64{}, Away: map[string]string{}}
	err := counters(r.reg, "engine_treasury_runs_total", func(l map[string]string, v int64) {
		if t.Runs[l["policy"]] == nil {
			t.Runs[l["policy"]] = map[string]int64{}
		}
		t.Runs[l["policy"]][l["outcome"]] += v
	})
	for a, x := range r.venue.away {
		t.Away[string(a)] = amount(x)
	}
	return t, err
}

// startTreasury builds the Treasury over the replay's engine and
// schedules its jobs on the simulated clock.
func (r *replay) startTreasury(eng *trader.Engine) error {
	cfg, notes := replayable(r.o.Treasury)
	r.o.Notes = append(slices.Clip(r.o.Notes), notes...)
	if len(cfg.Policies) == 0 {
		return nil
	}
	var gate treasury.Gate
	var sgate *scheduler.Gate
	if g, ok := r.o.Gate.(*scheduler.Gate); ok && g != nil {
		gate, sgate = g, g
	} else if r.o.Gate != nil {
		gate = r.o.Gate
	}
	tr, err := treasury.New(cfg, treasury.Deps{
		Ledger: r.store, Hercle: newTreasuryVenue(cfg), Loop: treasuryLoop{r}, Follow: eng.Exec,
		Gate: gate, Clock: r.clock.Clock(), Logger: r.o.Logger, Metrics: r.reg,
	})
	if err != nil {
		return fmt.Errorf("backtest: treasury: %w", err)
	}
	s, err := scheduler.New(scheduler.Options{Clock: r.clock.Clock(), Gate: sgate, Logger: r.o.Logger, Registry: r.reg})
	if err != nil {
		return fmt.Errorf("backtest: treasury: %w", err)
	}
	if err := tr.Register(s); err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	r.sched = s
	return nil
}

// held is what the desk holds: the venue's balances and what treasury
// withdrew to its own destinations.
func (r *replay) held() map[market.Asset]decimal.Decimal {
	if len(r.venue.away) == 0 {
		return r.venue.balances
	}
	out := cloneBalances(r.venue.balances)
	for a, x := range r.venue.away {
		out[a] = out[a].Add(x)
	}
	return out
}

// treasuryLoop is the loop as treasury calls it, from the replay's own
// goroutine between ticks: every call executes inline.
type treasuryLoop struct{ r *replay }

func (l treasuryLoop) Trade(ctx context.Context, in strategy.Intent) execution.Result {
	// The policy: its fill is attributed to it (treasury names its
	// conversions "treasury:<policy>" already).
	l.r.treasuryTrade = strings.TrimPrefix(in.Strategy, "treasury:")
	defer func() { l.r.treasuryTrade = "" }()
	return l.r.loop.StepTrade(ctx, in)
}

func (l treasuryLoop) Move(ctx context.Context, m execution.Movement) execution.Result {
	return l.r.loop.StepMove(ctx, m)
}

// treasuryOwner is the attribution key of a treasury policy.
func treasuryOwner(policy string) string { return "treasury:" + policy }

// errNotModelled answers what a backtest's venue does not model.
var errNotModelled = errors.New("backtest: not modelled by the venue model")

// treasuryVenue is the Hercle REST treasury reads: every configured crypto
// destination whitelisted and approved; nothing else exists.
type treasuryVenue struct {
	whitelist []hercle.WhitelistedAddress
}

func newTreasuryVenue(c policy.Config) treasuryVenue {
	var v treasuryVenue
	for _, name := range sortedKeys(c.Destinations) {
		d := c.Destinations[name]
		if d.Type != policy.TypeCrypto {
			continue
		}
		v.whitelist = append(v.whitelist, hercle.WhitelistedAddress{ID: "bt-" + name, Name: name, Asset: strings.ToUpper(d.Asset),
			Address: d.Address, AddressParams: hercle.Params(d.AddressParams), Network: d.Network,
			Status: hercle.AddressApproved, Enabled: true})
	}
	return v
}

var _ treasury.Venue = treasuryVenue{}

func (v treasuryVenue) WhitelistedAddresses(context.Context) ([]hercle.WhitelistedAddress, error) {
	return slices.Clone(v.whitelist), nil
}

func (treasuryVenue) CreateInvoice(context.Context, hercle.InvoiceRequest) (hercle.Invoice, error) {
	return hercle.Invoice{}, errNotModelled
}

func (treasuryVenue) Payees(context.Context, hercle.CursorQuery) iter.Seq2[hercle.Payee, error] {
	return func(func(hercle.Payee, error) bool) {}
}

func (treasuryVenue) PayeeAddresses(context.Context, string, hercle.CursorQuery) iter.Seq2[hercle.PayeeAddress, error] {
	return func(func(hercle.PayeeAddress, error) bool) {}
}

func (treasuryVenue) RegisterPayee(context.Context, hercle.PayeeRequest) (hercle.Payee, error) {
	return hercle.Payee{}, errNotModelled
}

func (treasuryVenue) RegisterPayeeAddress(context.Context, string, hercle.PayeeAddressRequest) (hercle.PayeeAddress, error) {
	return hercle.PayeeAddress{}, errNotModelled
}

func (treasuryVenue) DepositAddresses(context.Context) ([]hercle.DepositAddress, error) {
	return nil, nil
}

func (treasuryVenue) CreateDepositAddress(context.Context, hercle.DepositAddressRequest) (*hercle.DepositAddress, error) {
	return nil, errNotModelled
}

func (treasuryVenue) Transactions(context.Context, hercle.PageQuery) iter.Seq2[hercle.Transaction, error] {
	return func(func(hercle.Transaction, error) bool) {}
}

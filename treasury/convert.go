package treasury

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/treasury/policy"
)

// trade is a conversion through the execution path.
type trade struct {
	pair     string
	side     market.Side
	size     decimal.Decimal // base, or zero
	amount   decimal.Decimal // quote, or zero
	path     string
	slippage decimal.Decimal
}

// convert sells the excess of the policy's asset for its To asset.
func (t *Treasury) convert(ctx context.Context, name string, p policy.Policy, d decision, res Result, plan bool) (Result, error) {
	tr := trade{pair: p.Pair, path: p.PathOr(), slippage: p.Slippage()}
	switch {
	case p.Pair == p.Asset+p.To:
		tr.side, tr.size = market.Sell, d.amount // the asset is the base: sell that size
	case tr.path == string(strategy.OTC):
		// The asset is the quote: spend it on the base. An OTC order by
		// amount is sized at the quote and may fill up to its slippage
		// above it, so it spends at most amount × (1 + slippage): risk
		// holds that much, and the balance must cover it.
		tr.side, tr.amount = market.Buy, withSlippage(d.amount, tr.slippage, p.Decimals())
	default:
		tr.side, tr.amount = market.Buy, d.amount // an RFQ by amount spends exactly the amount
	}
	return t.trade(ctx, name, tr, d.reason, res, plan, p.IsDryRun())
}

// withSlippage is the largest amount an OTC buy by amount may ask for so
// that, at its worst fill, it spends no more than budget.
func withSlippage(budget, slippage decimal.Decimal, places int32) decimal.Decimal {
	return budget.Div(decimal.NewFromInt(1).Add(slippage.Div(decimal.NewFromInt(100)))).Truncate(places)
}

// trade runs a conversion through Deps.Convert, unless plan or dry.
func (t *Treasury) trade(ctx context.Context, name string, tr trade, reason string, res Result, plan, dry bool) (Result, error) {
	res.Destination = tr.pair
	switch {
	case plan:
		res.Outcome = OutcomePlanned
		return res, nil
	case dry:
		res.Outcome = OutcomeDryRun
		t.m.dryRuns.WithLabelValues(name).Inc()
		t.log.Info("treasury dry run: would convert; nothing sent", "policy", name, "pair", tr.pair, "side", string(tr.side),
			"size", tr.size.String(), "amount", tr.amount.String(), "reason", reason)
		return res, nil
	}
	// A conversion whose outcome is still unknown may yet fill: another
	// now could convert twice what the policy meant once.
	if cid, err := t.convertInFlight(ctx, name); err != nil {
		return res, fmt.Errorf("policy %s: %w", name, err)
	} else if cid != "" {
		res.Outcome, res.ClientID = OutcomeSkipped, cid
		res.Reason = fmt.Sprintf("conversion %s is unresolved; no other until it is", cid)
		return res, nil
	}
	in := strategy.Intent{
		Strategy: "treasury:" + name, Ref: t.clock.Now().UTC().Format(time.RFC3339Nano),
		Pair: tr.pair, Side: tr.side, Size: tr.size, Amount: tr.amount,
		Path: strategy.Path(tr.path), MaxSlippage: tr.slippage, Reason: reason,
	}
	r := t.d.Loop.Trade(ctx, in)
	res.ClientID = r.Intent.ID
	switch r.Status {
	case execution.Filled:
		res.Outcome = OutcomeConverted
		res.Reason = fmt.Sprintf("%s; filled %s at %s (trade %s)", reason, r.Size, r.Price, r.TradeID)
		t.log.Info("treasury: converted", "policy", name, "pair", tr.pair, "side", string(tr.side), "size", r.Size.String(),
			"amount", r.Amount.String(), "price", r.Price.String(), "client_id", r.Intent.ID)
		moved := r.Size
		if tr.size.IsZero() {
			moved = r.Amount
		}
		t.m.amount.WithLabelValues(name, string(res.Asset)).Add(moved.InexactFloat64())
		return res, nil
	case execution.Rejected:
		res.Outcome, res.Reason = OutcomeRefused, r.Detail
		return res, fmt.Errorf("policy %s: convert on %s: %w by the risk check: %w", name, tr.pair, ErrRejected, r.Err)
	case execution.Failed:
		res.Outcome, res.Reason = OutcomeFailed, r.Detail
		return res, fmt.Errorf("policy %s: convert on %s: %w: %s", name, tr.pair, ErrRejected, r.Detail)
	}
	res.Outcome, res.Reason = OutcomeUnknown, r.Detail
	return res, fmt.Errorf("policy %s: convert on %s: %w: %s (execution resolves it by Client-Id %s)", name, tr.pair, ErrUnresolved, r.Detail, r.Intent.ID)
}

// pull refills a balance below min up to target from the policy's source.
func (t *Treasury) pull(ctx context.Context, name string, p policy.Policy, d decision, res Result, plan bool) (Result, error) {
	pl := p.Pull
	if !d.amount.IsPositive() {
		res.Outcome = OutcomeNone
		return res, nil
	}
	switch pl.From {
	case policy.PullConvert:
		tr := trade{pair: pl.Pair, path: pl.Path, slippage: policy.DefaultMaxSlippage}
		if tr.path == "" {
			tr.path = policy.DefaultPath
		}
		if pl.MaxSlippage.IsSet() {
			tr.slippage = pl.MaxSlippage.Decimal
		}
		if strings.HasPrefix(pl.Pair, p.Asset) {
			tr.side, tr.size = market.Buy, d.amount // the asset is the base: buy the shortfall
		} else {
			tr.side, tr.amount = market.Sell, d.amount // the asset is the quote: sell base for the shortfall
		}
		return t.trade(ctx, name, tr, d.reason, res, plan, p.IsDryRun())
	case policy.PullHeropayments:
		src := t.cfg.Policies[pl.Policy]
		avail, err := t.available(ctx, src)
		if err != nil {
			return res, fmt.Errorf("policy %s: read the Heropayments balance of %s: %w", name, pl.Policy, err)
		}
		amount := decimal.Min(d.amount, avail.Sub(src.Min.Decimal)).Truncate(src.Decimals())
		if !amount.IsPositive() || amount.LessThan(src.MinSweep.Decimal) {
			res.Outcome = OutcomeAlert
			res.Reason = fmt.Sprintf("%s; Heropayments has %s above its min %s, below min_sweep %s", d.reason,
				decimal.Max(amount, decimal.Zero), src.Min.Decimal, src.MinSweep.Decimal)
			if !plan {
				t.log.Warn("treasury: balance below min and the pull source cannot cover it", "policy", name, "reason", res.Reason)
			}
			return res, nil
		}
		res, err = t.sendAmount(ctx, pl.Policy, src, amount, res, plan, p.IsDryRun() || src.IsDryRun())
		res.Policy = name
		return res, err
	case policy.PullInvoice:
		hours := pl.ExpiryHours
		if hours == 0 {
			hours = policy.DefaultInvoiceExpiryHours
		}
		switch {
		case plan:
			res.Outcome = OutcomePlanned
			return res, nil
		case p.IsDryRun():
			res.Outcome = OutcomeDryRun
			t.m.dryRuns.WithLabelValues(name).Inc()
			t.log.Info("treasury dry run: would issue a Lightning invoice", "policy", name, "amount_btc", d.amount.String())
			return res, nil
		}
		inv, err := t.CreateInvoice(ctx, d.amount, "treasury "+name, time.Duration(hours)*time.Hour)
		if err != nil {
			res.Outcome = OutcomeFailed
			return res, fmt.Errorf("policy %s: %w", name, err)
		}
		res.Outcome, res.Destination, res.Reason = OutcomeIssued, inv.ID, d.reason+"; invoice "+inv.ID
		if t.d.OnInvoice != nil {
			t.d.OnInvoice(name, inv)
		}
		return res, nil
	}
	return res, fmt.Errorf("policy %s: unknown pull source %q", name, pl.From)
}

// convertInFlight returns the Client-Id of an unfinished conversion of
// policy name, or "".
func (t *Treasury) convertInFlight(ctx context.Context, name string) (string, error) {
	ins, err := t.d.Ledger.Unfinished(ctx)
	if err != nil {
		return "", fmt.Errorf("unfinished intents: %w", err)
	}
	for _, in := range ins {
		if s, ok := execution.StrategyOf(in); ok && s == "treasury:"+name {
			return in.ClientID, nil
		}
	}
	return "", nil
}

package treasury

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/treasury/policy"
)

// decision is what a policy does with the balance it read.
type decision struct {
	action string
	amount decimal.Decimal // to move: debited from the source (sweep, settlement), sold (convert), missing (pull, alert)
	net    decimal.Decimal // expected to arrive, after the fee
	reason string
}

// decide is the pure core of a run: above max, the excess over target
// (fee-aware, rounded down to the policy's precision, at least min_sweep
// net of the fee, within max_fee_ratio); below min, the shortfall up to
// target for the below-min action; otherwise nothing.
func decide(p policy.Policy, avail decimal.Decimal) decision {
	prec := p.Decimals()
	switch {
	case avail.GreaterThan(p.Max.Decimal):
		excess := avail.Sub(p.Target.Decimal)
		amount, net := feeAware(p, excess)
		if !net.IsPositive() || net.LessThan(p.MinSweep.Decimal) {
			return decision{action: ActionNone, reason: fmt.Sprintf("excess %s over target leaves %s after the fee, below min_sweep %s",
				excess, net.Truncate(prec), p.MinSweep.Decimal)}
		}
		if r := p.MaxFeeRatio.Decimal; r.IsPositive() && p.Fee.IsPositive() && p.Fee.Div(amount).GreaterThan(r) {
			return decision{action: ActionNone, reason: fmt.Sprintf("fee %s would be more than %s of the amount %s", p.Fee.Decimal, r, amount)}
		}
		action := ActionSend
		if p.Kind == policy.KindConvert {
			action = ActionConvert
		}
		return decision{action: action, amount: amount, net: net,
			reason: fmt.Sprintf("available %s is above max %s: move %s down to target %s", avail, p.Max.Decimal, amount, p.Target.Decimal)}
	case avail.LessThan(p.Min.Decimal):
		short := p.Target.Sub(avail).Truncate(prec)
		action := ActionAlert
		if p.BelowMin == policy.BelowMinPull {
			action = ActionPull
		}
		return decision{action: action, amount: short,
			reason: fmt.Sprintf("available %s is below min %s: %s short of target %s", avail, p.Min.Decimal, short, p.Target.Decimal)}
	}
	return decision{action: ActionNone, reason: fmt.Sprintf("available %s is within [%s, %s]", avail, p.Min.Decimal, p.Max.Decimal)}
}

// feeAware returns the amount to move for an excess and what arrives: with
// the fee taken from the amount the excess moves and arrives less the fee;
// with the fee on top the amount is lowered by it so the balance lands on
// target. Both round down to the policy's precision.
func feeAware(p policy.Policy, excess decimal.Decimal) (amount, net decimal.Decimal) {
	prec := p.Decimals()
	fee := p.Fee.Decimal
	if p.FeeOnTop {
		amount = excess.Sub(fee).Truncate(prec)
		return amount, amount
	}
	amount = excess.Truncate(prec)
	return amount, amount.Sub(fee)
}

// available reads the policy's balance at its venue: Hercle's available
// balance, or the Heropayments merchant balance for a settlement.
func (t *Treasury) available(ctx context.Context, p policy.Policy) (decimal.Decimal, error) {
	if p.Kind == policy.KindSettlement {
		b, err := t.d.Heropayments.Balance(ctx, heropayments.Flow(p.Flow))
		if err != nil {
			return decimal.Decimal{}, err
		}
		if !strings.EqualFold(b.Currency, p.Asset) {
			return decimal.Decimal{}, fmt.Errorf("the Heropayments %s balance is in %s, the policy settles %s", p.Flow, b.Currency, p.Asset)
		}
		return b.Amount.Decimal, nil
	}
	return t.hercleAvailable(ctx, p.Asset)
}

// hercleAvailable reads the available balance at Hercle from the books:
// the event loop's risk check reads the same.
func (t *Treasury) hercleAvailable(ctx context.Context, asset string) (decimal.Decimal, error) {
	return t.d.Ledger.Balance(ctx, ledger.VenueAvailable(ledger.Hercle), market.Asset(strings.ToUpper(asset)))
}

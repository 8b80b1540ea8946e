package treasury

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Caps are counted in the ledger's counters, per UTC day: what went to a
// destination under "withdrawn" (scope: the destination's account), and
// what all policies moved in an asset under "withdrawn_total" (scope: the
// asset). A movement reserves both in the same write as its intent (the
// movement's Caps, op id its Client-Id), so every recorded movement holds
// them and a retried reservation counts once; a failed movement releases
// them under "<client-id>:release", so that too counts once.

// globalMetric is the counter metric of the per-asset daily totals.
const globalMetric = "withdrawn_total"

func destKey(day, account string) ledger.CounterKey {
	return ledger.CounterKey{Metric: "withdrawn", Day: day, Scope: account}
}

func globalKey(day, asset string) ledger.CounterKey {
	return ledger.CounterKey{Metric: globalMetric, Day: day, Scope: asset}
}

// capKeys are the counters a movement to account in asset counts against
// on day.
func capKeys(day, account string, asset market.Asset) []ledger.CounterKey {
	return []ledger.CounterKey{destKey(day, account), globalKey(day, string(asset))}
}

func utcDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// room returns what the caps leave today for tg in asset, and which cap
// binds.
func (t *Treasury) room(ctx context.Context, now time.Time, tg target, asset string) (decimal.Decimal, string, error) {
	day := utcDay(now)
	used, err := t.d.Ledger.Counter(ctx, destKey(day, tg.account.String()))
	if err != nil {
		return decimal.Decimal{}, "", fmt.Errorf("read the daily total of destination %s: %w", tg.name, err)
	}
	left := tg.dest.DailyCap.Sub(used)
	t.m.capLeft.WithLabelValues(tg.name, asset).Set(left.InexactFloat64())
	binding := fmt.Sprintf("destination %s's daily_cap %s (%s used today)", tg.name, tg.dest.DailyCap.Decimal, used)
	if cp, ok := t.cfg.DailyCaps[asset]; ok {
		all, err := t.d.Ledger.Counter(ctx, globalKey(day, asset))
		if err != nil {
			return decimal.Decimal{}, "", fmt.Errorf("read the daily total of %s: %w", asset, err)
		}
		g := cp.Sub(all)
		t.m.capLeft.WithLabelValues("global", asset).Set(g.InexactFloat64())
		if g.LessThan(left) {
			left, binding = g, fmt.Sprintf("daily_caps.%s %s (%s used today)", asset, cp.Decimal, all)
		}
	}
	return decimal.Max(left, decimal.Zero), binding, nil
}

// release gives a movement that did not happen back to the caps, once. The
// send protocol releases what the movement recorded; this also covers
// movements an older engine recorded without their caps, and those a
// webhook failed.
func (t *Treasury) release(ctx context.Context, m execution.Movement) error {
	for _, k := range capKeys(m.Day, m.Account, m.Asset) {
		if _, _, err := t.d.Ledger.AddCounter(ctx, k, m.ID+":release", m.Amount.Neg()); err != nil {
			return fmt.Errorf("release %s %s of %s from the daily caps: %w", m.Amount, m.Asset, m.ID, err)
		}
	}
	return nil
}

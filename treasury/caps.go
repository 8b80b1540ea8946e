package treasury

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
)

// Caps are counted in the ledger's counters, per UTC day: what went to a
// destination under ledger.DailyWithdrawn (scope: the destination's
// account), and what all policies moved in an asset under
// "withdrawn_total" (scope: the asset). A reservation is made under the
// movement's Client-Id before its intent is recorded, so every recorded
// movement holds one and a retried reservation counts once; a release is
// made under "<client-id>:release", so it too counts once. A reservation
// made just before a crash that left no intent is never released: the
// caps err on the side of sending less.

// globalMetric is the counter metric of the per-asset daily totals.
const globalMetric = "withdrawn_total"

func destKey(day, account string) ledger.CounterKey {
	return ledger.CounterKey{Metric: "withdrawn", Day: day, Scope: account}
}

func globalKey(day, asset string) ledger.CounterKey {
	return ledger.CounterKey{Metric: globalMetric, Day: day, Scope: asset}
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

// reserve counts the movement against its destination's and its asset's
// totals of the day, once per Client-Id.
func (t *Treasury) reserve(ctx context.Context, clientID string, r record) error {
	for _, k := range []ledger.CounterKey{destKey(r.Day, r.Account), globalKey(r.Day, string(r.Asset))} {
		if _, _, err := t.d.Ledger.AddCounter(ctx, k, clientID, r.Amount); err != nil {
			return fmt.Errorf("reserve %s %s against the daily caps: %w", r.Amount, r.Asset, err)
		}
	}
	return nil
}

// release gives a movement that did not happen back to the caps, once.
func (t *Treasury) release(ctx context.Context, clientID string, r record) error {
	for _, k := range []ledger.CounterKey{destKey(r.Day, r.Account), globalKey(r.Day, string(r.Asset))} {
		if _, _, err := t.d.Ledger.AddCounter(ctx, k, clientID+":release", r.Amount.Neg()); err != nil {
			return fmt.Errorf("release %s %s of %s from the daily caps: %w", r.Amount, r.Asset, clientID, err)
		}
	}
	return nil
}

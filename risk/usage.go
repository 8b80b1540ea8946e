package risk

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Usage is how much of the daily caps the day's approvals have taken, in
// Limits.Reference: what a desk reads beside the limits.
type Usage struct {
	// Day is the start of the day counted (midnight in Limits.DayZone).
	Day time.Time
	// Traded counts against MaxDailyNotional.
	Traded decimal.Decimal
	// Transferred counts against Transfers.MaxDaily.
	Transferred decimal.Decimal
	// Destinations are the transfers per capped destination, sorted by name.
	Destinations []DestinationUsage
}

// DestinationUsage is one destination's transfers of the day and its cap.
type DestinationUsage struct {
	Name  string
	Used  decimal.Decimal
	Limit decimal.Decimal
}

// Usage reads the day's totals of the day holding now. It reserves
// nothing; an error means the counters could not be read.
func (e *Engine) Usage(ctx context.Context, now time.Time) (Usage, error) {
	day := e.Day(now)
	u := Usage{Day: day}
	var err error
	if u.Traded, err = e.counters.Get(ctx, keyTradeNotional, day); err != nil {
		return Usage{}, fmt.Errorf("risk: read %s: %w", keyTradeNotional, err)
	}
	if u.Transferred, err = e.counters.Get(ctx, keyTransfer, day); err != nil {
		return Usage{}, fmt.Errorf("risk: read %s: %w", keyTransfer, err)
	}
	names := make([]string, 0, len(e.l.Transfers.Destinations))
	for name := range e.l.Transfers.Destinations {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		used, err := e.counters.Get(ctx, keyTransfer+"/"+name, day)
		if err != nil {
			return Usage{}, fmt.Errorf("risk: read %s/%s: %w", keyTransfer, name, err)
		}
		u.Destinations = append(u.Destinations, DestinationUsage{Name: name, Used: used, Limit: e.l.Transfers.Destinations[name].Decimal})
	}
	return u, nil
}

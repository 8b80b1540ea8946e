package reconcile

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// DefaultMaxLookups bounds the point lookups one run makes to confirm a
// difference (a trade by Client-Id, a transaction in the banking ledger).
const DefaultMaxLookups = 200

// Config configures a Reconciler. Build it with FromConfig; zero fields
// take the defaults of the [reconcile] section.
type Config struct {
	// Schedule is the cron spec of Job.
	Schedule string
	// Lookback is how far back Serve's runs compare.
	Lookback time.Duration
	// Grace is how long a difference may be in flight before it is a break.
	Grace time.Duration
	// Tolerances are the largest differences that still match, per asset,
	// in balances and record amounts; an asset not listed must match
	// exactly.
	Tolerances map[market.Asset]decimal.Decimal
	// PauseAbove pauses trading while a run finds more breaks than this;
	// -1 never pauses.
	PauseAbove int
	// KeepReports bounds the reports kept in the ledger.
	KeepReports int
	// MaxLookups bounds point lookups per run; zero means DefaultMaxLookups.
	MaxLookups int
	// DryRun compares only: nothing is imported and no report is stored.
	DryRun bool
}

// FromConfig validates the [reconcile] section and returns the Config it
// describes, defaults applied. Errors list every problem with its key.
func FromConfig(c Settings) (Config, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	out := Config{
		Schedule:    c.Schedule,
		Lookback:    c.Lookback.Duration,
		Grace:       c.Grace.Duration,
		Tolerances:  make(map[market.Asset]decimal.Decimal, len(c.Tolerances)),
		PauseAbove:  c.PauseAbove,
		KeepReports: c.KeepReports,
	}
	for a, t := range c.Tolerances {
		out.Tolerances[market.Asset(a)] = t.Decimal
	}
	return out, nil
}

func (c Config) withDefaults() Config {
	if c.Schedule == "" {
		c.Schedule = DefaultSchedule
	}
	if c.Lookback == 0 {
		c.Lookback = DefaultLookback
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if c.KeepReports == 0 {
		c.KeepReports = DefaultKeepReports
	}
	if c.MaxLookups == 0 {
		c.MaxLookups = DefaultMaxLookups
	}
	return c
}

func (c Config) check() error {
	switch {
	case c.Lookback < 0 || c.Grace < 0:
		return fmt.Errorf("%w: negative lookback (%s) or grace (%s)", ErrConfig, c.Lookback, c.Grace)
	case c.PauseAbove < -1:
		return fmt.Errorf("%w: pause threshold %d (want -1 or more)", ErrConfig, c.PauseAbove)
	case c.KeepReports < 0 || c.MaxLookups < 0:
		return fmt.Errorf("%w: negative reports kept or lookups", ErrConfig)
	}
	for a, t := range c.Tolerances {
		if t.IsNegative() {
			return fmt.Errorf("%w: tolerance of %s is negative", ErrConfig, a)
		}
	}
	return nil
}

// tolerance is the configured tolerance of asset, zero if none.
func (c Config) tolerance(a market.Asset) decimal.Decimal {
	return c.Tolerances[a]
}

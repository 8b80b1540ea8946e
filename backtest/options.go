package backtest

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/treasury/policy"
)

// Options configure Run. Feeds, Strategies, Pairs, Balances, Reference and
// Out are required; Limits must be valid (start from risk.DefaultLimits).
type Options struct {
	// Feeds are the recordings to replay (the recorder's NDJSON, plain or
	// gzip), merged by receive time.
	Feeds []string
	// Tape, if set, is replayed instead of reading Feeds: recordings
	// decoded once by LoadTape. From and To select a window of it.
	Tape *Tape
	// From and To bound the replay to ticks received in [From, To); a zero
	// time is unbounded.
	From, To time.Time

	// Strategies run as the daemon runs them; their names must differ.
	Strategies []strategy.Strategy
	// Limits configure risk; MaxPriceAge is also the loop's staleness.
	Limits risk.Limits
	// Gate is the maintenance gate on simulated time; nil is always open.
	Gate risk.Gate
	// Treasury is the [treasury] section: its sweeps to crypto
	// destinations and its conversions replay on simulated time (see
	// treasury.go); the zero value has no policy.
	Treasury policy.Config

	// Pairs are the listed pairs with their size limits.
	Pairs []market.Pair
	// Balances are the starting balances at the venue.
	Balances map[market.Asset]decimal.Decimal
	// Reference is the currency equity and PnL are valued in. Every asset
	// held or traded must be Reference or joined to it by a listed pair.
	Reference market.Asset
	// Venue is the fill model.
	Venue VenueModel
	// EquityInterval is the equity curve's sampling period in simulated
	// time; zero means one minute.
	EquityInterval time.Duration

	// Out is the report directory. It must not exist, or be empty: the
	// report is written beside it and renamed into place only once
	// complete, so a failed run leaves nothing.
	Out string
	// TempDir holds the scratch ledger. Empty means /dev/shm where it is
	// a writable directory (a scratch ledger gains nothing from fsync),
	// otherwise the system's temporary directory.
	TempDir string

	// Progress, if set, is called every ProgressEvery ticks (default
	// 65536) and once at the end, on Run's goroutine.
	Progress      func(Progress)
	ProgressEvery int64
	// OnExecuted, if set, is called with every intent execution returned,
	// in order, on Run's goroutine.
	OnExecuted func(execution.Result)
	// Logger receives the loop's, risk's and execution's logs; nil
	// discards them.
	Logger *slog.Logger
	// Notes say how the configuration was completed (Config.Complete);
	// the summary and the report repeat them.
	Notes []string
}

// Progress is how far a run has got.
type Progress struct {
	Ticks      int64     // ticks replayed
	Bytes      int64     // bytes of the recordings read (compressed size for gzip)
	TotalBytes int64     // their total size
	At         time.Time // simulated time
	Done       bool      // the last call
}

// check validates the options and fills in the defaults; report says a
// report directory is required (Run; a sweep's runs write none).
func (o *Options) check(report bool) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.Tape != nil {
		o.Feeds = o.Tape.Feeds()
	}
	if len(o.Feeds) == 0 {
		add("no recordings: give at least one feed file")
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.From.Before(o.To) {
		add("empty time range: from %s is not before to %s", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
	}
	if len(o.Strategies) == 0 {
		add("no strategies: configure at least one [[strategy]]")
	}
	if err := o.Limits.Validate(); err != nil {
		add("risk limits: %w", err)
	}
	if o.Reference == "" {
		add("no reference currency")
	}
	if len(o.Pairs) == 0 {
		add("no pairs")
	}
	if len(o.Balances) == 0 {
		add("no starting balances")
	}
	for _, a := range slices.Sorted(maps.Keys(o.Balances)) {
		if o.Balances[a].IsNegative() {
			add("starting balance of %s is negative (%s)", a, o.Balances[a])
		}
	}
	if report && o.Out == "" {
		add("no report directory")
	}
	if o.EquityInterval < 0 || o.Venue.Latency < 0 || o.Venue.RFQExpiry < 0 {
		add("negative equity interval, latency or RFQ expiry")
	}
	for _, b := range []decimal.Decimal{o.Venue.SlippageBps, o.Venue.RFQMarkupBps, o.Venue.FeeBps} {
		if b.IsNegative() || b.GreaterThanOrEqual(decimal.NewFromInt(10_000)) {
			add("venue model basis points %s outside [0, 10000)", b)
		}
	}
	seen := map[string]bool{}
	for _, p := range o.Pairs {
		if p.Symbol == "" || p.Base == "" || p.Quote == "" || seen[p.Symbol] {
			add("pair %q: a unique symbol, a base and a quote are required", p.Symbol)
		}
		seen[p.Symbol] = true
		if p.MinSize.IsNegative() || p.MaxSize.IsNegative() || p.MinQuoteSize.IsNegative() || p.MaxQuoteSize.IsNegative() {
			add("pair %s: negative size limits", p.Symbol)
		}
		if (p.MaxSize.IsPositive() && p.MinSize.GreaterThan(p.MaxSize)) || (p.MaxQuoteSize.IsPositive() && p.MinQuoteSize.GreaterThan(p.MaxQuoteSize)) {
			add("pair %s: a minimum size above its maximum", p.Symbol)
		}
	}
	if o.Reference != "" && len(o.Pairs) > 0 {
		if _, err := newValuer(o.Reference, o.Pairs, o.assets()); err != nil {
			errs = append(errs, err)
		}
	}
	if o.EquityInterval == 0 {
		o.EquityInterval = time.Minute
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 1 << 16
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	return nil
}

// assets returns every asset held at the start or traded, sorted.
func (o *Options) assets() []market.Asset {
	set := map[market.Asset]bool{o.Reference: true}
	for a := range o.Balances {
		set[a] = true
	}
	for _, p := range o.Pairs {
		set[p.Base], set[p.Quote] = true, true
	}
	out := make([]market.Asset, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// FromConfig returns Options for the backtest section, the strategies and
// risk limits already built from their own sections, and the maintenance
// gate. The caller adds Feeds, the range and Out.
func FromConfig(c Config, strategies []strategy.Strategy, limits risk.Limits, gate risk.Gate) (Options, error) {
	if err := c.Validate(); err != nil {
		return Options{}, err
	}
	o := Options{
		Strategies: strategies, Limits: limits, Gate: gate,
		Reference:      market.Asset(c.Reference),
		Balances:       map[market.Asset]decimal.Decimal{},
		EquityInterval: c.EquityInterval.Duration,
		Venue: VenueModel{
			Latency:      c.Venue.Latency.Duration,
			SlippageBps:  c.Venue.SlippageBps.Decimal,
			RFQMarkupBps: c.Venue.RFQMarkupBps.Decimal,
			RFQExpiry:    c.Venue.RFQExpiry.Duration,
			FeeBps:       c.Venue.FeeBps.Decimal,
		},
	}
	for code, a := range c.Balances {
		o.Balances[market.Asset(code)] = a.Decimal
	}
	for _, p := range c.Pairs {
		o.Pairs = append(o.Pairs, market.Pair{
			Symbol: strings.ToUpper(p.Symbol), Base: market.Asset(p.Base), Quote: market.Asset(p.Quote),
			MinSize: p.MinSize.Decimal, MaxSize: p.MaxSize.Decimal,
			MinQuoteSize: p.MinQuoteSize.Decimal, MaxQuoteSize: p.MaxQuoteSize.Decimal,
		})
	}
	return o, nil
}

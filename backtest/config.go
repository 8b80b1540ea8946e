package backtest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
)

// Config configures `engine backtest`: the pairs and their size limits,
// the starting balances, the currency results are valued in, and the venue
// model recorded feeds are replayed against. Strategies and risk limits
// come from the same sections the daemon reads.
//
// The zero value has no pairs and no balances, which Validate refuses;
// every other zero field means its documented default.
type Config struct {
	// Reference is the currency the equity curve and PnL are valued in
	// ("EUR"). Every asset in Balances and in Pairs must be the reference
	// or joined to it by a listed pair.
	Reference string `toml:"reference"`
	// Balances are the starting balances by asset code (decimal strings).
	Balances map[string]tomlval.Decimal `toml:"balances"`
	// Pairs are the tradable pairs, as [[backtest.pair]] tables.
	Pairs []PairConfig `toml:"pair"`
	// Venue is the venue model.
	Venue VenueConfig `toml:"venue"`
	// EquityInterval is how often the equity curve is sampled, in
	// simulated time. Zero means DefaultEquityInterval.
	EquityInterval tomlval.Duration `toml:"equity_interval"`
}

// PairConfig is a listed pair with the venue's size limits; a zero limit
// means none.
type PairConfig struct {
	Symbol       string          `toml:"symbol"`         // venue name, "BTCEUR"
	Base         string          `toml:"base"`           // asset bought or sold, "BTC"
	Quote        string          `toml:"quote"`          // currency it is priced in, "EUR"
	MinSize      tomlval.Decimal `toml:"min_size"`       // base asset
	MaxSize      tomlval.Decimal `toml:"max_size"`       // base asset
	MinQuoteSize tomlval.Decimal `toml:"min_quote_size"` // quote currency
	MaxQuoteSize tomlval.Decimal `toml:"max_quote_size"` // quote currency
}

// VenueConfig is the venue model. Basis points are decimal strings
// ("2.5"); 1 bp is 0.01%.
type VenueConfig struct {
	// Latency is how long an order or an RFQ accept takes to reach the
	// venue after the decision: an OTC order fills at the price recorded
	// that much later, and an accept arriving after the RFQ's expiry fails.
	Latency tomlval.Duration `toml:"latency"`
	// SlippageBps moves every OTC fill against the engine.
	SlippageBps tomlval.Decimal `toml:"slippage_bps"`
	// RFQMarkupBps is an RFQ quote's markup over the recorded price,
	// against the engine.
	RFQMarkupBps tomlval.Decimal `toml:"rfq_markup_bps"`
	// RFQExpiry is how long an RFQ quote can be accepted. Zero means
	// DefaultRFQExpiry.
	RFQExpiry tomlval.Duration `toml:"rfq_expiry"`
	// FeeBps is the fee on each fill's notional, paid in the pair's quote
	// currency.
	FeeBps tomlval.Decimal `toml:"fee_bps"`
}

// Defaults for the zero fields of Config.
const (
	DefaultEquityInterval = time.Minute
	DefaultRFQExpiry      = 30 * time.Second
)

// maxBps bounds the model's basis points: 10 000 bp is 100%.
var maxBps = decimal.NewFromInt(10_000)

// Validate checks the section and returns *Error listing every problem,
// with "backtest." key paths, or nil. Load does not call it, because the
// daemon has no use for the section; `engine backtest` does.
func (b Config) Validate() error {
	if ps := b.problems(); len(ps) > 0 {
		return &tomlval.Error{Name: "config", Problems: ps}
	}
	return nil
}

func (b Config) problems() []tomlval.Problem {
	c := &checker{}
	refOK := c.asset("reference", b.Reference)
	if len(b.Balances) == 0 {
		c.add("balances", `required: the starting balances, e.g. balances = { EUR = "100000" }`)
	}
	for _, code := range sortedKeys(b.Balances) {
		if c.asset("balances."+code, code) {
			c.amount("balances."+code, b.Balances[code])
		}
	}
	joined := b.pairProblems(c)
	if refOK {
		b.valuationProblems(c, joined)
	}
	c.duration("venue.latency", b.Venue.Latency, 0)
	c.bps("venue.slippage_bps", b.Venue.SlippageBps)
	c.bps("venue.rfq_markup_bps", b.Venue.RFQMarkupBps)
	c.bps("venue.fee_bps", b.Venue.FeeBps)
	c.duration("venue.rfq_expiry", b.Venue.RFQExpiry, time.Millisecond)
	c.duration("equity_interval", b.EquityInterval, time.Second)
	return c.ps
}

// pairProblems checks each [[backtest.pair]] and returns the assets a
// listed pair joins to the reference.
func (b Config) pairProblems(c *checker) map[string]bool {
	if len(b.Pairs) == 0 {
		c.add("pair", "required: at least one [[backtest.pair]] with symbol, base and quote")
	}
	seen := map[string]bool{}
	joined := map[string]bool{}
	for i, p := range b.Pairs {
		key := fmt.Sprintf("pair[%d]", i)
		if p.Symbol == "" {
			c.add(key+".symbol", "is required")
		} else if seen[p.Symbol] {
			c.add(key+".symbol", "%s is listed twice", p.Symbol)
		}
		seen[p.Symbol] = true
		baseOK, quoteOK := c.asset(key+".base", p.Base), c.asset(key+".quote", p.Quote)
		if baseOK && quoteOK && p.Base == p.Quote {
			c.add(key, "base and quote are both %s", p.Base)
		}
		c.sizeRange(key, "min_size", "max_size", p.MinSize, p.MaxSize)
		c.sizeRange(key, "min_quote_size", "max_quote_size", p.MinQuoteSize, p.MaxQuoteSize)
		if p.Quote == b.Reference {
			joined[p.Base] = true
		}
		if p.Base == b.Reference {
			joined[p.Quote] = true
		}
	}
	return joined
}

// valuationProblems refuses an asset held or traded that no listed pair
// values in the reference: the equity curve needs every one.
func (b Config) valuationProblems(c *checker, joined map[string]bool) {
	var unvalued []string
	need := map[string]bool{}
	for code := range b.Balances {
		need[code] = true
	}
	for _, p := range b.Pairs {
		need[p.Base], need[p.Quote] = true, true
	}
	for code := range need {
		if code != "" && code != b.Reference && !joined[code] {
			unvalued = append(unvalued, code)
		}
	}
	slices.Sort(unvalued)
	for _, code := range unvalued {
		c.add("pair", "%s cannot be valued in %s: list a pair joining them", code, b.Reference)
	}
}

// checker collects the section's problems, each keyed under "backtest.".
type checker struct{ ps []tomlval.Problem }

func (c *checker) add(key, format string, args ...any) {
	c.ps = append(c.ps, tomlval.Problem{Key: "backtest." + key, Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) asset(key, code string) bool {
	if code == "" || strings.ToUpper(code) != code || strings.ContainsAny(code, " \t:") {
		c.add(key, "must be an upper-case asset code, got %q", code)
		return false
	}
	return true
}

func (c *checker) amount(key string, a tomlval.Decimal) bool {
	if a.Err() != nil {
		c.add(key, "%v", a.Err())
		return false
	}
	if a.IsNegative() {
		c.add(key, "must not be negative, got %s", a.Decimal)
		return false
	}
	return true
}

// sizeRange checks a pair's lower and upper size bounds (zero: none).
func (c *checker) sizeRange(key, loKey, hiKey string, lo, hi tomlval.Decimal) {
	loOK, hiOK := c.amount(key+"."+loKey, lo), c.amount(key+"."+hiKey, hi)
	if loOK && hiOK && hi.IsPositive() && lo.GreaterThan(hi.Decimal) {
		c.add(key+"."+loKey, "%s is above %s %s", lo.Decimal, hiKey, hi.Decimal)
	}
}

func (c *checker) bps(key string, a tomlval.Decimal) {
	if c.amount(key, a) && a.GreaterThanOrEqual(maxBps) {
		c.add(key, "must be below 10000 (100%%), got %s", a.Decimal)
	}
}

func (c *checker) duration(key string, d tomlval.Duration, lowest time.Duration) {
	switch {
	case d.Err() != nil:
		c.add(key, "%v", d.Err())
	case d.Duration < 0:
		c.add(key, "must not be negative, got %s", d.Duration)
	case d.Duration > 0 && d.Duration < lowest:
		c.add(key, "must be at least %s (or 0 for the default), got %s", lowest, d.Duration)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

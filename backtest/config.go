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
	var ps []tomlval.Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, tomlval.Problem{Key: "backtest." + key, Msg: fmt.Sprintf(format, args...)})
	}
	asset := func(key, code string) bool {
		if code == "" || strings.ToUpper(code) != code || strings.ContainsAny(code, " \t:") {
			add(key, "must be an upper-case asset code, got %q", code)
			return false
		}
		return true
	}
	amount := func(key string, a tomlval.Decimal) bool {
		if a.Err() != nil {
			add(key, "%v", a.Err())
			return false
		}
		if a.IsNegative() {
			add(key, "must not be negative, got %s", a.Decimal)
			return false
		}
		return true
	}
	bps := func(key string, a tomlval.Decimal) {
		if amount(key, a) && a.GreaterThanOrEqual(maxBps) {
			add(key, "must be below 10000 (100%%), got %s", a.Decimal)
		}
	}
	duration := func(key string, d tomlval.Duration, lowest time.Duration) {
		switch {
		case d.Err() != nil:
			add(key, "%v", d.Err())
		case d.Duration < 0:
			add(key, "must not be negative, got %s", d.Duration)
		case d.Duration > 0 && d.Duration < lowest:
			add(key, "must be at least %s (or 0 for the default), got %s", lowest, d.Duration)
		}
	}

	refOK := asset("reference", b.Reference)
	if len(b.Balances) == 0 {
		add("balances", `required: the starting balances, e.g. balances = { EUR = "100000" }`)
	}
	for _, code := range sortedKeys(b.Balances) {
		if asset("balances."+code, code) {
			amount("balances."+code, b.Balances[code])
		}
	}

	if len(b.Pairs) == 0 {
		add("pair", "required: at least one [[backtest.pair]] with symbol, base and quote")
	}
	seen := map[string]bool{}
	joined := map[string]bool{} // assets a listed pair joins to the reference
	for i, p := range b.Pairs {
		key := fmt.Sprintf("pair[%d]", i)
		if p.Symbol == "" {
			add(key+".symbol", "is required")
		} else if seen[p.Symbol] {
			add(key+".symbol", "%s is listed twice", p.Symbol)
		}
		seen[p.Symbol] = true
		baseOK, quoteOK := asset(key+".base", p.Base), asset(key+".quote", p.Quote)
		if baseOK && quoteOK && p.Base == p.Quote {
			add(key, "base and quote are both %s", p.Base)
		}
		minOK, maxOK := amount(key+".min_size", p.MinSize), amount(key+".max_size", p.MaxSize)
		if minOK && maxOK && p.MaxSize.IsPositive() && p.MinSize.GreaterThan(p.MaxSize.Decimal) {
			add(key+".min_size", "%s is above max_size %s", p.MinSize.Decimal, p.MaxSize.Decimal)
		}
		minOK, maxOK = amount(key+".min_quote_size", p.MinQuoteSize), amount(key+".max_quote_size", p.MaxQuoteSize)
		if minOK && maxOK && p.MaxQuoteSize.IsPositive() && p.MinQuoteSize.GreaterThan(p.MaxQuoteSize.Decimal) {
			add(key+".min_quote_size", "%s is above max_quote_size %s", p.MinQuoteSize.Decimal, p.MaxQuoteSize.Decimal)
		}
		if p.Quote == b.Reference {
			joined[p.Base] = true
		}
		if p.Base == b.Reference {
			joined[p.Quote] = true
		}
	}
	if refOK {
		// Every asset held or traded must be valued for the equity curve.
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
			add("pair", "%s cannot be valued in %s: list a pair joining them", code, b.Reference)
		}
	}

	duration("venue.latency", b.Venue.Latency, 0)
	bps("venue.slippage_bps", b.Venue.SlippageBps)
	bps("venue.rfq_markup_bps", b.Venue.RFQMarkupBps)
	bps("venue.fee_bps", b.Venue.FeeBps)
	duration("venue.rfq_expiry", b.Venue.RFQExpiry, time.Millisecond)
	duration("equity_interval", b.EquityInterval, time.Second)
	return ps
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package risk

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/scheduler"
)

// Limits configure an Engine; the [risk] section of the configuration.
// Amounts are decimal strings, durations Go duration strings; percentages
// are percent (1.0 = 1%). Start from DefaultLimits.
type Limits struct {
	// Reference is the currency notional limits and caps are in.
	Reference market.Asset `toml:"reference"`
	// MaxOrderNotional bounds one intent's value.
	MaxOrderNotional tomlval.Decimal `toml:"max_order_notional"`
	// MaxDailyNotional bounds the value approved per day.
	MaxDailyNotional tomlval.Decimal `toml:"max_daily_notional"`
	// DayZone is where a day starts: "UTC", a fixed offset or an IANA name.
	DayZone string `toml:"day_zone"`
	// MaxSlippage is the most slippage an intent may allow, in percent.
	MaxSlippage tomlval.Decimal `toml:"max_slippage"`
	// MaxPriceAge is the age past which a price is stale.
	MaxPriceAge tomlval.Duration `toml:"max_price_age"`
	// MaxQuoteDeviation bounds how far an RFQ quote may be from the
	// streaming price, either way, in percent.
	MaxQuoteDeviation tomlval.Decimal `toml:"max_quote_deviation"`
	// MaxOpenIntents bounds the intents in flight, all strategies together.
	MaxOpenIntents int `toml:"max_open_intents"`
	// Breaker is the reject-rate circuit breaker.
	Breaker BreakerLimits `toml:"breaker"`
	// Assets holds per-asset limits, by asset code.
	Assets map[string]AssetLimits `toml:"assets"`
	// Transfers holds the treasury caps.
	Transfers TransferLimits `toml:"transfers"`
}

// BreakerLimits trip the breaker when more than MaxRejects venue rejections
// fall within Window. It stays tripped for Cooldown, or until reset by hand
// when Cooldown is zero.
type BreakerLimits struct {
	MaxRejects int              `toml:"max_rejects"`
	Window     tomlval.Duration `toml:"window"`
	Cooldown   tomlval.Duration `toml:"cooldown"`
}

// AssetLimits are one asset's limits; zero means none.
type AssetLimits struct {
	// MaxPosition bounds the total balance a trade may leave, counting
	// what the intents still in flight bring in.
	MaxPosition tomlval.Decimal `toml:"max_position"`
	// MinBalance is what trades and transfers must leave available.
	MinBalance tomlval.Decimal `toml:"min_balance"`
}

// TransferLimits cap treasury transfers per day, in Limits.Reference.
type TransferLimits struct {
	// MaxDaily caps all transfers together.
	MaxDaily tomlval.Decimal `toml:"max_daily"`
	// Destinations caps each destination by name. A transfer to a
	// destination without a cap is refused.
	Destinations map[string]tomlval.Decimal `toml:"destinations"`
}

// DefaultLimits returns conservative limits: EUR reference, 10 000 per
// order, 100 000 per UTC day, 1% slippage and quote deviation, 10 s price
// age, 10 open intents, a breaker tripping on more than 5 venue rejections
// in 10 minutes for 30 minutes, and 10 000 of transfers per day to
// destinations that must each be given a cap.
func DefaultLimits() Limits {
	dec := func(s string) tomlval.Decimal { return tomlval.Dec(decimal.RequireFromString(s)) }
	return Limits{
		Reference:         "EUR",
		MaxOrderNotional:  dec("10000"),
		MaxDailyNotional:  dec("100000"),
		DayZone:           "UTC",
		MaxSlippage:       dec("1"),
		MaxPriceAge:       tomlval.Dur(10 * time.Second),
		MaxQuoteDeviation: dec("1"),
		MaxOpenIntents:    10,
		Breaker:           BreakerLimits{MaxRejects: 5, Window: tomlval.Dur(10 * time.Minute), Cooldown: tomlval.Dur(30 * time.Minute)},
		Transfers:         TransferLimits{MaxDaily: dec("10000")},
	}
}

// Validate returns every problem, each with its key.
func (l Limits) Validate() error { return tomlval.Problems(l.Problems()).Err("risk") }

// Problems lists every problem, keys relative to the [risk] section.
func (l Limits) Problems() []tomlval.Problem {
	var p tomlval.Problems
	if l.Reference == "" || strings.ToUpper(string(l.Reference)) != string(l.Reference) {
		p.Add("reference", "must be an upper-case asset code, got %q", l.Reference)
	}
	p.Positive("max_order_notional", l.MaxOrderNotional)
	p.Positive("max_daily_notional", l.MaxDailyNotional)
	if _, err := scheduler.ParseZone(l.DayZone); err != nil {
		p.Add("day_zone", "%v", err)
	}
	p.NonNegative("max_slippage", l.MaxSlippage)
	if l.MaxSlippage.GreaterThanOrEqual(decimal.NewFromInt(100)) {
		// A sale at 100 % slippage could fetch nothing: its worst case
		// cannot be priced.
		p.Add("max_slippage", "must be below 100 (percent), got %s", l.MaxSlippage.Decimal)
	}
	p.Positive("max_quote_deviation", l.MaxQuoteDeviation)
	if l.MaxQuoteDeviation.GreaterThan(decimal.NewFromInt(10)) {
		// A quote that far from the streaming price is not a market: a
		// wider bound is no bound.
		p.Add("max_quote_deviation", "must be at most 10 (percent), got %s", l.MaxQuoteDeviation.Decimal)
	}
	// A price age beyond an hour would switch stale-price protection off
	// ("2562047h" is time.Duration's maximum).
	p.DurationIn("max_price_age", l.MaxPriceAge, time.Millisecond, time.Hour)
	if l.MaxOpenIntents <= 0 {
		p.Add("max_open_intents", "must be positive, got %d", l.MaxOpenIntents)
	}
	if l.Breaker.MaxRejects <= 0 {
		p.Add("breaker.max_rejects", "must be positive, got %d", l.Breaker.MaxRejects)
	}
	p.DurationIn("breaker.window", l.Breaker.Window, time.Second, 7*24*time.Hour)
	if p.Duration("breaker.cooldown", l.Breaker.Cooldown) && l.Breaker.Cooldown.Duration < 0 {
		p.Add("breaker.cooldown", "must not be negative (zero: until reset by hand)")
	}
	for _, a := range sorted(l.Assets) {
		key := "assets." + a
		if strings.ToUpper(a) != a {
			p.Add(key, "asset codes are upper case")
		}
		p.NonNegative(key+".max_position", l.Assets[a].MaxPosition)
		p.NonNegative(key+".min_balance", l.Assets[a].MinBalance)
	}
	p.Positive("transfers.max_daily", l.Transfers.MaxDaily)
	for _, dst := range sorted(l.Transfers.Destinations) {
		p.Positive("transfers.destinations."+dst, l.Transfers.Destinations[dst])
	}
	return p
}

// sorted returns m's keys in order, for deterministic validation output.
func sorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package market

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Asset is an asset or currency code as the venue spells it, for example
// "BTC", "USDT" or "EUR". Codes are upper case.
type Asset string

// Side is the direction of a trade from the engine's point of view.
type Side string

// The two sides. Their text is the venue's wire spelling.
const (
	Buy  Side = "buy"
	Sell Side = "sell"
)

// ParseSide parses "buy" or "sell" (any case).
func ParseSide(s string) (Side, error) {
	switch strings.ToLower(s) {
	case "buy":
		return Buy, nil
	case "sell":
		return Sell, nil
	}
	return "", fmt.Errorf("market: side %q is neither buy nor sell", s)
}

// Opposite returns the other side.
func (s Side) Opposite() Side {
	if s == Buy {
		return Sell
	}
	return Buy
}

// Pair is a tradable pair with the venue's size limits. Size is in the base
// asset; quote size is in the quote currency. A zero limit means none.
type Pair struct {
	Symbol       string // venue name, for example "BTCUSDT"
	Base         Asset  // asset bought or sold
	Quote        Asset  // currency it is priced in
	MinSize      decimal.Decimal
	MaxSize      decimal.Decimal
	MinQuoteSize decimal.Decimal
	MaxQuoteSize decimal.Decimal
}

// ErrSizeOutOfRange is returned by CheckSize for a size outside the pair's limits.
var ErrSizeOutOfRange = errors.New("market: size outside the pair's limits")

// CheckSize reports whether size (base asset) is within the pair's limits:
// SizeProblem's text wrapping ErrSizeOutOfRange.
func (p Pair) CheckSize(size decimal.Decimal) error {
	if why := p.SizeProblem(size); why != "" {
		return fmt.Errorf("%s: %w", why, ErrSizeOutOfRange)
	}
	return nil
}

// SizeProblem says how size (base asset) is outside the pair's limits,
// or "" when it is within them.
func (p Pair) SizeProblem(size decimal.Decimal) string {
	switch {
	case !size.IsPositive():
		return fmt.Sprintf("%s size %s", p.Symbol, size)
	case !p.MinSize.IsZero() && size.LessThan(p.MinSize):
		return fmt.Sprintf("%s size %s below minimum %s", p.Symbol, size, p.MinSize)
	case !p.MaxSize.IsZero() && size.GreaterThan(p.MaxSize):
		return fmt.Sprintf("%s size %s above maximum %s", p.Symbol, size, p.MaxSize)
	}
	return ""
}

// Tick is one price observation for a pair: the price at which the engine
// can buy (the venue's ask) and sell (the venue's bid) a given size.
type Tick struct {
	Pair      string
	Size      decimal.Decimal // size the prices are for, base asset; zero if unknown
	BuyPrice  decimal.Decimal
	SellPrice decimal.Decimal
	Time      time.Time // venue time of the price
	Received  time.Time // local time the engine received it
}

// Mid returns the midpoint of the buy and sell prices, as Div by two
// gives it: rounded to decimal.DivisionPrecision places.
func (t Tick) Mid() decimal.Decimal {
	sum := t.BuyPrice.Add(t.SellPrice)
	// A sum with at least one place fewer than Div keeps has an exact half
	// within them, so Div would not round it: multiplying by 0.5 gives the
	// same value without Div's long division, the costly part (strategies
	// and risk value every asset at mids, on every check).
	if sum.Exponent() > -int32(decimal.DivisionPrecision) {
		return sum.Mul(decimal.New(5, -1))
	}
	return sum.Div(decimal.NewFromInt(2))
}

// CommonQuotes are the currencies venue pairs are usually quoted in, for
// SplitSymbol when a configuration names no other.
var CommonQuotes = []Asset{"USDT", "USDC", "EUR", "USD", "GBP", "CHF", "BTC", "ETH"}

// SplitSymbol reads a pair symbol ("BTCUSDT") as base and quote, knowing
// only asset codes: the quote is the longest known code the symbol ends
// with, leaving a base; a base that is itself known is preferred. ok is
// false when no known code fits. Where the venue's own listing is at hand,
// use it instead: a symbol alone can be ambiguous.
func SplitSymbol(symbol string, known []Asset) (p Pair, ok bool) {
	for _, q := range known {
		base, found := strings.CutSuffix(symbol, string(q))
		if !found || base == "" || len(q) < len(p.Quote) {
			continue
		}
		better := !ok || len(q) > len(p.Quote) || slices.Contains(known, Asset(base)) && !slices.Contains(known, p.Base)
		if better {
			p, ok = Pair{Symbol: symbol, Base: Asset(base), Quote: q}, true
		}
	}
	return p, ok
}

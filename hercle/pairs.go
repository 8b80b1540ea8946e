package hercle

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Pair is a tradable pair with its size limits (GET /api/v1/pairs).
type Pair struct {
	Name         string `json:"name"`     // "BTCUSDT"
	Asset        string `json:"asset"`    // base asset
	Currency     string `json:"currency"` // quote currency
	MinSize      Number `json:"minSize"`  // base asset
	MaxSize      Number `json:"maxSize"`
	MinQuoteSize Number `json:"minQuoteSize"` // quote currency
	MaxQuoteSize Number `json:"maxQuoteSize"`
}

// Market converts the pair to the engine's vocabulary.
func (p Pair) Market() market.Pair {
	return market.Pair{
		Symbol:       p.Name,
		Base:         market.Asset(p.Asset),
		Quote:        market.Asset(p.Currency),
		MinSize:      p.MinSize.Decimal,
		MaxSize:      p.MaxSize.Decimal,
		MinQuoteSize: p.MinQuoteSize.Decimal,
		MaxQuoteSize: p.MaxQuoteSize.Decimal,
	}
}

// SizeQuote is the base-asset size a quote-currency amount buys or sells
// (GET /api/v1/pairs/{pair}/{side}/{amount}).
//
// The docs name the time key "timeStamp", the collection's sample
// "timestamp"; each spelling has its own field and Time returns whichever
// was sent, so re-encoding keeps the venue's spelling.
type SizeQuote struct {
	ID        string `json:"id"`
	Pair      string `json:"pair"`
	Price     Number `json:"price"`
	Size      Number `json:"size"`
	TimeStamp Time   `json:"timeStamp,omitzero"` // documentation site
	Timestamp Time   `json:"timestamp,omitzero"` // collection sample
}

// Time returns the quote's timestamp under either spelling.
func (q SizeQuote) Time() Time { return either(q.TimeStamp, q.Timestamp) }

// PriceQuote is a price for a pair and size (GET /api/v1/price/{pair}/{size}).
// ID is the priceId for PlaceOrder. Time keys as in SizeQuote.
type PriceQuote struct {
	ID        string `json:"id"`
	Size      Number `json:"size"`
	Pair      string `json:"pair"`
	BuyPrice  Number `json:"buyPrice"`
	SellPrice Number `json:"sellPrice"`
	MarkPrice Number `json:"markPrice"`
	TimeStamp Time   `json:"timeStamp,omitzero"` // documentation site
	Timestamp Time   `json:"timestamp,omitzero"` // collection sample
}

// Time returns the quote's timestamp under either spelling.
func (q PriceQuote) Time() Time { return either(q.TimeStamp, q.Timestamp) }

func either(a, b Time) Time {
	if !a.IsZero() {
		return a
	}
	return b
}

// Pairs lists the tradable pairs.
func (c *Client) Pairs(ctx context.Context) ([]Pair, error) {
	var out []Pair
	return out, c.do(ctx, request{route: routePairs}, &out)
}

// PairSizeByAmount returns the size that amount (in the quote currency)
// buys or sells on pair.
func (c *Client) PairSizeByAmount(ctx context.Context, pair string, side market.Side, amount decimal.Decimal) (SizeQuote, error) {
	var out SizeQuote
	if err := checkSide(side); err != nil {
		return out, err
	}
	if !amount.IsPositive() {
		return out, fmt.Errorf("%w: amount %s is not positive", ErrInvalidInput, amount)
	}
	return out, c.do(ctx, request{route: routePairSizeByAmount, args: []string{pair, string(side), amount.String()}}, &out)
}

// Price returns a quote for size (base asset) of pair.
func (c *Client) Price(ctx context.Context, pair string, size decimal.Decimal) (PriceQuote, error) {
	var out PriceQuote
	if !size.IsPositive() {
		return out, fmt.Errorf("%w: size %s is not positive", ErrInvalidInput, size)
	}
	return out, c.do(ctx, request{route: routePrice, args: []string{pair, size.String()}}, &out)
}

// Networks lists the networks asset can move on, spelled as the venue
// expects them in requests.
func (c *Client) Networks(ctx context.Context, asset string) ([]string, error) {
	var out []string
	return out, c.do(ctx, request{route: routeNetworks, args: []string{asset}}, &out)
}

func checkSide(s market.Side) error {
	if s != market.Buy && s != market.Sell {
		return fmt.Errorf("%w: side %q is neither buy nor sell", ErrInvalidInput, s)
	}
	return nil
}

// checkAmount refuses a missing or non-positive amount before it is sent.
func checkAmount(what string, n Number) error {
	if !n.IsPositive() {
		return fmt.Errorf("%w: %s %s is not positive", ErrInvalidInput, what, n)
	}
	return nil
}

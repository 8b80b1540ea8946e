package strategy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Path is the venue route an intent takes.
type Path string

// The two routes on Hercle.
const (
	// RFQ asks for a quote, checks it against the streaming price and the
	// intent's limit, then accepts it.
	RFQ Path = "rfq"
	// OTC places an order against a price quote with a maximum slippage.
	OTC Path = "otc"
)

// ParsePath reads "rfq" or "otc" (any case).
func ParsePath(s string) (Path, error) {
	switch p := Path(strings.ToLower(s)); p {
	case RFQ, OTC:
		return p, nil
	}
	return "", fmt.Errorf("path %q must be \"rfq\" or \"otc\"", s)
}

// Intent is a strategy's request to trade. It is a value: the strategy that
// returns it keeps no reference to it, and execution identifies it by ID.
//
// Exactly one of Size (base asset) and Amount (quote currency) is positive.
// Size is the usual form; Amount is for a venue that sizes by what is spent
// or received in the quote currency ("buy EUR with 1000 USDT").
type Intent struct {
	// ID is the Client-Id. Strategies leave it empty; execution assigns it
	// and records it in the ledger before anything is sent. Outcomes carry it.
	ID string
	// Strategy is the name of the instance that created the intent.
	Strategy string
	// Ref is the strategy's own reference ("slice 3/24"), unique among the
	// instance's intents in one run; it lets the strategy match outcomes.
	Ref string
	// Pair is the venue symbol, for example "BTCEUR".
	Pair string
	// Side is buy or sell of the pair's base asset.
	Side market.Side
	// Size is the base amount; zero when Amount is used.
	Size decimal.Decimal
	// Amount is the quote amount; zero when Size is used.
	Amount decimal.Decimal
	// Path is RFQ or OTC.
	Path Path
	// MaxSlippage is a percentage: 1.0 means 1%. On the OTC path it bounds
	// the fill against the price quote; on the RFQ path it bounds how far
	// the quote may be from the streaming price.
	MaxSlippage decimal.Decimal
	// LimitPrice, if positive, is the worst acceptable price: a buy quote
	// above it or a sell quote below it is declined.
	LimitPrice decimal.Decimal
	// Reason says why the strategy wants the trade; it goes to logs.
	Reason string
}

// Validate reports every structural problem of the intent. It does not look
// at prices, balances or limits: that is risk's job.
func (in Intent) Validate() error {
	var errs []error
	if in.Strategy == "" {
		errs = append(errs, errors.New("strategy is empty"))
	}
	if in.Pair == "" {
		errs = append(errs, errors.New("pair is empty"))
	}
	if in.Side != market.Buy && in.Side != market.Sell {
		errs = append(errs, fmt.Errorf("side %q is neither buy nor sell", in.Side))
	}
	if in.Path != RFQ && in.Path != OTC {
		errs = append(errs, fmt.Errorf("path %q is neither rfq nor otc", in.Path))
	}
	switch {
	case in.Size.IsPositive() && in.Amount.IsZero(), in.Amount.IsPositive() && in.Size.IsZero():
	default:
		errs = append(errs, fmt.Errorf("exactly one of size (%s) and amount (%s) must be positive", in.Size, in.Amount))
	}
	if in.MaxSlippage.IsNegative() {
		errs = append(errs, fmt.Errorf("max slippage %s is negative", in.MaxSlippage))
	}
	if in.LimitPrice.IsNegative() {
		errs = append(errs, fmt.Errorf("limit price %s is negative", in.LimitPrice))
	}
	return errors.Join(errs...)
}

// String describes the intent for logs: "rebalance-main buy 0.5 BTCEUR rfq".
func (in Intent) String() string {
	qty := in.Size.String()
	if in.Size.IsZero() {
		qty = in.Amount.String() + " (quote)"
	}
	return fmt.Sprintf("%s %s %s %s %s", in.Strategy, in.Side, qty, in.Pair, in.Path)
}

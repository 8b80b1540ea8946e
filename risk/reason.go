package risk

import (
	"fmt"

	"github.com/otcdesk/engine/strategy"
)

// Reason is why a check refused. Its String is the metrics label.
type Reason int

// Reasons, one per check.
const (
	// Invalid: the intent or transfer is malformed.
	Invalid Reason = iota + 1
	// KillSwitch: trading and transfers are stopped by hand.
	KillSwitch
	// Maintenance: the maintenance gate is closed.
	Maintenance
	// CircuitBreaker: too many venue rejections in the window.
	CircuitBreaker
	// UnknownPair: the pair is not listed.
	UnknownPair
	// NoPrice: no price to check or value against.
	NoPrice
	// StalePrice: the price is older than Limits.MaxPriceAge.
	StalePrice
	// PairSize: outside the pair's size limits.
	PairSize
	// Slippage: the intent allows more slippage than Limits.MaxSlippage,
	// or a quote is worse than the intent's slippage allows.
	Slippage
	// OrderNotional: above Limits.MaxOrderNotional.
	OrderNotional
	// DailyNotional: the day's traded notional would exceed Limits.MaxDailyNotional.
	DailyNotional
	// OpenIntents: Limits.MaxOpenIntents are already open.
	OpenIntents
	// Balance: more than the available balance.
	Balance
	// MinBalance: it would leave less than the asset's minimum balance.
	MinBalance
	// Position: it would hold more than the asset's maximum position.
	Position
	// QuoteDeviation: an RFQ quote is too far from the streaming price.
	QuoteDeviation
	// LimitPrice: an RFQ quote is worse than the intent's limit price.
	LimitPrice
	// QuoteExpired: an RFQ quote is past its expiry.
	QuoteExpired
	// DestinationCap: a transfer destination has no cap, or its daily cap
	// would be exceeded.
	DestinationCap
	// TransferCap: the global daily transfer cap would be exceeded.
	TransferCap
	// CountersUnavailable: the daily counters could not be read or written.
	CountersUnavailable
)

var reasonNames = [...]string{
	Invalid:             "invalid",
	KillSwitch:          "kill_switch",
	Maintenance:         "maintenance",
	CircuitBreaker:      "circuit_breaker",
	UnknownPair:         "unknown_pair",
	NoPrice:             "no_price",
	StalePrice:          "stale_price",
	PairSize:            "pair_size",
	Slippage:            "slippage",
	OrderNotional:       "order_notional",
	DailyNotional:       "daily_notional",
	OpenIntents:         "open_intents",
	Balance:             "balance",
	MinBalance:          "min_balance",
	Position:            "position",
	QuoteDeviation:      "quote_deviation",
	LimitPrice:          "limit_price",
	QuoteExpired:        "quote_expired",
	DestinationCap:      "destination_cap",
	TransferCap:         "transfer_cap",
	CountersUnavailable: "counters_unavailable",
}

// String returns the reason's snake_case name.
func (r Reason) String() string {
	if r > 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Rejection is the error every check returns when it refuses. Use errors.As
// to branch on Reason. Intent is set for intent and quote checks, Transfer
// for transfer checks.
type Rejection struct {
	Reason   Reason
	Intent   strategy.Intent
	Transfer Transfer
	Detail   string
	Err      error // underlying cause, for CountersUnavailable
}

// Error describes the rejection; it names the intent or transfer, never a secret.
func (r *Rejection) Error() string {
	what := r.Intent.String()
	if r.Transfer.Destination != "" {
		what = r.Transfer.String()
	}
	msg := fmt.Sprintf("risk: %s rejected: %s: %s", what, r.Reason, r.Detail)
	if r.Err != nil {
		msg += ": " + r.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (r *Rejection) Unwrap() error { return r.Err }

package sim

import (
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
)

// Defaults used for zero Options fields.
const (
	DefaultQuoteTTL        = 10 * time.Second
	DefaultRFQExpiry       = 30 * time.Second
	DefaultCustomRFQExpiry = 15 * time.Second
	MaxCustomRFQExpiry     = 240 * time.Second
	DefaultPendingFor      = 2 * time.Second
	DefaultConfirmAfter    = 10 * time.Second
	DefaultSettleAfter     = 60 * time.Second
	DefaultPriceStep       = time.Second
	DefaultRetryAfter      = time.Second
	// DedupWindow is how long a Client-Id is remembered when Dedup is on.
	DedupWindow = 6 * time.Hour
)

// Options configures a Venue and the Server around it. The zero value is
// usable: default pairs and balances, seed 0, real clock, no deduplication,
// no faults.
type Options struct {
	// Addr is the Server's listen address; it must be loopback. Empty means
	// 127.0.0.1:0.
	Addr string
	// APIKey is the Bearer token the Server accepts. Empty means a random
	// key per Start, from crypto/rand.
	APIKey string
	// Seed drives prices, ids, order outcomes and faults.
	Seed uint64
	// Dedup remembers Client-Ids for DedupWindow and answers a repeat with
	// the original result, as the Hercle sandbox does. False behaves like
	// production: a repeated Client-Id executes again.
	Dedup bool
	// Clock is the venue clock; the zero value is the system clock. Prices
	// walk, quotes and RFQs expire, and orders and withdrawals settle as it
	// advances.
	Clock clock.Clock
	// Pairs replaces the default pairs (BTCUSDT, BTCEUR, ETHUSDT, ETHEUR).
	Pairs []PairConfig
	// Balances replaces the default opening balances.
	Balances map[market.Asset]decimal.Decimal

	// QuoteTTL is how long a price quote id can be ordered against.
	QuoteTTL time.Duration
	// RFQExpiry is the lifetime of a standard RFQ.
	RFQExpiry time.Duration
	// PendingProbability is the chance an order or RFQ accept stays
	// Created or Pending for PendingFor before it settles; CancelProbability
	// the chance such an order ends Cancelled instead of Executed. Both
	// default to 0, so paper trading fills at once.
	PendingProbability float64
	CancelProbability  float64
	PendingFor         time.Duration
	// ConfirmAfter and SettleAfter time a withdrawal or transfer: CREATED,
	// CONFIRMING after ConfirmAfter, final after SettleAfter. Instant and
	// Lightning withdrawals take a tenth of each.
	ConfirmAfter time.Duration
	SettleAfter  time.Duration
	// WithdrawalFailureRate is the chance a withdrawal ends FAILURE (the
	// amount is refunded).
	WithdrawalFailureRate float64
	// WithdrawalFee is the network fee each crypto withdrawal reports, in
	// its asset, kept out of what reaches the address; zero: none (a fee
	// as large as the amount is not charged).
	WithdrawalFee decimal.Decimal
	// AutoApproveWhitelist approves whitelist requests at once; otherwise
	// they stay Pending until ApproveWhitelist.
	AutoApproveWhitelist bool
	// AutoApprovePayees approves each payee address as it is registered:
	// it is created CREATED and moves to APPROVED at once, two events (two
	// Payee.StatusUpdated webhooks). Otherwise it stays CREATED until
	// ApprovePayeeAddress or SetPayeeAddressStatus.
	AutoApprovePayees bool

	// FlatErrors answers errors in the guide's flat {"code","message"} form
	// with its upper-case codes instead of the documentation site's
	// {"error":{code,message,param,type}}.
	FlatErrors bool
	// Faults injects failures into the REST server.
	Faults Faults
	// Maintenance reports whether the venue is in a maintenance window at
	// a time of its clock; the server then answers the REST API with 503
	// and the hub refuses and drops its connections (unless Hub has its
	// own). Nil means never. Config.MaintenanceWindow builds it from the
	// [maintenance] section.
	Maintenance func(time.Time) bool
	// Hub configures the SignalR hub Start serves at HubPath next to the
	// REST API. Its APIKey is ignored: the hub accepts the server's key.
	Hub HubOptions
	// LightningNetwork is the network of the invoices the LNURL-pay
	// service issues: mainnet (the default, lnbc: Hercle is a mainnet
	// venue), testnet (lntb), signet (lntbs) or regtest (lnbcrt).
	LightningNetwork string
	// LNURL configures the LNURL-pay service served at LNURLPayPath.
	LNURL LNURLOptions
	// Webhooks, with a URL, sends a signed webhook for each state change
	// of the venue (see WebhookEmitter; Server.Webhooks returns it).
	Webhooks WebhookOptions
	// Logger receives the server's request errors; nil discards.
	Logger *slog.Logger
}

// Faults are the Server's injected failures. Rates are probabilities per
// request (their sum at most 1), drawn from the seeded source.
type Faults struct {
	// RateLimited answers 429 with a Retry-After of RetryAfter.
	RateLimited float64
	// ResetBeforeRead resets the connection before the request body is
	// read: nothing is applied.
	ResetBeforeRead float64
	// ErrorAfterApply applies the request, then answers 500.
	ErrorAfterApply float64
	// Latency is added to every response.
	Latency time.Duration
	// RetryAfter is sent with 429; zero means DefaultRetryAfter.
	RetryAfter time.Duration
}

// PairConfig is a tradable pair and where its price walk starts.
type PairConfig struct {
	market.Pair
	// Mid is the opening mid price, in the quote currency.
	Mid decimal.Decimal
	// SpreadBps is the full buy-sell spread in basis points at the
	// minimum size; it widens linearly to twice that at the maximum size.
	SpreadBps int64
	// VolatilityBps is the standard deviation of one price step.
	VolatilityBps int64
	// Decimals is the number of decimals prices are rounded to.
	Decimals int32
}

// WeeklyWindow returns a Maintenance func for a weekly window: from start
// (time of day) on day, for d, in loc. Hercle's guide announces Wednesday
// 10:00-11:00 GMT+1: WeeklyWindow(time.Wednesday, 10*time.Hour, time.Hour,
// time.FixedZone("GMT+1", 3600)).
func WeeklyWindow(day time.Weekday, start, d time.Duration, loc *time.Location) func(time.Time) bool {
	return func(t time.Time) bool {
		t = t.In(loc)
		midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		for back := 0; back < 8; back++ {
			day0 := midnight.AddDate(0, 0, -back)
			if day0.Weekday() != day {
				continue
			}
			from := day0.Add(start)
			if !t.Before(from) && t.Before(from.Add(d)) {
				return true
			}
		}
		return false
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// DefaultPairs are the pairs a Venue lists when Options.Pairs is empty.
func DefaultPairs() []PairConfig {
	mk := func(sym string, base, quote market.Asset, minSize, maxSize, mid string, decimals int32) PairConfig {
		return PairConfig{
			Pair: market.Pair{Symbol: sym, Base: base, Quote: quote,
				MinSize: dec(minSize), MaxSize: dec(maxSize), MinQuoteSize: dec("15"), MaxQuoteSize: dec("1200000")},
			Mid: dec(mid), SpreadBps: 10, VolatilityBps: 5, Decimals: decimals,
		}
	}
	return []PairConfig{
		mk("BTCUSDT", "BTC", "USDT", "0.0001", "20", "60000", 2),
		mk("BTCEUR", "BTC", "EUR", "0.0001", "20", "55000", 2),
		mk("ETHUSDT", "ETH", "USDT", "0.001", "300", "3000", 2),
		mk("ETHEUR", "ETH", "EUR", "0.001", "300", "2750", 2),
		// A stablecoin against the euro: values USDT (customer payouts,
		// settlements, BTCUSDT trades) in an EUR reference.
		mk("USDTEUR", "USDT", "EUR", "16", "1200000", "0.92", 5),
	}
}

// DefaultBalances are the opening balances when Options.Balances is nil.
func DefaultBalances() map[market.Asset]decimal.Decimal {
	return map[market.Asset]decimal.Decimal{
		"BTC":  dec("10"),
		"ETH":  dec("100"),
		"USDT": dec("1000000"),
		"EUR":  dec("1000000"),
		"GBP":  dec("100000"),
		"USD":  dec("100000"),
	}
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if len(o.Pairs) == 0 {
		o.Pairs = DefaultPairs()
	}
	if o.Balances == nil {
		o.Balances = DefaultBalances()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.QuoteTTL, DefaultQuoteTTL)
	def(&o.RFQExpiry, DefaultRFQExpiry)
	def(&o.PendingFor, DefaultPendingFor)
	def(&o.ConfirmAfter, DefaultConfirmAfter)
	def(&o.SettleAfter, DefaultSettleAfter)
	def(&o.Faults.RetryAfter, DefaultRetryAfter)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

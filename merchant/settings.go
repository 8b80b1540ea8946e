package merchant

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// Settings is the [heropayments] section: the connection to the
// Heropayments API, the callback endpoint, the status-poll fallback and
// the daily withdrawal limits mirrored locally. The API key and secret come
// from HEROPAYMENTS_API_KEY and HEROPAYMENTS_API_SECRET (or their _FILE
// forms), never from this file. Treasury's settlement policies name their
// own flow and customer id; this section is how the engine reaches the API
// and hears back from it.
type Settings struct {
	// Enabled starts the client, the callback endpoint and the processor.
	Enabled bool `toml:"enabled"`
	// BaseURL is the API host; empty means https://api.heropayments.io in
	// live mode and the embedded simulator in paper mode.
	BaseURL string `toml:"base_url"`
	// Flow is "v2" (deposits converted to the merchant's USDT) or
	// "custody".
	Flow string `toml:"flow"`
	// CallbackPath is where the daemon's webhook listener mounts the
	// callback endpoint.
	CallbackPath string `toml:"callback_path"`
	// CallbackURL is the public URL of that endpoint, sent as callbackUrl
	// with the deposits the engine creates; empty sends none (the account's
	// default callback URL applies).
	CallbackURL string `toml:"callback_url"`
	// PollAfter is how long a payment may go without a final callback
	// before its status is looked up; PollEvery the interval between
	// lookups of one payment.
	PollAfter tomlval.Duration `toml:"poll_after"`
	PollEvery tomlval.Duration `toml:"poll_every"`
	// Timeout, RateLimit, Burst and MaxRetries tune the REST client as
	// their [hercle] namesakes do.
	Timeout    tomlval.Duration `toml:"timeout"`
	RateLimit  float64          `toml:"rate_limit"`
	Burst      int              `toml:"burst"`
	MaxRetries int              `toml:"max_retries"`
	// LimitsCurrency, MerchantDailyLimit and CustomerDailyLimit mirror
	// the daily withdrawal limits set at Heropayments (for the whole
	// merchant account, and per customerId), so a withdrawal over either
	// is refused before any request. Both zero: no local limits; otherwise
	// both must be positive and the customer's at most the merchant's.
	LimitsCurrency     string          `toml:"limits_currency"`
	MerchantDailyLimit tomlval.Decimal `toml:"merchant_daily_limit"`
	CustomerDailyLimit tomlval.Decimal `toml:"customer_daily_limit"`
}

// DefaultSettings returns the section's defaults: disabled, V2 flow,
// callbacks at /callbacks/heropayments, lookups after 15 minutes without a
// final callback and every 5 minutes after that, limits in USDT.
func DefaultSettings() Settings {
	return Settings{
		Flow:           "v2",
		CallbackPath:   "/callbacks/heropayments",
		PollAfter:      tomlval.Dur(15 * time.Minute),
		PollEvery:      tomlval.Dur(5 * time.Minute),
		Timeout:        tomlval.Dur(15 * time.Second),
		RateLimit:      5,
		Burst:          5,
		MaxRetries:     3,
		LimitsCurrency: "USDT",
	}
}

// HasLimits reports whether local daily limits are configured.
func (h Settings) HasLimits() bool {
	return h.MerchantDailyLimit.IsPositive() || h.CustomerDailyLimit.IsPositive()
}

// Problems lists the section's problems, keys relative to it. Values are checked whether or not the section is
// enabled, so a mistake does not wait for the day it is switched on.
func (h Settings) Problems() []tomlval.Problem {
	var ps []tomlval.Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, tomlval.Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	switch h.Flow {
	case "v2", "custody":
	default:
		add("flow", `must be "v2" or "custody", got %q`, h.Flow)
	}
	if h.BaseURL != "" {
		if msg := venuehttp.CheckBaseURL(h.BaseURL, "HEROPAYMENTS_API_KEY"); msg != "" {
			add("base_url", "%s", msg)
		}
	}
	if !strings.HasPrefix(h.CallbackPath, "/") || strings.ContainsAny(h.CallbackPath, "?# ") {
		add("callback_path", `must be a URL path starting with "/", got %q`, h.CallbackPath)
	}
	if h.CallbackURL != "" {
		if msg := venuehttp.CheckBaseURL(h.CallbackURL, ""); msg != "" {
			add("callback_url", "%s", msg)
		}
	}
	for _, d := range []struct {
		key string
		v   tomlval.Duration
		min time.Duration
	}{{"poll_after", h.PollAfter, time.Second}, {"poll_every", h.PollEvery, time.Second}, {"timeout", h.Timeout, time.Millisecond}} {
		switch {
		case d.v.Err() != nil:
			add(d.key, "%v", d.v.Err())
		case d.v.Duration < d.min:
			add(d.key, "must be at least %s, got %s", d.min, d.v.Duration)
		}
	}
	// NaN or infinity would switch the rate limiter off.
	if r := h.RateLimit; math.IsNaN(r) || math.IsInf(r, 0) || r <= 0 || r > 10_000 {
		add("rate_limit", "must be a positive number of requests per second, at most 10000, got %v", r)
	}
	if h.Burst < 1 {
		add("burst", "must be at least 1, got %d", h.Burst)
	}
	if h.MaxRetries < 0 || h.MaxRetries > 10 {
		add("max_retries", "must be from 0 to 10, got %d", h.MaxRetries)
	}
	m, c := h.MerchantDailyLimit, h.CustomerDailyLimit
	for _, a := range []struct {
		key string
		v   tomlval.Decimal
	}{{"merchant_daily_limit", m}, {"customer_daily_limit", c}} {
		switch {
		case a.v.Err() != nil:
			add(a.key, "%v", a.v.Err())
		case a.v.IsNegative():
			add(a.key, "must not be negative, got %s", a.v.Decimal)
		}
	}
	if m.Err() == nil && c.Err() == nil && h.HasLimits() {
		switch {
		case !m.IsPositive() || !c.IsPositive():
			add("merchant_daily_limit", "set both merchant_daily_limit and customer_daily_limit (the limits Heropayments applies), or neither")
		case c.GreaterThan(m.Decimal):
			add("customer_daily_limit", "%s exceeds merchant_daily_limit %s", c.Decimal, m.Decimal)
		}
		if !validCurrency(h.LimitsCurrency) {
			add("limits_currency", "must be an upper-case currency code such as \"USDT\", got %q", h.LimitsCurrency)
		}
	}
	return ps
}

func validCurrency(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

package hercle

import (
	"math"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// Settings is the [hercle] section: how the REST client reaches the venue.
// In paper mode Environment and BaseURL are ignored: the client talks to
// the embedded simulator. The API key comes from HERCLE_API_KEY, never
// from the file.
type Settings struct {
	// Environment is "sandbox" or "production". Required in live mode.
	Environment string `toml:"environment"`
	// BaseURL overrides Environment, for a proxy or a standalone simulator.
	BaseURL string `toml:"base_url"`
	// Timeout bounds each request, retries included.
	Timeout tomlval.Duration `toml:"timeout"`
	// RateLimit is the client-side ceiling in requests per second.
	RateLimit float64 `toml:"rate_limit"`
	// Burst is how many requests may go at once above the steady rate.
	Burst int `toml:"burst"`
	// MaxRetries bounds automatic retries of a request that provably was
	// not processed (and of reads). Money-moving requests are never
	// retried blindly.
	MaxRetries int `toml:"max_retries"`
}

// DefaultSettings is the section a file leaves out.
func DefaultSettings() Settings {
	return Settings{Timeout: tomlval.Dur(10 * time.Second), RateLimit: 10, Burst: 5, MaxRetries: 4}
}

// Problems lists what is wrong with the section, keys relative to it.
func (s Settings) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	switch s.Environment {
	case "", "sandbox", "production":
	default:
		ps.Add("environment", `must be "sandbox" or "production", got %q`, s.Environment)
	}
	if s.BaseURL != "" {
		if msg := venuehttp.CheckBaseURL(s.BaseURL, "HERCLE_API_KEY"); msg != "" {
			ps.Add("base_url", "%s", msg)
		}
	}
	ps.DurationIn("timeout", s.Timeout, time.Millisecond, 10*time.Minute)
	// NaN or infinity would switch the rate limiter off.
	if r := s.RateLimit; math.IsNaN(r) || math.IsInf(r, 0) || r <= 0 || r > 10_000 {
		ps.Add("rate_limit", "must be a positive number of requests per second, at most 10000, got %v", r)
	}
	if s.Burst < 1 || s.Burst > 10_000 {
		ps.Add("burst", "must be at least 1 and at most 10000, got %d", s.Burst)
	}
	if s.MaxRetries < 0 || s.MaxRetries > 10 {
		ps.Add("max_retries", "must be from 0 to 10, got %d", s.MaxRetries)
	}
	return ps
}

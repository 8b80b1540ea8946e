package sim

import (
	"net"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// Config configures the venue simulator (paper mode and `engine sim`).
type Config struct {
	// Addr is the listen address; it must be a loopback address.
	Addr string `toml:"addr"`
	// Seed makes prices, ids and faults reproducible.
	Seed int64 `toml:"seed"`
	// Dedup enables Client-Id deduplication (6 h), as the Hercle sandbox does.
	// Production does not deduplicate; set false to behave like it.
	Dedup  bool         `toml:"dedup"`
	Faults FaultsConfig `toml:"faults"`
}

// FaultsConfig injects failures into the simulator. Rates are probabilities per
// request, from 0 to 1.
type FaultsConfig struct {
	// RateLimited answers 429 with Retry-After.
	RateLimited float64 `toml:"rate_limited"`
	// ResetBeforeRead closes the connection before reading the request.
	ResetBeforeRead float64 `toml:"reset_before_read"`
	// ErrorAfterApply applies a request, then answers 5xx.
	ErrorAfterApply float64 `toml:"error_after_apply"`
	// Latency is added to every response.
	Latency tomlval.Duration `toml:"latency"`
}

// DefaultConfig is the section a file leaves out: a free loopback port,
// seed 1, Client-Id deduplication as the sandbox does, no faults.
func DefaultConfig() Config { return Config{Addr: "127.0.0.1:0", Seed: 1, Dedup: true} }

// Problems lists what is wrong with the section, keys relative to it.
func (c Config) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	if host, _, err := net.SplitHostPort(c.Addr); err != nil {
		ps.Add("addr", "must be host:port, got %q", c.Addr)
	} else if !venuehttp.IsLoopback(host) {
		ps.Add("addr", "must be a loopback address (the simulator is for this machine only), got %q", c.Addr)
	}
	f := c.Faults
	ps.Finite("faults.rate_limited", f.RateLimited, 0, 1)
	ps.Finite("faults.reset_before_read", f.ResetBeforeRead, 0, 1)
	ps.Finite("faults.error_after_apply", f.ErrorAfterApply, 0, 1)
	if sum := f.RateLimited + f.ResetBeforeRead + f.ErrorAfterApply; sum > 1 {
		ps.Add("faults", "fault rates add up to %v; their sum must be at most 1", sum)
	}
	ps.DurationIn("faults.latency", f.Latency, 0, time.Minute)
	return ps
}

// Options returns the simulator's Options for the section.
func (c Config) Options() Options {
	return Options{
		Addr:  c.Addr,
		Seed:  uint64(c.Seed),
		Dedup: c.Dedup,
		Faults: Faults{
			RateLimited:     c.Faults.RateLimited,
			ResetBeforeRead: c.Faults.ResetBeforeRead,
			ErrorAfterApply: c.Faults.ErrorAfterApply,
			Latency:         c.Faults.Latency.Duration,
		},
	}
}

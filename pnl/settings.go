package pnl

import (
	"fmt"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/portfolio"
	"github.com/otcdesk/engine/scheduler"
)

// Settings is the [portfolio] section. The reference currency and the day
// zone are risk's (risk.reference, risk.day_zone), so that PnL and risk's
// limits agree on what a euro and a day are.
type Settings struct {
	// Method is how disposals are costed: "fifo" or "average".
	Method string `toml:"method"`
}

// DefaultSettings returns FIFO.
func DefaultSettings() Settings { return Settings{Method: string(portfolio.FIFO)} }

// Problems returns what is wrong with s, keyed within the section.
func (s Settings) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	if _, err := portfolio.ParseMethod(s.Method); err != nil {
		ps.Add("method", `must be "fifo" or "average", got %q`, s.Method)
	}
	return ps
}

// Config returns the book's configuration in reference, days in dayZone
// (as risk.day_zone writes it).
func (s Settings) Config(reference market.Asset, dayZone string) (portfolio.Config, error) {
	m, err := portfolio.ParseMethod(s.Method)
	if err != nil {
		return portfolio.Config{}, fmt.Errorf("portfolio.method: %w", err)
	}
	zone, err := scheduler.ParseZone(dayZone)
	if err != nil {
		return portfolio.Config{}, fmt.Errorf("risk.day_zone: %w", err)
	}
	cfg := portfolio.Config{Reference: reference, Method: m, DayZone: zone}
	return cfg, cfg.Validate()
}

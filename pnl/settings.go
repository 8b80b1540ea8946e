package pnl

import (
	"fmt"
	"time"

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
	// SummaryEvery is how often the daemon logs its one-line summary
	// (state, equity, PnL, open intents, the last reconciliation); zero
	// logs none.
	SummaryEvery tomlval.Duration `toml:"summary_every"`
}

// DefaultSettings returns FIFO and a summary line every minute.
func DefaultSettings() Settings {
	return Settings{Method: string(portfolio.FIFO), SummaryEvery: tomlval.Dur(time.Minute)}
}

// Problems returns what is wrong with s, keyed within the section.
func (s Settings) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	if _, err := portfolio.ParseMethod(s.Method); err != nil {
		ps.Add("method", `must be "fifo" or "average", got %q`, s.Method)
	}
	if s.SummaryEvery.Duration != 0 || s.SummaryEvery.Err() != nil {
		ps.DurationIn("summary_every", s.SummaryEvery, time.Second, 24*time.Hour)
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

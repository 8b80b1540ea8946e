package reconcile

import (
	"fmt"
	"sort"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/scheduler"
)

// Defaults of the [reconcile] section, applied by Settings.WithDefaults to
// the zero fields (a file without the section reconciles with these).
const (
	// DefaultSchedule runs reconciliation every 15 minutes.
	DefaultSchedule = "*/15 * * * *"
	// DefaultLookback is how far back a scheduled run compares:
	// the venue's 7-day listings in one window.
	DefaultLookback = 7 * 24 * time.Hour
	// DefaultGrace is how long a difference may be in flight
	// (a webhook on its way, a fill being posted) before it is a break.
	DefaultGrace = 10 * time.Minute
	// DefaultKeepReports bounds the reports kept in the ledger.
	DefaultKeepReports = 2000
)

// MinScheduleInterval is the shortest time between scheduled runs: a
// run reads the venue's history, which a tighter schedule would hammer.
const MinScheduleInterval = time.Minute

// Settings configures the reconciliation of the ledger against the venues
// (package reconcile). Every field's zero value means its default, so the
// section may be left out.
type Settings struct {
	// Schedule is the cron spec of scheduled runs ("*/15 * * * *",
	// "@every 10m"); a run also happens at start-up.
	Schedule string `toml:"schedule"`
	// Lookback is how far back a start-up or scheduled run compares.
	Lookback tomlval.Duration `toml:"lookback"`
	// Grace is how long a difference may be in flight before it counts as
	// a break: one side may see an event before the other.
	Grace tomlval.Duration `toml:"grace"`
	// Tolerances are the largest differences per asset that still match,
	// in balances and in each record's amount, as decimal strings:
	// { BTC = "0.00000001", EUR = "0.01" }. An asset not listed must match
	// exactly.
	Tolerances map[string]tomlval.Decimal `toml:"tolerances"`
	// PauseAbove pauses trading while a run finds more breaks than this,
	// and resumes it after a run that does not. 0 (the default) pauses on
	// any break; -1 never pauses.
	PauseAbove int `toml:"pause_above"`
	// KeepReports is how many reports the ledger keeps; older ones are
	// pruned.
	KeepReports int `toml:"keep_reports"`
}

// WithDefaults returns r with every zero field set to its default.
func (r Settings) WithDefaults() Settings {
	if r.Schedule == "" {
		r.Schedule = DefaultSchedule
	}
	if r.Lookback.Duration == 0 && r.Lookback.Err() == nil {
		r.Lookback = tomlval.Dur(DefaultLookback)
	}
	if r.Grace.Duration == 0 && r.Grace.Err() == nil {
		r.Grace = tomlval.Dur(DefaultGrace)
	}
	if r.KeepReports == 0 {
		r.KeepReports = DefaultKeepReports
	}
	return r
}

// Problems lists what is wrong with the section, keys relative to it;
// none for a valid section (zero fields are valid: they take their
// defaults).
func (r Settings) Problems() []tomlval.Problem {
	var ps []tomlval.Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, tomlval.Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if r.Schedule != "" {
		if err := scheduler.CheckSpec(r.Schedule, MinScheduleInterval); err != nil {
			add("schedule", "%v", err)
		}
	}
	for key, d := range map[string]tomlval.Duration{"lookback": r.Lookback, "grace": r.Grace} {
		switch {
		case d.Err() != nil:
			add(key, "%v", d.Err())
		case d.Duration < 0:
			add(key, "must not be negative, got %s", d.Duration)
		}
	}
	if r.Lookback.Duration > 365*24*time.Hour {
		add("lookback", "at most 8760h (a year), got %s", r.Lookback.Duration)
	}
	assets := make([]string, 0, len(r.Tolerances))
	for a := range r.Tolerances {
		assets = append(assets, a)
	}
	sort.Strings(assets)
	for _, a := range assets {
		t := r.Tolerances[a]
		switch {
		case !validAssetCode(a):
			add("tolerances."+a, "asset %q is not an upper-case code such as BTC or USDT", a)
		case t.Err() != nil:
			add("tolerances."+a, "%v", t.Err())
		case t.IsNegative():
			add("tolerances."+a, "must not be negative, got %s", t.String())
		}
	}
	if r.PauseAbove < -1 {
		add("pause_above", "must be -1 (never pause) or a number of breaks from 0, got %d", r.PauseAbove)
	}
	if r.KeepReports < 0 {
		add("keep_reports", "must not be negative, got %d", r.KeepReports)
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	return ps
}

// Validate returns a *tomlval.Error listing Problems, or nil.
func (r Settings) Validate() error { return tomlval.Problems(r.Problems()).Err("reconcile") }

// validAssetCode: [A-Z0-9._-]{1,20} with a letter or digit first, as the
// ledger accepts.
func validAssetCode(c string) bool {
	if c == "" || len(c) > 20 {
		return false
	}
	for i := 0; i < len(c); i++ {
		ch := c[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || i > 0 && (ch == '.' || ch == '_' || ch == '-')) {
			return false
		}
	}
	return true
}

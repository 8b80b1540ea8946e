package execution

import (
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
)

// Settings is the [execution] section: how orders whose outcome is not
// yet known are followed.
type Settings struct {
	// FollowEvery is the interval between lookups by Client-Id of an order
	// answered Created or Pending, or whose answer was lost.
	FollowEvery tomlval.Duration `toml:"follow_every"`
	// Lookups bounds those lookups. An order the venue still has no record
	// of then fails (it was never received); one still open stays unknown
	// for the next recovery.
	Lookups int `toml:"lookups"`
}

// DefaultSettings is the section a file leaves out: a lookup a second,
// 30 of them.
func DefaultSettings() Settings {
	return Settings{FollowEvery: tomlval.Dur(time.Second), Lookups: 30}
}

// Problems lists what is wrong with the section, keys relative to it.
func (s Settings) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	ps.DurationIn("follow_every", s.FollowEvery, 10*time.Millisecond, 10*time.Minute)
	if s.Lookups < 1 || s.Lookups > 1000 {
		ps.Add("lookups", "must be from 1 to 1000, got %d", s.Lookups)
	}
	return ps
}

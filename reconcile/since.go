package reconcile

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxSince bounds how far back a reconciliation may look: the venue keeps
// a year of history at most in its listings, and a longer range is a typo.
const maxSince = 366 * 24 * time.Hour

// ParseSince reads the start of the history to reconcile, relative to now:
// an RFC 3339 time ("2025-03-04T10:00:00Z"), a UTC date ("2025-03-04"), a
// Go duration back from now ("72h", "90m") or a number of days ("7d").
// Empty means zero (the caller's default). The result must lie before now
// and at most a year back.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	var t time.Time
	switch {
	case strings.HasSuffix(s, "d") && !strings.ContainsAny(s, ":T"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n <= 0 || n > 366 {
			return time.Time{}, fmt.Errorf("since %q: want a number of days from 1 to 366, such as 7d", s)
		}
		t = now.Add(-time.Duration(n) * 24 * time.Hour)
	default:
		if d, err := time.ParseDuration(s); err == nil {
			if d <= 0 {
				return time.Time{}, fmt.Errorf("since %q: a duration back from now must be positive", s)
			}
			if d > maxSince {
				return time.Time{}, fmt.Errorf("since %q: at most %s back", s, maxSince)
			}
			t = now.Add(-d)
			break
		}
		var err error
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			if t, err = time.Parse(time.DateOnly, s); err != nil {
				return time.Time{}, fmt.Errorf("since %q: want an RFC 3339 time (2025-03-04T10:00:00Z), a date (2025-03-04), a duration (72h) or days (7d)", s)
			}
		}
	}
	if !t.Before(now) {
		return time.Time{}, fmt.Errorf("since %q is not in the past", s)
	}
	if now.Sub(t) > maxSince {
		return time.Time{}, fmt.Errorf("since %q is more than %d days back", s, int(maxSince.Hours()/24))
	}
	return t, nil
}

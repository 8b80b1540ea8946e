package scheduler

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	// The maintenance window may be configured by IANA name; embed the
	// database so that works on machines without zoneinfo.
	_ "time/tzdata"
)

// ParseZone reads a zone given as a fixed offset ("UTC+01:00", "GMT+1",
// "+01:00", "-0530", "UTC") or as an IANA name ("Europe/Rome"). A fixed
// offset never moves with daylight saving; an IANA zone does.
func ParseZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("zone is empty: give a fixed offset such as \"UTC+01:00\" or an IANA name such as \"Europe/Rome\"")
	}
	rest := s
	for _, p := range []string{"UTC", "GMT"} {
		if strings.HasPrefix(strings.ToUpper(rest), p) {
			rest = rest[len(p):]
			break
		}
	}
	if rest == "" {
		return time.UTC, nil
	}
	if rest[0] == '+' || rest[0] == '-' {
		secs, err := parseOffset(rest)
		if err != nil {
			return nil, fmt.Errorf("zone %q: %w", s, err)
		}
		return time.FixedZone(s, secs), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("zone %q is neither a fixed offset (\"UTC+01:00\") nor a known IANA name: %w", s, err)
	}
	return loc, nil
}

// parseOffset reads "+1", "+01", "+0100", "+01:00" into seconds east of UTC.
func parseOffset(s string) (int, error) {
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	s = s[1:]
	var hh, mm string
	switch {
	case strings.Contains(s, ":"):
		hh, mm, _ = strings.Cut(s, ":")
	case len(s) == 4:
		hh, mm = s[:2], s[2:]
	default:
		hh, mm = s, "0"
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || len(hh) == 0 || len(hh) > 2 || len(mm) > 2 || h > 14 || m > 59 || h < 0 || m < 0 {
		return 0, fmt.Errorf("offset must look like +01:00 and be within ±14:00")
	}
	return sign * (h*3600 + m*60), nil
}

// ParseClock reads a time of day "HH:MM" into hours and minutes.
func ParseClock(s string) (hour, minute int, err error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(hh) != 2 || len(mm) != 2 || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, fmt.Errorf("time of day %q must be HH:MM, 00:00 to 23:59", s)
	}
	return h, m, nil
}

// ParseWeekday reads an English weekday name, full or three letters, in
// any case.
func ParseWeekday(s string) (time.Weekday, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if l == name || (len(l) == 3 && l == name[:3]) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("weekday %q must be a day name such as \"Wednesday\"", s)
}

package scheduler

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Span is the half-open interval [From, To).
type Span struct {
	From, To time.Time
}

// Contains reports whether t is in [From, To).
func (s Span) Contains(t time.Time) bool { return !t.Before(s.From) && t.Before(s.To) }

// Weekly is a window that recurs every week at a local time of day.
type Weekly struct {
	Day         time.Weekday
	StartHour   int
	StartMinute int
	EndHour     int // an end at or before the start means the next day
	EndMinute   int
	Zone        *time.Location
}

// HercleMaintenance is the documented window: Wednesdays 10:00 to 11:00 at
// UTC+01:00, a fixed offset.
func HercleMaintenance() Weekly {
	return Weekly{Day: time.Wednesday, StartHour: 10, EndHour: 11, Zone: time.FixedZone("UTC+01:00", 3600)}
}

// occurrence returns the window starting in the week that contains the
// local date of t shifted by weeks.
func (w Weekly) occurrence(t time.Time, weeks int) Span {
	local := t.In(w.Zone)
	days := int(w.Day) - int(local.Weekday()) + 7*weeks
	y, m, d := local.Date()
	from := time.Date(y, m, d+days, w.StartHour, w.StartMinute, 0, 0, w.Zone)
	endDay := d + days
	if w.EndHour*60+w.EndMinute <= w.StartHour*60+w.StartMinute {
		endDay++
	}
	to := lastWall(y, m, endDay, w.EndHour, w.EndMinute, w.Zone)
	return Span{From: from, To: to}
}

// lastWall returns when a window ending at the local time hour:minute of
// that day ends, never before the local clock has passed it: for a time
// in a daylight-saving gap (it never shows), the moment the clock jumps
// past it; for a time shown twice, its second occurrence. time.Date alone
// picks the earlier instant in both cases (an hour early), which would
// open the gate while the window still runs.
func lastWall(y int, m time.Month, d, hour, minute int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, hour, minute, 0, 0, loc)
	want := time.Date(y, m, d, hour, minute, 0, 0, time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	if gap := want.Sub(got); gap > 0 {
		return t.Add(gap)
	}
	// Daylight-saving shifts are 30 minutes, 1 hour or 2 hours.
	for _, shift := range []time.Duration{2 * time.Hour, time.Hour, 30 * time.Minute} {
		if later := t.Add(shift); later.Hour() == t.Hour() && later.Minute() == t.Minute() && later.Day() == t.Day() {
			return later
		}
	}
	return t
}

// GateConfig configures a Gate.
type GateConfig struct {
	Weekly []Weekly
	// Extra are one-off windows, such as announced emergency maintenance.
	Extra []Span
	// Before and After widen every window: no new side effect starts
	// Before its start, and none until After its end.
	Before, After time.Duration
}

// Gate says when money may move: closed during maintenance windows and
// their margins, open otherwise. A Gate is immutable and safe for
// concurrent use. The zero value is always open.
type Gate struct {
	weekly        []Weekly
	extra         []Span
	before, after time.Duration
}

// maxWindow bounds a window's length so the weekly search below (the week
// before, of, and after t) always finds the windows around t.
const maxWindow = 24 * time.Hour

// NewGate validates c and returns its gate.
func NewGate(c GateConfig) (*Gate, error) {
	var errs []error
	if c.Before < 0 || c.After < 0 || c.Before > time.Hour*6 || c.After > time.Hour*6 {
		errs = append(errs, fmt.Errorf("margins must be between 0 and 6h, got before %v, after %v", c.Before, c.After))
	}
	for i, w := range c.Weekly {
		if w.Zone == nil {
			errs = append(errs, fmt.Errorf("weekly window %d: zone is missing", i))
			continue
		}
		if w.Day < time.Sunday || w.Day > time.Saturday || w.StartHour < 0 || w.StartHour > 23 || w.EndHour < 0 || w.EndHour > 23 ||
			w.StartMinute < 0 || w.StartMinute > 59 || w.EndMinute < 0 || w.EndMinute > 59 {
			errs = append(errs, fmt.Errorf("weekly window %d: day or time of day out of range", i))
		}
	}
	for i, s := range c.Extra {
		if !s.To.After(s.From) {
			errs = append(errs, fmt.Errorf("extra window %d: end %s is not after start %s", i, s.To.Format(time.RFC3339), s.From.Format(time.RFC3339)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Gate{weekly: slices.Clone(c.Weekly), extra: slices.Clone(c.Extra), before: c.Before, after: c.After}, nil
}

// Open reports whether money may move at t.
func (g *Gate) Open(t time.Time) bool {
	_, closed := g.Window(t)
	return !closed
}

// Window returns the closed period (margins included, overlapping windows
// merged) that contains t, if any.
func (g *Gate) Window(t time.Time) (Span, bool) {
	for _, s := range g.spans(t) {
		if s.Contains(t) {
			return s, true
		}
	}
	return Span{}, false
}

// NextChange returns the first moment after t at which Open changes: the
// end of the window t is in, or the start of the next one. It returns the
// zero time if the gate never changes (no windows configured).
func (g *Gate) NextChange(t time.Time) time.Time {
	for _, s := range g.spans(t) {
		if s.Contains(t) {
			return s.To
		}
		if s.From.After(t) {
			return s.From
		}
	}
	return time.Time{}
}

// spans returns the windows around t, widened by the margins, sorted and
// merged. Weekly windows come from the week before t to two weeks after,
// so the next one is always present.
func (g *Gate) spans(t time.Time) []Span {
	if g == nil {
		return nil
	}
	out := make([]Span, 0, len(g.weekly)*4+len(g.extra))
	for _, w := range g.weekly {
		for k := -1; k <= 2; k++ {
			out = append(out, g.widen(w.occurrence(t, k)))
		}
	}
	for _, s := range g.extra {
		if s.To.Add(g.after).Before(t.Add(-maxWindow)) {
			continue
		}
		out = append(out, g.widen(s))
	}
	slices.SortFunc(out, func(a, b Span) int { return a.From.Compare(b.From) })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && !s.From.After(merged[n-1].To) {
			if s.To.After(merged[n-1].To) {
				merged[n-1].To = s.To
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

func (g *Gate) widen(s Span) Span {
	return Span{From: s.From.Add(-g.before), To: s.To.Add(g.after)}
}

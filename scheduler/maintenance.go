package scheduler

import (
	"fmt"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
)

// Maintenance is the [maintenance] section: the venue's weekly
// maintenance window and any announced extra windows. While one is open
// (margins included) nothing new is sent that moves money, and feed drops
// do not alert.
type Maintenance struct {
	// Zone is a fixed offset ("UTC+01:00", never moves with daylight
	// saving) or an IANA name ("Europe/Rome", moves with it).
	Zone    string `toml:"zone"`
	Weekday string `toml:"weekday"`
	Start   string `toml:"start"` // HH:MM in Zone
	End     string `toml:"end"`   // HH:MM in Zone; at or before Start means the next day
	// MarginBefore and MarginAfter widen every window.
	MarginBefore tomlval.Duration    `toml:"margin_before"`
	MarginAfter  tomlval.Duration    `toml:"margin_after"`
	Extra        []MaintenanceWindow `toml:"extra"`
}

// MaintenanceWindow is a one-off window, given as TOML offset date-times.
type MaintenanceWindow struct {
	From time.Time `toml:"from"`
	To   time.Time `toml:"to"`
}

// DefaultMaintenance is Hercle's announced window: Wednesday 10:00-11:00
// GMT+1, with five minutes' margin either side.
func DefaultMaintenance() Maintenance {
	return Maintenance{Zone: "UTC+01:00", Weekday: "Wednesday", Start: "10:00", End: "11:00",
		MarginBefore: tomlval.Dur(5 * time.Minute), MarginAfter: tomlval.Dur(5 * time.Minute)}
}

// Problems lists what is wrong with the section, keys relative to it.
func (m Maintenance) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	if _, err := ParseZone(m.Zone); err != nil {
		ps.Add("zone", "%v", err)
	}
	if _, err := ParseWeekday(m.Weekday); err != nil {
		ps.Add("weekday", "%v", err)
	}
	if _, _, err := ParseClock(m.Start); err != nil {
		ps.Add("start", "%v", err)
	}
	if _, _, err := ParseClock(m.End); err != nil {
		ps.Add("end", "%v", err)
	}
	ps.DurationIn("margin_before", m.MarginBefore, 0, 6*time.Hour)
	ps.DurationIn("margin_after", m.MarginAfter, 0, 6*time.Hour)
	for i, x := range m.Extra {
		if !x.To.After(x.From) {
			ps.Add(fmt.Sprintf("extra[%d]", i), "to (%s) must be after from (%s)", x.To.Format(time.RFC3339), x.From.Format(time.RFC3339))
		}
	}
	if len(ps) == 0 {
		if _, err := m.Gate(); err != nil {
			ps = append(ps, tomlval.Problem{Key: "(section)", Msg: err.Error()})
		}
	}
	return ps
}

// Gate builds the maintenance gate the scheduler, execution and treasury
// share.
func (m Maintenance) Gate() (*Gate, error) {
	zone, err := ParseZone(m.Zone)
	if err != nil {
		return nil, err
	}
	day, err := ParseWeekday(m.Weekday)
	if err != nil {
		return nil, err
	}
	sh, sm, err := ParseClock(m.Start)
	if err != nil {
		return nil, err
	}
	eh, em, err := ParseClock(m.End)
	if err != nil {
		return nil, err
	}
	if err := errorsOf(m.MarginBefore, m.MarginAfter); err != nil {
		return nil, err
	}
	gc := GateConfig{
		Weekly: []Weekly{{Day: day, StartHour: sh, StartMinute: sm, EndHour: eh, EndMinute: em, Zone: zone}},
		Before: m.MarginBefore.Duration,
		After:  m.MarginAfter.Duration,
	}
	for _, x := range m.Extra {
		gc.Extra = append(gc.Extra, Span{From: x.From, To: x.To})
	}
	return NewGate(gc)
}

func errorsOf(ds ...tomlval.Duration) error {
	for _, d := range ds {
		if err := d.Err(); err != nil {
			return err
		}
	}
	return nil
}

package scheduler

import (
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGateHercleWindow(t *testing.T) {
	g, err := NewGate(GateConfig{Weekly: []Weekly{HercleMaintenance()}})
	if err != nil {
		t.Fatal(err)
	}
	// Wednesday 2026-11-25: 10:00–11:00 at UTC+01:00 is 09:00–10:00 UTC.
	for _, c := range []struct {
		at   string
		open bool
		next string
	}{
		{"2026-11-25T08:59:59Z", true, "2026-11-25T09:00:00Z"},
		{"2026-11-25T09:00:00Z", false, "2026-11-25T10:00:00Z"},
		{"2026-11-25T09:59:59Z", false, "2026-11-25T10:00:00Z"},
		{"2026-11-25T10:00:00Z", true, "2026-12-02T09:00:00Z"},
		{"2026-11-23T12:00:00Z", true, "2026-11-25T09:00:00Z"},
		{"2026-11-28T12:00:00Z", true, "2026-12-02T09:00:00Z"},
		// Summer: a fixed offset does not move with daylight saving.
		{"2026-07-01T08:30:00Z", true, "2026-07-01T09:00:00Z"},
		{"2026-07-01T09:30:00Z", false, "2026-07-01T10:00:00Z"},
	} {
		at := mustTime(t, c.at)
		if got := g.Open(at); got != c.open {
			t.Errorf("Open(%s) = %v, want %v", c.at, got, c.open)
		}
		if got, want := g.NextChange(at), mustTime(t, c.next); !got.Equal(want) {
			t.Errorf("NextChange(%s) = %s, want %s", c.at, got.UTC().Format(time.RFC3339), c.next)
		}
	}
}

func TestGateIANAZoneFollowsDaylightSaving(t *testing.T) {
	rome, err := ParseZone("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	w := HercleMaintenance()
	w.Zone = rome
	g, err := NewGate(GateConfig{Weekly: []Weekly{w}})
	if err != nil {
		t.Fatal(err)
	}
	// Winter (UTC+1): 09:00–10:00 UTC. Summer (UTC+2): 08:00–09:00 UTC.
	for at, open := range map[string]bool{
		"2026-11-25T09:30:00Z": false,
		"2026-11-25T08:30:00Z": true,
		"2026-07-01T08:30:00Z": false,
		"2026-07-01T09:30:00Z": true,
	} {
		if got := g.Open(mustTime(t, at)); got != open {
			t.Errorf("Open(%s) = %v, want %v", at, got, open)
		}
	}
}

func TestGateMarginsAndExtraWindowsMerge(t *testing.T) {
	g, err := NewGate(GateConfig{
		Weekly: []Weekly{HercleMaintenance()},
		Before: 5 * time.Minute,
		After:  10 * time.Minute,
		Extra: []Span{
			// Overlaps the weekly window's end: the two merge.
			{From: mustTime(t, "2026-11-25T10:00:00Z"), To: mustTime(t, "2026-11-25T12:00:00Z")},
			// Stands alone.
			{From: mustTime(t, "2026-11-27T00:00:00Z"), To: mustTime(t, "2026-11-27T01:00:00Z")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	span, closed := g.Window(mustTime(t, "2026-11-25T09:00:00Z"))
	if !closed || !span.From.Equal(mustTime(t, "2026-11-25T08:55:00Z")) || !span.To.Equal(mustTime(t, "2026-11-25T12:10:00Z")) {
		t.Fatalf("merged window = %v %v, want 08:55Z to 12:10Z", span, closed)
	}
	if g.Open(mustTime(t, "2026-11-25T08:55:00Z")) || !g.Open(mustTime(t, "2026-11-25T08:54:59Z")) {
		t.Error("margin before the window not applied")
	}
	if got := g.NextChange(mustTime(t, "2026-11-26T00:00:00Z")); !got.Equal(mustTime(t, "2026-11-26T23:55:00Z")) {
		t.Errorf("next change before the extra window = %s", got)
	}
}

func TestGateZeroValueAndEmptyAreAlwaysOpen(t *testing.T) {
	var nilGate *Gate
	g, _ := NewGate(GateConfig{})
	at := mustTime(t, "2026-11-25T09:30:00Z")
	for _, g := range []*Gate{nilGate, g} {
		if !g.Open(at) || !g.NextChange(at).IsZero() {
			t.Errorf("gate without windows: Open=%v NextChange=%v", g.Open(at), g.NextChange(at))
		}
	}
}

func TestNewGateRefusesBadConfig(t *testing.T) {
	for name, c := range map[string]GateConfig{
		"no zone":          {Weekly: []Weekly{{Day: time.Wednesday, StartHour: 10, EndHour: 11}}},
		"hour":             {Weekly: []Weekly{{Day: time.Wednesday, StartHour: 25, EndHour: 11, Zone: time.UTC}}},
		"negative margin":  {Before: -time.Minute},
		"extra backwards":  {Extra: []Span{{From: mustTime(t, "2026-11-25T10:00:00Z"), To: mustTime(t, "2026-11-25T09:00:00Z")}}},
		"huge after delay": {After: 7 * time.Hour},
	} {
		if _, err := NewGate(c); err == nil {
			t.Errorf("%s: NewGate accepted %+v", name, c)
		}
	}
}

func TestParseZone(t *testing.T) {
	at := mustTime(t, "2026-07-01T00:00:00Z")
	for in, offset := range map[string]int{
		"UTC+01:00":     3600,
		"GMT+1":         3600,
		"+01:00":        3600,
		"-0530":         -(5*3600 + 30*60),
		"UTC":           0,
		"Europe/Rome":   7200, // summer
		"America/Lima":  -5 * 3600,
		" utc+02:30 ":   2*3600 + 30*60,
		"Asia/Kolkata":  5*3600 + 30*60,
		"Etc/GMT-1":     3600,
		"Europe/London": 3600,
	} {
		loc, err := ParseZone(in)
		if err != nil {
			t.Errorf("ParseZone(%q): %v", in, err)
			continue
		}
		if _, got := at.In(loc).Zone(); got != offset {
			t.Errorf("ParseZone(%q) offset = %d, want %d", in, got, offset)
		}
	}
	for _, in := range []string{"", "UTC+15", "+1:75", "Mars/Olympus", "+abc", "UTC+123"} {
		if _, err := ParseZone(in); err == nil {
			t.Errorf("ParseZone(%q) accepted", in)
		}
	}
}

func TestParseClockAndWeekday(t *testing.T) {
	if h, m, err := ParseClock("10:05"); err != nil || h != 10 || m != 5 {
		t.Errorf("ParseClock(10:05) = %d %d %v", h, m, err)
	}
	for _, in := range []string{"24:00", "9:00", "10:60", "10", ""} {
		if _, _, err := ParseClock(in); err == nil {
			t.Errorf("ParseClock(%q) accepted", in)
		}
	}
	if d, err := ParseWeekday("wed"); err != nil || d != time.Wednesday {
		t.Errorf("ParseWeekday(wed) = %v %v", d, err)
	}
	if d, err := ParseWeekday("Wednesday"); err != nil || d != time.Wednesday {
		t.Errorf("ParseWeekday(Wednesday) = %v %v", d, err)
	}
	if _, err := ParseWeekday("Mittwoch"); err == nil {
		t.Error("ParseWeekday(Mittwoch) accepted")
	}
}

// A window whose end falls on a daylight-saving change in its zone never
// ends before that time has passed on the local clock: an end inside the
// skipped hour ends when the clock jumps past it, and an end in the
// repeated hour at its second occurrence.
func TestGateWindowEndOnDaylightSavingChange(t *testing.T) {
	ny, err := ParseZone("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		w    Weekly
		at   map[string]bool // time → open
		next map[string]string
	}{
		{
			// 2026-03-08 02:00 EST does not exist: clocks go 01:59:59 EST → 03:00 EDT (07:00 UTC).
			name: "end in the skipped hour",
			w:    Weekly{Day: time.Saturday, StartHour: 23, EndHour: 2, Zone: ny},
			at: map[string]bool{
				"2026-03-08T03:59:00Z": true,  // Sat 22:59 EST
				"2026-03-08T04:00:00Z": false, // Sat 23:00 EST
				"2026-03-08T06:30:00Z": false, // Sun 01:30 EST: inside the window
				"2026-03-08T06:59:59Z": false, // Sun 01:59:59 EST
				"2026-03-08T07:00:00Z": true,  // Sun 03:00 EDT: past 02:00
			},
			next: map[string]string{"2026-03-08T06:30:00Z": "2026-03-08T07:00:00Z"},
		},
		{
			// 2026-11-01 01:30 happens twice: 05:30 UTC (EDT) and 06:30 UTC (EST).
			name: "end in the repeated hour",
			w:    Weekly{Day: time.Sunday, StartHour: 0, EndHour: 1, EndMinute: 30, Zone: ny},
			at: map[string]bool{
				"2026-11-01T04:00:00Z": false, // 00:00 EDT
				"2026-11-01T05:45:00Z": false, // 01:45 EDT
				"2026-11-01T06:15:00Z": false, // 01:15 EST: the clock reads inside the window again
				"2026-11-01T06:30:00Z": true,  // 01:30 EST
			},
			next: map[string]string{"2026-11-01T05:45:00Z": "2026-11-01T06:30:00Z"},
		},
	} {
		g, err := NewGate(GateConfig{Weekly: []Weekly{c.w}})
		if err != nil {
			t.Fatal(err)
		}
		for at, open := range c.at {
			if got := g.Open(mustTime(t, at)); got != open {
				t.Errorf("%s: Open(%s = %s) = %v, want %v", c.name, at, mustTime(t, at).In(ny).Format("Mon 15:04 MST"), got, open)
			}
		}
		for at, next := range c.next {
			if got := g.NextChange(mustTime(t, at)); !got.Equal(mustTime(t, next)) {
				t.Errorf("%s: NextChange(%s) = %s, want %s", c.name, at, got.UTC().Format(time.RFC3339), next)
			}
		}
	}
}

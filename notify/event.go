package notify

import "time"

// Class is the kind of an event; each sink is configured with the classes
// it receives.
type Class string

// The event classes.
const (
	// ClassFills: orders and accepted RFQs that filled.
	ClassFills Class = "fills"
	// ClassSweeps: treasury movements sent, settled or failed.
	ClassSweeps Class = "sweeps"
	// ClassBreaks: reconciliation runs that found breaks.
	ClassBreaks Class = "breaks"
	// ClassKills: the kill switch, the circuit breaker, pause and resume.
	ClassKills Class = "kills"
	// ClassDaily: the daily summary.
	ClassDaily Class = "daily"
	// ClassAlerts: any other condition worth a message; also the class of
	// the "N more events" message a rate-limited sink sends.
	ClassAlerts Class = "alerts"
)

// Classes lists every class, in the order messages and metrics use.
func Classes() []Class {
	return []Class{ClassFills, ClassSweeps, ClassBreaks, ClassKills, ClassDaily, ClassAlerts}
}

// known reports whether c is one of Classes.
func (c Class) known() bool {
	for _, k := range Classes() {
		if c == k {
			return true
		}
	}
	return false
}

// Severity ranks an event. The zero value is SeverityInfo.
type Severity int

// Severities, least urgent first.
const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityCritical
)

// String returns "info", "warning" or "critical".
func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityCritical:
		return "critical"
	}
	return "info"
}

// Field is one labelled line of a message.
type Field struct {
	Name  string
	Value string
}

// Event is one thing to tell the desk. Build it directly or with the
// constructors (FillEvent, SweepEvent, BreakEvent, KillEvent, DailyEvent).
// Nothing in an event may be a secret: it is sent as it is.
type Event struct {
	Class Class
	// Key identifies the event for deduplication: a second event with the
	// same Key within Config.DedupWindow is not sent again. Empty: never
	// deduplicated.
	Key string
	// Title is the message's first line.
	Title string
	// Text, optional, follows the title.
	Text string
	// Fields follow, one line each, in order.
	Fields []Field
	// Time is when it happened; zero means when Notify was called.
	Time     time.Time
	Severity Severity
}

package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Fill describes a filled order or accepted RFQ, for FillEvent.
type Fill struct {
	Side market.Side
	// Amount is in Base; Price is in Quote per unit of Base.
	Amount decimal.Decimal
	Base   market.Asset
	Price  decimal.Decimal
	Quote  market.Asset
	// Strategy names what decided it ("rebalance core"); Path how it was
	// sent ("OTC", "RFQ"). Either may be empty.
	Strategy string
	Path     string
	ClientID string
	Time     time.Time
}

// FillEvent returns the ClassFills event for f, titled like
// "BUY 0.05 BTC @ 60,100 EUR (rebalance core, OTC)" and keyed by its
// Client-Id.
func FillEvent(f Fill) Event {
	title := fmt.Sprintf("%s %s %s @ %s %s", strings.ToUpper(string(f.Side)), Number(f.Amount), f.Base, Number(f.Price), f.Quote)
	if via := joinNonEmpty(", ", f.Strategy, f.Path); via != "" {
		title += " (" + via + ")"
	}
	fields := []Field{{"notional", Number(f.Amount.Mul(f.Price)) + " " + string(f.Quote)}}
	if f.ClientID != "" {
		fields = append(fields, Field{"client_id", f.ClientID})
	}
	return Event{Class: ClassFills, Key: keyed("fill", f.ClientID), Title: title, Fields: fields, Time: f.Time}
}

// SweepStatus is where a treasury movement stands.
type SweepStatus string

// The states a sweep is reported in.
const (
	SweepSent    SweepStatus = "sent"
	SweepSettled SweepStatus = "settled"
	SweepFailed  SweepStatus = "failed"
)

// Sweep describes a treasury movement, for SweepEvent.
type Sweep struct {
	Status SweepStatus
	// Policy is the treasury policy that decided it.
	Policy      string
	Amount      decimal.Decimal
	Asset       market.Asset
	Destination string
	// Method is "crypto", "lightning", "bank" or "settlement".
	Method   string
	ClientID string
	// Reason says why a failed movement failed.
	Reason string
	Time   time.Time
}

// SweepEvent returns the ClassSweeps event for s, titled like
// "Sweep sent: 0.5 BTC to cold-wallet (crypto)", keyed by Client-Id and
// status, a warning when it failed.
func SweepEvent(s Sweep) Event {
	title := fmt.Sprintf("Sweep %s: %s %s to %s", s.Status, Number(s.Amount), s.Asset, s.Destination)
	if s.Method != "" {
		title += " (" + s.Method + ")"
	}
	ev := Event{Class: ClassSweeps, Key: keyed("sweep", s.ClientID, string(s.Status)), Title: title, Time: s.Time}
	if s.Status == SweepFailed {
		ev.Severity = SeverityWarning
		ev.Text = s.Reason
	}
	ev.Fields = appendNonEmpty(ev.Fields, Field{"policy", s.Policy}, Field{"client_id", s.ClientID})
	return ev
}

// Count is a labelled count, for BreakEvent.
type Count struct {
	Label string
	N     int
}

// Break describes a reconciliation run that found breaks, for BreakEvent.
type Break struct {
	// Run identifies the run (the ledger's report id).
	Run     string
	Breaks  int
	Pending int
	// Counts break the total down, for example {"trades missing_at_venue", 2}.
	Counts []Count
	// Examples are a few findings, already worded; at most three are shown.
	Examples []string
	// Paused reports that the run paused trading.
	Paused bool
	Time   time.Time
}

// maxExamples bounds the findings a break message lists.
const maxExamples = 3

// BreakEvent returns the ClassBreaks event for b, titled like
// "Reconciliation: 3 breaks (trading paused)", keyed by run; critical when
// it paused trading, a warning otherwise.
func BreakEvent(b Break) Event {
	title := fmt.Sprintf("Reconciliation: %d break%s", b.Breaks, plural(b.Breaks))
	ev := Event{Class: ClassBreaks, Key: keyed("break", b.Run), Severity: SeverityWarning, Time: b.Time}
	if b.Paused {
		title += " (trading paused)"
		ev.Severity = SeverityCritical
	}
	ev.Title = title
	for _, c := range b.Counts {
		ev.Fields = append(ev.Fields, Field{c.Label, strconv.Itoa(c.N)})
	}
	if b.Pending > 0 {
		ev.Fields = append(ev.Fields, Field{"pending", strconv.Itoa(b.Pending)})
	}
	for i, x := range b.Examples {
		if i == maxExamples {
			ev.Fields = append(ev.Fields, Field{"more", strconv.Itoa(len(b.Examples) - maxExamples)})
			break
		}
		ev.Fields = append(ev.Fields, Field{"e.g.", x})
	}
	ev.Fields = appendNonEmpty(ev.Fields, Field{"run", b.Run})
	return ev
}

// KillKind names the switch a Kill reports.
type KillKind string

// The switches that stop trading.
const (
	KillSwitch KillKind = "kill_switch"
	Breaker    KillKind = "breaker"
	Pause      KillKind = "pause"
)

// Kill describes the kill switch, the circuit breaker or a pause turning
// on or off, for KillEvent.
type Kill struct {
	Kind KillKind
	// On: trading stopped; off: it may go on.
	On     bool
	Reason string
	// Until is when a tripped breaker resets by itself, if it does.
	Until time.Time
	// By names who flipped it (an operator, "reconcile"), if known.
	By   string
	Time time.Time
}

// KillEvent returns the ClassKills event for k, titled like
// "Kill switch ON: feed dead" or "Trading resumed"; critical when trading
// stopped. It is keyed by kind, state and Time, so the same change
// reported twice is sent once, and a later change is not suppressed.
func KillEvent(k Kill) Event {
	var on, off string
	switch k.Kind {
	case KillSwitch:
		on, off = "Kill switch ON", "Kill switch off"
	case Breaker:
		on, off = "Circuit breaker tripped", "Circuit breaker reset"
	default:
		on, off = "Trading paused", "Trading resumed"
	}
	ev := Event{Class: ClassKills, Title: off, Time: k.Time}
	state := "off"
	if k.On {
		ev.Title, ev.Severity, state = on, SeverityCritical, "on"
	}
	if k.Reason != "" {
		ev.Title += ": " + k.Reason
	}
	if !k.Time.IsZero() {
		ev.Key = keyed("kill", string(k.Kind), state, strconv.FormatInt(k.Time.UnixNano(), 10))
	}
	if k.On && !k.Until.IsZero() {
		ev.Fields = append(ev.Fields, Field{"until", k.Until.UTC().Format(time.RFC3339)})
	}
	ev.Fields = appendNonEmpty(ev.Fields, Field{"by", k.By})
	return ev
}

// Balance is one asset's balance, for DailyEvent.
type Balance struct {
	Asset  market.Asset
	Amount decimal.Decimal
}

// Daily is the daily summary, for DailyEvent. This package computes
// nothing: balances and figures (PnL, volumes) come in as they are shown.
type Daily struct {
	// Day names the day summarised, for example "2024-05-01".
	Day      string
	Balances []Balance
	// Figures follow the balances, already formatted: {"realised PnL",
	// "1,234.56 EUR"}.
	Figures []Field
	Time    time.Time
}

// DailyEvent returns the ClassDaily event for d, titled
// "Daily summary 2024-05-01" and keyed by day.
func DailyEvent(d Daily) Event {
	ev := Event{Class: ClassDaily, Key: keyed("daily", d.Day), Title: "Daily summary " + d.Day, Time: d.Time}
	for _, b := range d.Balances {
		ev.Fields = append(ev.Fields, Field{string(b.Asset), Number(b.Amount)})
	}
	ev.Fields = append(ev.Fields, d.Figures...)
	return ev
}

// Number writes d exactly, with a comma between groups of three digits of
// its integer part: 60100.5 is "60,100.5".
func Number(d decimal.Decimal) string {
	s := d.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// keyed joins prefix and parts with ":", or returns "" (no deduplication)
// when the first part is empty.
func keyed(prefix string, parts ...string) string {
	if len(parts) == 0 || parts[0] == "" {
		return ""
	}
	return prefix + ":" + strings.Join(parts, ":")
}

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

func appendNonEmpty(fs []Field, more ...Field) []Field {
	for _, f := range more {
		if f.Value != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

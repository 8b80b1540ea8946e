package sim

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Argument reading for the hub's commands: each argument arrives as raw
// JSON, read by position with the documented name, so that a wrong type
// becomes a preChecksError reply rather than a binding failure.

// hubArgs reads positional arguments, remembering the first problem.
type hubArgs struct {
	raw      []json.RawMessage
	clientID string
	err      error
}

func (a *hubArgs) fail(name, format string, v ...any) {
	if a.err == nil {
		a.err = &Error{Kind: KindInvalid, Param: name, Message: name + " " + fmt.Sprintf(format, v...)}
	}
}

func (a *hubArgs) str(i int, name string) string {
	var s *string
	if i >= len(a.raw) || json.Unmarshal(a.raw[i], &s) != nil || s == nil {
		a.fail(name, "must be a string")
		return ""
	}
	return *s
}

func (a *hubArgs) optStr(i int, name string) string {
	var s *string
	if i >= len(a.raw) || json.Unmarshal(a.raw[i], &s) != nil {
		a.fail(name, "must be a string or null")
		return ""
	}
	if s == nil {
		return ""
	}
	return *s
}

func (a *hubArgs) dec(i int, name string) decimal.Decimal {
	var n json.Number
	if i >= len(a.raw) || json.Unmarshal(a.raw[i], &n) != nil || n == "" {
		a.fail(name, "must be a number")
		return decimal.Zero
	}
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		a.fail(name, "must be a number")
	}
	return d
}

func (a *hubArgs) integer(i int, name string) int {
	d := a.dec(i, name)
	if !d.IsInteger() {
		a.fail(name, "must be an integer")
	}
	return int(d.IntPart())
}

func (a *hubArgs) optInt(i int, name string) (int, bool) {
	if i < len(a.raw) && string(a.raw[i]) == "null" {
		return 0, false
	}
	return a.integer(i, name), true
}

func (a *hubArgs) boolean(i int, name string) bool {
	var b bool
	if i >= len(a.raw) || json.Unmarshal(a.raw[i], &b) != nil {
		a.fail(name, "must be true or false")
	}
	return b
}

func (a *hubArgs) time(i int, name string) time.Time {
	s := a.str(i, name)
	if a.err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		a.fail(name, "must be an ISO 8601 date")
	}
	return t
}

func (a *hubArgs) optTime(i int, name string) time.Time {
	if i < len(a.raw) && string(a.raw[i]) == "null" {
		return time.Time{}
	}
	return a.time(i, name)
}

func (a *hubArgs) params(i int, name string) map[string]string {
	m := map[string]string{}
	if i >= len(a.raw) || json.Unmarshal(a.raw[i], &m) != nil {
		a.fail(name, "must be an object of strings")
	}
	return m
}

func (a *hubArgs) side(i int) market.Side {
	s, err := market.ParseSide(a.str(i, "Side"))
	if err != nil {
		a.fail("Side", "must be buy or sell")
	}
	return s
}

func (s *simHub) args(raw ...json.RawMessage) *hubArgs {
	a := &hubArgs{raw: raw}
	var cid *string
	if len(raw) == 0 || json.Unmarshal(raw[0], &cid) != nil || cid == nil || *cid == "" || len(*cid) > 36 {
		a.fail("ClientId", "must be a string of 1 to 36 characters")
		return a
	}
	a.clientID = *cid
	return a
}

package hercle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Time is a timestamp as Hercle sends it: an ISO 8601 string. The venue's
// samples include times without a zone ("0001-01-01T00:00:00", read as UTC)
// and times that are not valid at all ("2023-07-23T32:35.000Z"). A text that
// does not parse is not an error: Time is left zero and Raw keeps the text,
// so one bad field never fails a whole response and nothing is lost.
//
// Raw always holds the text as received; MarshalJSON writes Raw back when it
// is set, so a decoded value re-encodes unchanged.
type Time struct {
	time.Time        // zero when absent or when Raw did not parse
	Raw       string // the text exactly as received; empty for values made in Go
}

// T wraps t as a Time with no raw text.
func T(t time.Time) Time { return Time{Time: t} }

// Valid reports whether the timestamp parsed to a non-zero time.
func (t Time) Valid() bool { return !t.Time.IsZero() }

// IsZero reports whether the timestamp is absent: no time and no raw text.
// A text that did not parse is not zero (use Valid for "parsed"). It
// makes omitzero leave out only timestamps that were never there.
func (t Time) IsZero() bool { return t.Time.IsZero() && t.Raw == "" }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",       // no zone: UTC
	"2006-01-02 15:04:05.999999999Z07:00", // space instead of T
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseTime parses the timestamp forms Hercle uses. A time without a zone is UTC.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("hercle: unrecognised timestamp %q", s)
}

// UnmarshalJSON reads a JSON string (or null). A string that is not a valid
// timestamp is kept in Raw and leaves Time zero. A number or boolean where
// a string belongs is kept the same way, as its literal text; only an
// object or an array is an error.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		if len(b) == 0 || b[0] == '{' || b[0] == '[' || !json.Valid(b) {
			return fmt.Errorf("hercle: timestamp is not a string: %w", err)
		}
		s = string(b)
	}
	t.Raw = s
	t.Time, _ = ParseTime(s)
	return nil
}

// MarshalJSON writes Raw if set, otherwise the time in RFC 3339 (UTC); a
// zero Time writes null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.Raw != "" {
		return json.Marshal(t.Raw)
	}
	if t.Time.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Time.UTC().Format(time.RFC3339Nano))
}

// UnixMillis is a time carried as Unix milliseconds in a JSON number, as the
// banking end-user records do.
type UnixMillis struct{ time.Time }

// UnmarshalJSON reads a number of milliseconds (or null). A fraction is
// dropped (1700000000000.0 is accepted).
func (u *UnixMillis) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		var n Number
		if nerr := n.UnmarshalJSON(b); nerr != nil || bytes.IndexByte(b, '"') >= 0 || !n.Truncate(0).Equal(n.Decimal) || n.Abs().GreaterThan(maxMillis) {
			return fmt.Errorf("hercle: unix milliseconds %q: not an integer in range", truncate(b, 40))
		}
		ms = n.IntPart()
	}
	u.Time = time.UnixMilli(ms).UTC()
	return nil
}

// maxMillis bounds fractional millisecond values to what int64 holds.
var maxMillis = decimal.NewFromInt(math.MaxInt64)

// MarshalJSON writes Unix milliseconds; a zero time writes null.
func (u UnixMillis) MarshalJSON() ([]byte, error) {
	if u.Time.IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatInt(u.Time.UnixMilli(), 10)), nil
}

package hercle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
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
// timestamp is kept in Raw and leaves Time zero.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("hercle: timestamp is not a string: %w", err)
	}
	t.Raw = s
	t.Time, _ = ParseTime(s)
	return nil
}

// MarshalJSON writes Raw if set, otherwise the time in RFC 3339 (UTC).
func (t Time) MarshalJSON() ([]byte, error) {
	if t.Raw != "" {
		return json.Marshal(t.Raw)
	}
	return json.Marshal(t.Time.UTC().Format(time.RFC3339Nano))
}

// UnixMillis is a time carried as Unix milliseconds in a JSON number, as the
// banking end-user records do.
type UnixMillis struct{ time.Time }

// UnmarshalJSON reads an integer number of milliseconds (or null).
func (u *UnixMillis) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("hercle: unix milliseconds %q: %w", truncate(b, 40), err)
	}
	u.Time = time.UnixMilli(ms).UTC()
	return nil
}

// MarshalJSON writes Unix milliseconds.
func (u UnixMillis) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(u.Time.UnixMilli(), 10)), nil
}

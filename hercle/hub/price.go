package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/otcdesk/engine/hercle"
)

// decodePriceUpdate is the hot path: no reflection, decimals parsed from
// their text.
func (d *hubDecoder) decodePriceUpdate(data []byte) (PriceUpdate, error) {
	var p PriceUpdate
	if len(data) == 0 {
		return p, fmt.Errorf("%w: no data", ErrBadData)
	}
	if data[0] != '{' {
		if !json.Valid(data) {
			return p, fmt.Errorf("%w: price update", ErrBadData)
		}
		return p, fmt.Errorf("%w: price update is not an object", ErrWrongType)
	}
	err := scanObject(data, func(key, value []byte) error {
		var err error
		switch {
		case keyIs(key, "id"):
			p.ID, err = unquoteOrNull(value)
		case keyIs(key, "pair"):
			p.Pair, err = d.pair(value)
		case keyIs(key, "size"):
			err = hercle.ParseNumber(value, &p.Size)
		case keyIs(key, "buyPrice"):
			err = hercle.ParseNumber(value, &p.BuyPrice)
		case keyIs(key, "sellPrice"):
			err = hercle.ParseNumber(value, &p.SellPrice)
		case keyIs(key, "markPrice"):
			err = hercle.ParseNumber(value, &p.MarkPrice)
		case keyIs(key, "timestamp"), keyIs(key, "timeStamp"):
			err = parseTimeValue(value, &p.Timestamp)
		}
		return err
	})
	if err != nil {
		if errors.Is(err, errScan) {
			return PriceUpdate{}, fmt.Errorf("%w: price update", ErrBadData)
		}
		return PriceUpdate{}, fmt.Errorf("%w: price update: %v", ErrWrongType, err)
	}
	if p.Pair == "" || p.BuyPrice.IsZero() && p.SellPrice.IsZero() {
		return PriceUpdate{}, fmt.Errorf("%w: price update without pair or prices", ErrWrongType)
	}
	return p, nil
}

var errNotTime = errors.New("timestamp is not a string")

func parseTimeValue(v []byte, t *hercle.Time) error {
	if string(v) == "null" {
		return nil
	}
	if len(v) == 0 || v[0] != '"' {
		return errNotTime
	}
	if tt, ok := utcStamp(v); ok {
		t.Time = tt
		return nil
	}
	s, err := unquote(v)
	if err != nil {
		return err
	}
	// The venue's own format first: RFC 3339 with fractional seconds. Raw
	// is kept only for text that does not parse that way.
	if tt, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t.Time = tt
		return nil
	}
	t.Raw = s
	t.Time, _ = hercle.ParseTime(s)
	return nil
}

// utcStamp parses the quoted literal v if it is the venue's usual timestamp,
// "YYYY-MM-DDTHH:MM:SS[.fraction]Z", straight from the bytes, to what
// time.Parse(time.RFC3339Nano, …) gives for it (same range checks; digits
// past the ninth are ignored, as there). ok is false for anything else,
// offsets and escapes included, which the caller parses the general way.
func utcStamp(v []byte) (t time.Time, ok bool) {
	const minLen = len(`"2006-01-02T15:04:05Z"`)
	n := len(v)
	if n < minLen || v[0] != '"' || v[n-1] != '"' || v[n-2] != 'Z' {
		return time.Time{}, false
	}
	s := v[1 : n-2]
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	ok = true
	num := func(b []byte, lo, hi int) int {
		x := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				ok = false
				return lo
			}
			x = x*10 + int(c-'0')
		}
		if x < lo || x > hi {
			ok = false
			return lo
		}
		return x
	}
	year, month := num(s[0:4], 0, 9999), num(s[5:7], 1, 12)
	day := num(s[8:10], 1, daysIn(month, year))
	hour, minute, sec := num(s[11:13], 0, 23), num(s[14:16], 0, 59), num(s[17:19], 0, 59)
	if !ok {
		return time.Time{}, false
	}
	nsec := 0
	if frac := s[19:]; len(frac) > 0 {
		if len(frac) < 2 || frac[0] != '.' {
			return time.Time{}, false
		}
		for i, c := range frac[1:] {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			if i < 9 {
				nsec = nsec*10 + int(c-'0')
			}
		}
		for i := len(frac) - 1; i < 9; i++ {
			nsec *= 10
		}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// daysIn returns the number of days in month (1 to 12) of year.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

package pnl

import (
	"strings"
	"testing"
	"time"
)

func TestParseQuery(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 4, 23, 30, 0, 0, time.UTC) // 00:30 on the 5th in Paris
	for _, c := range []struct {
		since, by string
		want      time.Time
		wantBy    string
	}{
		{"", "", time.Time{}, ByStrategy},
		{"today", "day", time.Date(2025, 3, 5, 0, 0, 0, 0, paris), ByDay},
		{"2025-03-01", "asset", time.Date(2025, 3, 1, 0, 0, 0, 0, paris), ByAsset},
		{"2025-03-01T10:00:00Z", "strategy", time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), ByStrategy},
		{"72h", "", now.Add(-72 * time.Hour), ByStrategy},
	} {
		q, err := ParseQuery(c.since, c.by, now, paris)
		if err != nil || !q.Since.Equal(c.want) || q.By != c.wantBy {
			t.Errorf("ParseQuery(%q, %q) = %+v, %v; want since %s by %s", c.since, c.by, q, err, c.want, c.wantBy)
		}
	}
	_, err = ParseQuery("yesterday", "venue", now, paris)
	if err == nil || !strings.Contains(err.Error(), "since") || !strings.Contains(err.Error(), "by") {
		t.Errorf("ParseQuery(bad, bad) = %v, want both problems", err)
	}
}

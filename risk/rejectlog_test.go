package risk

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A strategy refused again and again for the same reason is logged at
// Warn once per repeatWindow, with the count of the refusals logged at
// Debug in between; another strategy, another reason or a transfer is
// logged at Warn of its own; the metric counts every refusal.
func TestRepeatedRejectionsLogOncePerWindow(t *testing.T) {
	logs := &bytes.Buffer{}
	f := newFixture(t, func(l *Limits, o *Options) {
		l.Assets = map[string]AssetLimits{"BTC": {MaxPosition: dec("1.05")}}
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	s := baseState() // 1 BTC held: a buy of 0.1 is over 1.05
	now := t0
	check := func(strategy string, after time.Duration) {
		t.Helper()
		now = now.Add(after)
		s.Clock = now
		for pair, tk := range s.Ticks {
			tk.Time, tk.Received = now, now
			s.Ticks[pair] = tk
		}
		in := baseIntent()
		in.Strategy = strategy
		var rej *Rejection
		if _, err := f.e.Check(ctx, now, s, in); !errors.As(err, &rej) || rej.Reason != Position {
			t.Fatalf("check = %v, want a position rejection", err)
		}
	}
	warns := func() []string {
		var out []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "level=WARN") && strings.Contains(l, `msg="risk rejection"`) {
				out = append(out, l)
			}
		}
		return out
	}

	check("dip", 0)
	for range 9 { // retry_after 1m: within the window
		check("dip", time.Minute)
	}
	check("other", 0) // another strategy: its own line
	if w := warns(); len(w) != 2 || !strings.Contains(w[0], "strategy=dip") || !strings.Contains(w[1], "strategy=other") {
		t.Fatalf("after 10 refusals of dip in 9 minutes and one of other, Warn lines:\n%s\nwant one each", strings.Join(w, "\n"))
	}
	if n := strings.Count(logs.String(), "level=DEBUG msg=\"risk rejection\""); n != 9 {
		t.Fatalf("%d refusals at Debug, want the 9 repeats", n)
	}
	check("dip", time.Minute) // 10 minutes after the first line: at Warn again
	w := warns()
	if len(w) != 3 || !strings.Contains(w[2], "strategy=dip") || !strings.Contains(w[2], "repeated=9") {
		t.Fatalf("Warn lines:\n%s\nwant a third, for dip, with repeated=9", strings.Join(w, "\n"))
	}
	if got := testutil.ToFloat64(f.e.m.rejections.WithLabelValues(Position.String())); got != 12 {
		t.Fatalf("rejections counted: %v, want every one of the 12", got)
	}
}

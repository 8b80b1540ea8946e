package risk

import (
	"log/slog"
	"sync"
	"time"
)

// repeatWindow is how long a rejection like one just logged is logged at
// Debug only: a strategy that keeps asking for what a limit forbids (once
// a minute, by its retry_after) would otherwise fill the log with Warn
// lines that say nothing new. The first one after the window is at Warn
// again, with the count of those in between. The rejections metric counts
// every one, and the alert on its rate is what pages.
const repeatWindow = 10 * time.Minute

// maxRepeatKeys bounds what rejectLog keeps: strategies, destinations and
// reasons are few, so passing it only happens with names made up on the
// fly, and forgetting them all costs a Warn line each.
const maxRepeatKeys = 1024

// rejectLog decides the level of each rejection's log line. It is safe
// for concurrent use.
type rejectLog struct {
	mu   sync.Mutex
	seen map[repeatKey]*repeats
}

// repeatKey is who was refused (a strategy or a destination) and why.
type repeatKey struct {
	who    string
	reason Reason
}

type repeats struct {
	logged time.Time // the last Warn line
	since  int       // rejections logged at Debug since it
}

// level returns the level of a rejection of who for reason at now, and
// how many like it were logged at Debug since the last Warn line (only
// with Warn).
func (l *rejectLog) level(now time.Time, who string, reason Reason) (slog.Level, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := repeatKey{who, reason}
	r := l.seen[k]
	if r != nil && now.Sub(r.logged) < repeatWindow && !now.Before(r.logged) {
		r.since++
		return slog.LevelDebug, 0
	}
	if r == nil {
		if len(l.seen) >= maxRepeatKeys {
			clear(l.seen)
		}
		if l.seen == nil {
			l.seen = map[repeatKey]*repeats{}
		}
		r = &repeats{}
		l.seen[k] = r
	}
	since := r.since
	r.logged, r.since = now, 0
	return slog.LevelWarn, since
}

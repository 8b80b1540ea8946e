package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// queued is an event waiting in a sink's queue.
type queued struct {
	ev Event
	at time.Time // when Notify queued it
}

// pile is what the rate limiter held back of one class since the last
// summary.
type pile struct {
	n        int
	last     string // the latest title
	severity Severity
}

// worker delivers one sink's events. Notify writes to queue (and, under
// Notifier.mu, dedup) and counts drops; everything else belongs to the
// worker's goroutine.
type worker struct {
	name     string
	to       sender
	queue    chan queued
	dedup    *dedup // guarded by Notifier.mu
	clock    clock.Clock
	log      *slog.Logger
	m        sinkMetrics
	giveUp   time.Duration
	timeout  time.Duration
	logEvery time.Duration
	idPrefix string

	// drops counts events dropped since the last log line, by reason.
	drops [numReasons]atomic.Int64

	// Owned by the worker goroutine.
	rng      *rand.Rand
	limiter  *rate.Limiter
	seq      uint64
	piles    map[Class]*pile
	held     int         // events in piles
	summary  clock.Timer // fires when a token is due for the summary
	logTimer clock.Timer // fires when the next drop log line is due
	lastLog  time.Time
	lastErr  error
}

// drop counts one event dropped for reason.
func (w *worker) drop(reason int) {
	w.m.dropped[reason].Inc()
	w.drops[reason].Add(1)
}

// run delivers until stop is closed, then drains (see drain). Sends and
// waits between retries end when life does.
func (w *worker) run(stop <-chan struct{}, life context.Context) {
	defer w.stopTimers()
	for {
		w.logDrops(false)
		select {
		case <-stop:
			w.drain(life)
			return
		case q := <-w.queue:
			w.handle(life, q)
		case <-timerC(w.summary):
			w.summary = nil
			w.flush(life, false)
		case <-timerC(w.logTimer):
			w.logTimer = nil
		}
	}
}

// drain sends what is queued until the queue is empty or life ends, then
// the summary of what the rate limit held back (whatever the rate), and
// counts the rest as dropped at shutdown.
func (w *worker) drain(life context.Context) {
	for life.Err() == nil {
		q, ok := w.next()
		if !ok {
			break
		}
		w.handle(life, q)
	}
	if life.Err() == nil {
		w.flush(life, true)
	}
	for _, ok := w.next(); ok; _, ok = w.next() {
		w.drop(reasonShutdown)
	}
	for ; w.held > 0; w.held-- {
		w.drop(reasonShutdown)
	}
	w.logDrops(true)
}

// next takes an event from the queue without waiting.
func (w *worker) next() (queued, bool) {
	select {
	case q := <-w.queue:
		return q, true
	default:
		return queued{}, false
	}
}

// handle delivers q, or holds it back for the summary when the sink is
// over its rate (or already holding events back, to keep their order).
func (w *worker) handle(life context.Context, q queued) {
	if w.clock.Now().Sub(q.at) >= w.giveUp {
		w.drop(reasonGaveUp)
		return
	}
	w.flush(life, false)
	if w.held == 0 && w.limiter.AllowN(w.clock.Now(), 1) {
		w.deliver(life, q.ev, q.at)
		return
	}
	p := w.piles[q.ev.Class]
	if p == nil {
		p = &pile{}
		w.piles[q.ev.Class] = p
	}
	p.n++
	p.last = q.ev.Title
	p.severity = max(p.severity, q.ev.Severity)
	w.held++
	w.m.coalesced[q.ev.Class].Inc()
	w.armSummary()
}

// flush sends the summary of the held-back events if a token is available
// (or force is set); otherwise it makes sure a timer will try again.
func (w *worker) flush(life context.Context, force bool) {
	if w.held == 0 {
		return
	}
	now := w.clock.Now()
	if !force && !w.limiter.AllowN(now, 1) {
		w.armSummary()
		return
	}
	ev := Event{Class: ClassAlerts, Time: now,
		Title: fmt.Sprintf("Rate limit: %d more event%s not sent one by one", w.held, plural(w.held))}
	for _, c := range Classes() {
		if p := w.piles[c]; p != nil {
			ev.Fields = append(ev.Fields, Field{string(c), fmt.Sprintf("%d more; last: %s", p.n, p.last)})
			ev.Severity = max(ev.Severity, p.severity)
		}
	}
	clear(w.piles)
	w.held = 0
	if w.summary != nil {
		w.summary.Stop()
		w.summary = nil
	}
	w.deliver(life, ev, now)
}

// armSummary starts the summary timer, unless it runs, for when the
// bucket next holds a whole token.
func (w *worker) armSummary() {
	if w.summary != nil {
		return
	}
	need := 1 - w.limiter.TokensAt(w.clock.Now())
	d := time.Duration(math.Ceil(need/float64(w.limiter.Limit())*1000)) * time.Millisecond
	w.summary = w.clock.NewTimer(max(d, time.Millisecond))
}

// deliver sends ev until the receiver accepts it, refuses it for good,
// give_up_after has passed since queuedAt, or life ends. Between attempts
// it waits the receiver's Retry-After, or jittered exponential backoff.
func (w *worker) deliver(life context.Context, ev Event, queuedAt time.Time) {
	w.seq++
	m := message{ID: fmt.Sprintf("%s-%d", w.idPrefix, w.seq), Event: ev}
	deadline := queuedAt.Add(w.giveUp)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			w.m.retries.Inc()
		}
		start := w.clock.Now()
		ctx, cancel := context.WithTimeout(life, w.timeout)
		err := w.to.send(ctx, m)
		cancel()
		now := w.clock.Now()
		w.m.send.Observe(now.Sub(start).Seconds())
		if err == nil {
			w.m.sent.Inc()
			return
		}
		w.lastErr = err
		var de *deliveryError
		switch {
		case life.Err() != nil:
			w.drop(reasonShutdown)
			return
		case errors.As(err, &de) && !de.retryable():
			w.drop(reasonRejected)
			return
		}
		var wait time.Duration
		if de != nil {
			wait = de.RetryAfter
		}
		if wait == 0 {
			wait = min(venuehttp.Backoff(attempt, nil, now, w.rng.Int64N), deadline.Sub(now))
		}
		if wait <= 0 || now.Add(wait).After(deadline) {
			w.drop(reasonGaveUp)
			return
		}
		t := w.clock.NewTimer(wait)
		select {
		case <-t.C():
		case <-life.Done():
			t.Stop()
			w.drop(reasonShutdown)
			return
		}
		w.logDrops(false)
	}
}

// logDrops writes one line counting the events dropped since the last
// line, at most once per logEvery unless force is set; when a line is due
// later, it arms the timer that wakes the worker for it.
func (w *worker) logDrops(force bool) {
	var counts [numReasons]int64
	total := int64(0)
	for r := range counts {
		counts[r] = w.drops[r].Load()
		total += counts[r]
	}
	if total == 0 {
		return
	}
	now := w.clock.Now()
	if due := w.lastLog.Add(w.logEvery); !force && !w.lastLog.IsZero() && now.Before(due) {
		if w.logTimer == nil {
			w.logTimer = w.clock.NewTimer(due.Sub(now))
		}
		return
	}
	attrs := []any{"sink", w.name, "dropped", total}
	for r, n := range counts {
		if n > 0 {
			w.drops[r].Add(-n)
			attrs = append(attrs, reasonNames[r], n)
		}
	}
	if !w.lastLog.IsZero() {
		attrs = append(attrs, "since", w.lastLog)
	}
	if w.lastErr != nil {
		attrs = append(attrs, "last_error", w.lastErr.Error())
		w.lastErr = nil
	}
	w.lastLog = now
	w.log.Warn("notify: events dropped", attrs...)
}

func (w *worker) stopTimers() {
	for _, t := range []clock.Timer{w.summary, w.logTimer} {
		if t != nil {
			t.Stop()
		}
	}
	w.summary, w.logTimer = nil, nil
}

// timerC returns t's channel, or nil (never ready) for no timer.
func timerC(t clock.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C()
}

package heropay

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// delivery is one callback waiting to be delivered.
type delivery struct {
	paymentID string
	url       string
	body      []byte // JSON.stringify form: what is signed is what is sent
	attempt   int    // deliveries tried so far
	due       time.Time
}

// queueCallbackLocked queues p's current state for delivery at its
// callbackUrl (a further payment's is its original's, as the document
// says), unless a drop was requested, in which case the callback is lost
// for good.
func (s *Server) queueCallbackLocked(p *record, at time.Time) {
	body, err := encodeJS(p.wire())
	if err != nil {
		s.log.Error("heropay: encode callback", "payment", p.ID, "err", err)
		return
	}
	p.last = body
	if p.callbackURL == "" {
		return
	}
	if s.drop > 0 {
		s.drop--
		return
	}
	s.queue = append(s.queue, &delivery{paymentID: p.ID, url: p.callbackURL, body: body, due: at})
	s.wake()
}

// run is the worker: it applies due status changes and delivers due
// callbacks, sleeping on the simulator's clock until the next is due.
func (s *Server) run(ctx context.Context) {
	for {
		s.mu.Lock()
		now := s.clock.Now()
		s.advanceLocked(now)
		due := s.takeDueLocked(now)
		next := s.nextLocked()
		s.mu.Unlock()

		for _, d := range due {
			s.attempt(ctx, d, now)
		}
		if len(due) > 0 {
			continue
		}
		if !s.sleep(ctx, next) {
			return
		}
	}
}

// takeDueLocked removes and returns the deliveries due by now.
func (s *Server) takeDueLocked(now time.Time) []*delivery {
	var due, rest []*delivery
	for _, d := range s.queue {
		if d.due.After(now) {
			rest = append(rest, d)
		} else {
			due = append(due, d)
		}
	}
	s.queue = rest
	return due
}

// attempt delivers d once; a refused delivery is queued again after the
// backoff, counted from now, until CallbackAttempts are spent.
func (s *Server) attempt(ctx context.Context, d *delivery, now time.Time) {
	ok := s.deliver(ctx, d)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case ok:
		s.delivered++
	case d.attempt < s.opts.CallbackAttempts && !s.closed:
		d.due = now.Add(s.opts.CallbackBackoff << min(d.attempt-1, 10))
		s.queue = append(s.queue, d)
	default:
		s.log.Warn("heropay: callback given up", "payment", d.paymentID, "attempts", d.attempt)
	}
}

// sleep waits until next on the simulator's clock (for ever when next is
// zero), a wake-up or ctx's end; it reports false when ctx ended.
func (s *Server) sleep(ctx context.Context, next time.Time) bool {
	var timer <-chan time.Time
	if !next.IsZero() {
		t := s.clock.NewTimer(next.Sub(s.clock.Now()))
		defer t.Stop()
		// The clock may have moved between reading it and arming the
		// timer; then the timer is late, so look again at once.
		if !s.clock.Now().Before(next) {
			return ctx.Err() == nil
		}
		timer = t.C()
	}
	select {
	case <-timer:
	case <-s.kick:
	case <-ctx.Done():
	}
	return ctx.Err() == nil
}

// nextLocked returns when something is next due: a callback, a status
// step, an expiry or a customer's payment; zero when nothing is.
func (s *Server) nextLocked() time.Time {
	var next time.Time
	earlier := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, d := range s.queue {
		earlier(d.due)
	}
	if !s.cust.next.IsZero() {
		earlier(s.cust.next)
	}
	for _, p := range s.payments {
		switch {
		case len(p.steps) > 0:
			earlier(p.next)
		case p.waiting():
			earlier(p.ExpiresAt)
		}
	}
	return next
}

// deliver POSTs one signed callback and reports whether it was answered
// 2xx. The signature is over the body, which is already in JSON.stringify
// form: the document's receiver stringifies what it got and signs that.
func (s *Server) deliver(ctx context.Context, d *delivery) bool {
	d.attempt++
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignHeader, signature(s.opts.APISecret, d.body))
	resp, err := s.hc.Do(req)
	if err != nil {
		s.log.Info("heropay: callback failed", "payment", d.paymentID, "attempt", d.attempt, "err", err)
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

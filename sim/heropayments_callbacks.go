package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/otcdesk/engine/heropayments"
)

// hpDelivery is one callback waiting to be delivered.
type hpDelivery struct {
	paymentID string
	url       string
	body      []byte // JSON.stringify form: what is signed is what is sent
	attempt   int    // deliveries tried so far
	due       time.Time
}

// queueCallbackLocked queues p's current state for delivery at its
// callbackUrl (a further payment's is its original's), unless a drop was
// requested, in which case the callback is lost for good.
func (s *HeropaymentsServer) queueCallbackLocked(p *hpPayment, at time.Time) {
	raw, err := json.Marshal(hpToWire(p))
	if err != nil {
		s.log.Error("sim: heropayments: encode callback", "err", err)
		return
	}
	body, err := heropayments.Normalize(raw)
	if err != nil {
		s.log.Error("sim: heropayments: normalise callback", "err", err)
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
	s.queue = append(s.queue, &hpDelivery{paymentID: p.id, url: p.callbackURL, body: body, due: at})
	s.wake()
}

// run is the worker: it applies due status changes and delivers due
// callbacks, sleeping on the simulator's clock until the next is due.
func (s *HeropaymentsServer) run(ctx context.Context) {
	for {
		s.mu.Lock()
		now := s.clock.Now()
		s.advanceLocked(now)
		var due, rest []*hpDelivery
		for _, d := range s.queue {
			if d.due.After(now) {
				rest = append(rest, d)
			} else {
				due = append(due, d)
			}
		}
		s.queue = rest
		next := s.nextLocked()
		s.mu.Unlock()

		for _, d := range due {
			ok := s.deliver(ctx, d)
			s.mu.Lock()
			switch {
			case ok:
				s.delivered++
			case d.attempt < s.opts.CallbackAttempts && !s.closed:
				d.due = now.Add(s.opts.CallbackBackoff << min(d.attempt-1, 10))
				s.queue = append(s.queue, d)
			default:
				s.log.Warn("sim: heropayments: callback given up", "payment", d.paymentID, "attempts", d.attempt)
			}
			s.mu.Unlock()
		}
		if len(due) > 0 {
			continue
		}
		var timer <-chan time.Time
		var stop func() bool
		if !next.IsZero() {
			t := s.clock.NewTimer(next.Sub(s.clock.Now()))
			timer, stop = t.C(), t.Stop
			// The clock may have moved between reading it and arming the
			// timer; then the timer is late, so look again at once.
			if !s.clock.Now().Before(next) {
				t.Stop()
				continue
			}
		}
		select {
		case <-timer:
		case <-s.kick:
		case <-ctx.Done():
		}
		if stop != nil {
			stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// nextLocked returns when something is next due: a callback, a status
// step or an expiry; zero when nothing is.
func (s *HeropaymentsServer) nextLocked() time.Time {
	var next time.Time
	earlier := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, d := range s.queue {
		earlier(d.due)
	}
	for _, p := range s.payments {
		switch {
		case len(p.steps) > 0:
			earlier(p.next)
		case p.kind == heropayments.KindDeposit && hpWaiting(p):
			earlier(p.expires)
		}
	}
	return next
}

// deliver POSTs one signed callback and reports whether it was answered
// 2xx.
func (s *HeropaymentsServer) deliver(ctx context.Context, d *hpDelivery) bool {
	d.attempt++
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(heropayments.SignHeader, heropayments.Sign(s.opts.APISecret, d.body))
	resp, err := s.hc.Do(req)
	if err != nil {
		s.log.Info("sim: heropayments: callback failed", "payment", d.paymentID, "attempt", d.attempt, "err", err)
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

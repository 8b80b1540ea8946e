package sim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otcdesk/engine/internal/clock"
)

// The webhook sender: it queues events and posts them, signed with a
// WebhookSigner in a WebhookFormat envelope, retrying and injecting the
// faults of WebhookFaults.

// WebhookFaults are the per-event probabilities (0 to 1) of the faults
// the sender injects, drawn from the sender's seeded generator.
type WebhookFaults struct {
	// Duplicate delivers an event a second time after its first success.
	Duplicate float64
	// Reorder holds an event back and delivers it after the next one (or
	// after MaxDelay if no other event comes).
	Reorder float64
	// Delay waits a random time up to MaxDelay before the first attempt.
	Delay float64
	// BadSignature corrupts the signature of the first attempt (the
	// receiver must refuse it; the retry is signed properly).
	BadSignature float64
	// StaleTimestamp signs the first attempt StaleBy in the past.
	StaleTimestamp float64
	// MaxDelay bounds Delay and Reorder holds; zero means 200ms.
	MaxDelay time.Duration
	// StaleBy is the age of a stale timestamp; zero means 10 minutes.
	StaleBy time.Duration
}

// WebhookSenderConfig configures a WebhookSender.
type WebhookSenderConfig struct {
	URL    string         // the receiver, e.g. http://127.0.0.1:8080/webhooks/hercle
	Signer *WebhookSigner // required
	Format WebhookFormat
	// Client posts the webhooks; nil means a client with a 10s timeout.
	Client *http.Client
	// QueueSize bounds the events waiting for delivery; Send blocks when
	// it is full. Zero means 1024.
	QueueSize int
	// MaxAttempts bounds the posts of one event (its first delivery);
	// zero means 10. After the last failure the event counts as failed.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait between attempts, which
	// doubles from MinBackoff (with jitter) up to MaxBackoff. Zero means
	// 100ms and 10s.
	MinBackoff, MaxBackoff time.Duration
	Faults                 WebhookFaults
	// Seed drives event ids, delivery ids, jitter and faults, so a run
	// can be repeated.
	Seed uint64
	// Clock stamps envelopes and signatures; the zero value is the system
	// clock. Waits (backoff, delays) use real timers whatever Clock is, so
	// a test on a manual clock need not move it for deliveries to go on.
	Clock clock.Clock
	// Logger receives failed deliveries; nil discards.
	Logger *slog.Logger
}

// WebhookSenderStats counts what a sender did.
type WebhookSenderStats struct {
	Queued, Delivered, Failed      int64 // events: accepted by Send, acknowledged 2xx, given up
	Attempts                       int64 // posts, duplicates and faulty ones included
	Duplicates, Reordered, Delayed int64 // injected faults, by events affected
	BadSignatures, StaleTimestamps int64
	Refused                        int64 // attempts answered with a non-2xx status
	NetworkErrors                  int64 // attempts that got no answer
}

// ErrSenderClosed is returned by Send after Close.
var ErrSenderClosed = errors.New("sim: webhook sender closed")

// WebhookSender queues events and posts them, signed, to one URL, one at
// a time and in order (apart from injected reordering), retrying non-2xx
// answers and network errors with capped exponential backoff. Its single
// delivery goroutine stops when the context given to NewWebhookSender ends
// or when Close has drained the queue. A *WebhookSender is safe for
// concurrent use.
type WebhookSender struct {
	cfg    WebhookSenderConfig
	clock  clock.Clock
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the delivery goroutine returns

	closing   chan struct{} // closed first by Close, to wake blocked Sends
	closeOnce sync.Once
	mu        sync.RWMutex // Send holds it shared while queueing; Close exclusively to close queue
	queue     chan outEvent
	closed    bool // guarded by mu

	idMu sync.Mutex  // guards ids
	ids  *mrand.Rand // event ids, drawn by Send
	// rng draws faults, jitter and delivery ids. Only the delivery
	// goroutine uses it, so a run's faults do not depend on how Send
	// calls interleave with deliveries.
	rng *mrand.Rand

	stats struct {
		queued, delivered, failed, attempts, duplicates, reordered, delayed atomic.Int64
		badSignatures, staleTimestamps, refused, networkErrors              atomic.Int64
	}
}

type outEvent struct {
	id      string
	body    []byte
	flushed chan struct{} // set on Flush's marker instead of an event
}

// NewWebhookSender starts a sender; its goroutine lives until ctx ends or
// Close returns.
func NewWebhookSender(ctx context.Context, cfg WebhookSenderConfig) (*WebhookSender, error) {
	if cfg.Signer == nil || cfg.URL == "" {
		return nil, errors.New("sim: webhook sender needs a URL and a signer")
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.Faults.MaxDelay <= 0 {
		cfg.Faults.MaxDelay = 200 * time.Millisecond
	}
	if cfg.Faults.StaleBy <= 0 {
		cfg.Faults.StaleBy = 10 * time.Minute
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	s := &WebhookSender{
		cfg:     cfg,
		clock:   cfg.Clock,
		log:     cfg.Logger,
		done:    make(chan struct{}),
		closing: make(chan struct{}),
		queue:   make(chan outEvent, cfg.QueueSize),
		ids:     mrand.New(mrand.NewPCG(cfg.Seed, 1)),
		rng:     mrand.New(mrand.NewPCG(cfg.Seed, 2)),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	go s.run()
	return s, nil
}

// Send queues one event and returns its generated EventId. data is
// marshalled with encoding/json (a json.RawMessage is sent as is). Send
// blocks while the queue is full, until ctx ends.
func (s *WebhookSender) Send(ctx context.Context, eventType string, data any) (string, error) {
	id := s.eventID()
	if err := s.SendEvent(ctx, id, eventType, s.clock.Now(), data); err != nil {
		return "", err
	}
	return id, nil
}

// SendEvent is Send with the caller's EventId and event time (the
// envelope's Timestamp: when the event occurred, not when it is signed).
func (s *WebhookSender) SendEvent(ctx context.Context, eventID, eventType string, at time.Time, data any) error {
	if eventID == "" {
		return errors.New("sim: webhook needs an event id")
	}
	raw, ok := data.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(data); err != nil {
			return fmt.Errorf("sim: webhook %s data: %w", eventType, err)
		}
	}
	body, err := s.cfg.Format.Envelope(eventID, eventType, at, raw)
	if err != nil {
		return fmt.Errorf("sim: webhook %s: %w", eventType, err)
	}
	if err := s.enqueue(ctx, outEvent{id: eventID, body: body}); err != nil {
		return err
	}
	s.stats.queued.Add(1)
	return nil
}

// Flush waits until every event queued before it has been delivered or
// given up; an event held back by the Reorder fault is delivered at once.
// It returns ErrSenderClosed if the sender stops first.
func (s *WebhookSender) Flush(ctx context.Context) error {
	done := make(chan struct{})
	if err := s.enqueue(ctx, outEvent{flushed: done}); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		select {
		case <-done:
			return nil
		default:
			return ErrSenderClosed
		}
	}
}

func (s *WebhookSender) enqueue(ctx context.Context, ev outEvent) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrSenderClosed
	}
	select {
	case s.queue <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return ErrSenderClosed
	case <-s.ctx.Done():
		return ErrSenderClosed
	}
}

// Close stops accepting events and waits until the queued ones are
// delivered or given up. If ctx ends first, delivery is abandoned and
// ctx's error returned; the goroutine has stopped either way.
func (s *WebhookSender) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.closing) })
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		<-s.done
		return ctx.Err()
	}
}

// Stats returns the counters so far.
func (s *WebhookSender) Stats() WebhookSenderStats {
	return WebhookSenderStats{
		Queued: s.stats.queued.Load(), Delivered: s.stats.delivered.Load(), Failed: s.stats.failed.Load(),
		Attempts: s.stats.attempts.Load(), Duplicates: s.stats.duplicates.Load(), Reordered: s.stats.reordered.Load(),
		Delayed: s.stats.delayed.Load(), BadSignatures: s.stats.badSignatures.Load(),
		StaleTimestamps: s.stats.staleTimestamps.Load(), Refused: s.stats.refused.Load(),
		NetworkErrors: s.stats.networkErrors.Load(),
	}
}

func (s *WebhookSender) run() {
	defer close(s.done)
	var held *outEvent
	var holdTimer <-chan time.Time
	var hold *time.Timer
	defer func() {
		if hold != nil {
			hold.Stop()
		}
	}()
	for {
		select {
		case ev, ok := <-s.queue:
			if !ok {
				if held != nil {
					s.deliver(*held)
				}
				return
			}
			if ev.flushed != nil {
				if held != nil {
					hold.Stop()
					s.deliver(*held)
					held, holdTimer = nil, nil
				}
				close(ev.flushed)
				continue
			}
			if held == nil && s.chance(s.cfg.Faults.Reorder) {
				s.stats.reordered.Add(1)
				held = &ev
				hold = time.NewTimer(s.cfg.Faults.MaxDelay)
				holdTimer = hold.C
				continue
			}
			s.deliver(ev)
			if held != nil {
				hold.Stop()
				s.deliver(*held)
				held, holdTimer = nil, nil
			}
		case <-holdTimer:
			s.deliver(*held)
			held, holdTimer = nil, nil
		case <-s.ctx.Done():
			return
		}
	}
}

type webhookFault int

const (
	noFault webhookFault = iota
	badSignature
	staleTimestamp
)

// deliver posts ev until a 2xx, MaxAttempts or the end of s.ctx.
func (s *WebhookSender) deliver(ev outEvent) {
	if s.chance(s.cfg.Faults.Delay) {
		s.stats.delayed.Add(1)
		if !s.wait(time.Duration(s.float() * float64(s.cfg.Faults.MaxDelay))) {
			return
		}
	}
	first := noFault
	switch {
	case s.chance(s.cfg.Faults.BadSignature):
		first = badSignature
		s.stats.badSignatures.Add(1)
	case s.chance(s.cfg.Faults.StaleTimestamp):
		first = staleTimestamp
		s.stats.staleTimestamps.Add(1)
	}
	backoff := s.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		f := noFault
		if attempt == 1 {
			f = first
		}
		status, err := s.post(ev, f)
		if err == nil && status >= 200 && status < 300 {
			s.stats.delivered.Add(1)
			if s.chance(s.cfg.Faults.Duplicate) {
				s.stats.duplicates.Add(1)
				_, _ = s.post(ev, noFault)
			}
			return
		}
		if s.ctx.Err() != nil {
			s.stats.failed.Add(1)
			return
		}
		if attempt >= s.cfg.MaxAttempts {
			s.stats.failed.Add(1)
			s.log.Warn("sim: webhook not delivered", "event_id", ev.id, "attempts", attempt, "status", status, "err", err)
			return
		}
		jittered := time.Duration(float64(backoff) * (0.5 + 0.5*s.float()))
		if !s.wait(jittered) {
			s.stats.failed.Add(1)
			return
		}
		backoff = min(2*backoff, s.cfg.MaxBackoff)
	}
}

// post makes one attempt and returns the status (0 on a network error).
func (s *WebhookSender) post(ev outEvent, f webhookFault) (int, error) {
	s.stats.attempts.Add(1)
	at := s.clock.Now()
	if f == staleTimestamp {
		at = at.Add(-s.cfg.Faults.StaleBy)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	sig, err := s.cfg.Signer.Sign(ts, ev.body)
	if err != nil {
		return 0, err
	}
	if f == badSignature {
		sig = corrupt(sig)
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(ev.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", s.cfg.Format.contentType())
	req.Header.Set(webhookTimestampHeader, ts)
	req.Header.Set(webhookSignatureHeader, sig)
	req.Header.Set(webhookIDHeader, uuid(s.rng))
	res, err := s.cfg.Client.Do(req)
	if err != nil {
		s.stats.networkErrors.Add(1)
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		s.stats.refused.Add(1)
	}
	return res.StatusCode, nil
}

// corrupt flips one bit of a base64 signature, keeping it well-formed.
func corrupt(sig string) string {
	b, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(b) == 0 {
		return "AAAA"
	}
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

// wait sleeps d unless s.ctx ends first; it reports whether d passed.
func (s *WebhookSender) wait(d time.Duration) bool {
	if d <= 0 {
		return s.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *WebhookSender) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	return s.float() < p
}

func (s *WebhookSender) float() float64 { return s.rng.Float64() }

// eventID draws an event id; it is called by Send.
func (s *WebhookSender) eventID() string {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	return uuid(s.ids)
}

// uuid draws a version 4 UUID from r.
func uuid(r *mrand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

package hub

import (
	"errors"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// hubReceiver decodes and routes hub messages. Its methods are called from
// one read goroutine at a time; mu guards the decoder scratch and the set of
// unknown subjects already logged.
type hubReceiver struct {
	log     *slog.Logger
	onPrice func(PriceUpdate)
	onEvent func(Event)
	m       *hubMetrics
	prices  prometheus.Counter // cached engine_hercle_hub_messages_total{subscriptions,price}

	mu      sync.Mutex
	dec     hubDecoder
	unknown map[string]bool
	errs    map[string]int // malformed messages per reason, for log sampling
}

func newHubReceiver(log *slog.Logger, onPrice func(PriceUpdate), onEvent func(Event), m *hubMetrics) *hubReceiver {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &hubReceiver{log: log, onPrice: onPrice, onEvent: onEvent, m: m,
		unknown: map[string]bool{}, errs: map[string]int{}}
	if m != nil {
		r.prices = m.messages.WithLabelValues(ChannelSubscriptions, "price")
	}
	return r
}

// maxUnknownSubjects bounds the set of unknown subjects remembered for
// logging once, so a hostile stream cannot grow it without limit.
const maxUnknownSubjects = 256

// dispatch decodes one hub message argument and routes it. It never panics
// and never returns an error: bad input is counted and logged.
func (r *hubReceiver) dispatch(channel string, arg []byte) {
	r.mu.Lock()
	ev, p, isPrice, err := r.dec.decodeFast(arg)
	r.mu.Unlock()
	r.route(channel, ev, p, isPrice, err)
}

// route delivers the result of decoding one message, or counts and logs
// why it could not be decoded.
func (r *hubReceiver) route(channel string, ev Event, p PriceUpdate, isPrice bool, err error) {
	if err == nil {
		if isPrice {
			if r.prices != nil {
				r.prices.Inc()
			}
			if r.onPrice != nil {
				r.onPrice(p)
			}
			return
		}
		kind := "event"
		if _, isErr := ev.Data.(*Error); isErr {
			kind = "error"
		}
		r.m.message(channel, kind)
		if r.onEvent != nil {
			r.onEvent(ev)
		}
		return
	}
	if errors.Is(err, ErrUnknownSubject) {
		r.m.message(channel, "unknown")
		r.mu.Lock()
		first := !r.unknown[ev.Subject] && len(r.unknown) < maxUnknownSubjects
		if first {
			r.unknown[ev.Subject] = true
		}
		r.mu.Unlock()
		if first {
			r.log.Warn("hub sent an unknown subject; counting, not decoding", "channel", channel, "subject", redactSnippet(ev.Subject))
		}
		if r.onEvent != nil {
			r.onEvent(ev)
		}
		return
	}
	reason := "malformed"
	switch {
	case errors.Is(err, ErrBadData):
		reason = "bad_data"
	case errors.Is(err, ErrWrongType):
		reason = "wrong_type"
	}
	r.malformed(channel, reason, err)
}

// malformed counts a dropped message and logs the first of each reason and
// then every power of two, so a broken stream cannot flood the log.
func (r *hubReceiver) malformed(channel, reason string, err error) {
	r.m.decodeError(reason)
	r.mu.Lock()
	r.errs[reason]++
	n := r.errs[reason]
	r.mu.Unlock()
	if n&(n-1) == 0 {
		r.log.Warn("hub message dropped", "channel", channel, "reason", reason, "count", n, "err", err)
	}
}

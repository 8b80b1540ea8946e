package hercle

import (
	"time"

	"github.com/otcdesk/engine/internal/promreg"
	"github.com/prometheus/client_golang/prometheus"
)

// Outcome labels of engine_hercle_requests_total.
const (
	outcomeOK       = "ok"       // 2xx, decoded
	outcomeRejected = "rejected" // 4xx: the venue refused; nothing happened
	outcomeNotSent  = "not_sent" // never reached the venue
	outcomeError    = "error"    // a read that failed (5xx, network, bad body)
	outcomeUnknown  = "unknown"  // a write whose outcome is unknown
)

// metrics are the client's collectors. A nil *metrics records nothing.
type metrics struct {
	requests *prometheus.CounterVec   // route, outcome; one per call
	seconds  *prometheus.HistogramVec // route; one per attempt
	retries  *prometheus.CounterVec   // route, reason
	unknown  *prometheus.CounterVec   // route
}

// newMetrics registers the collectors on reg; nil reg means no metrics. A
// collector already registered by another client on the same registry is
// shared rather than refused.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_requests_total",
			Help: "Hercle REST calls by route and final outcome (ok, rejected, not_sent, error, unknown).",
		}, []string{"route", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "engine_hercle_request_seconds",
			Help:    "Latency of each Hercle REST attempt, by route.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}, []string{"route"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_retries_total",
			Help: "Automatic retries of Hercle REST calls, by route and reason (rate_limited, server_error, network, not_sent).",
		}, []string{"route", "reason"}),
		unknown: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_unknown_outcomes_total",
			Help: "Creating or money-moving Hercle calls whose outcome is unknown and must be looked up by Client-Id.",
		}, []string{"route"}),
	}
	var err error
	if m.requests, err = promreg.Register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.seconds, err = promreg.Register(reg, m.seconds); err != nil {
		return nil, err
	}
	if m.retries, err = promreg.Register(reg, m.retries); err != nil {
		return nil, err
	}
	if m.unknown, err = promreg.Register(reg, m.unknown); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) call(r route, outcome string) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(r.name, outcome).Inc()
	if outcome == outcomeUnknown {
		m.unknown.WithLabelValues(r.name).Inc()
	}
}

func (m *metrics) attempt(r route, d time.Duration) {
	if m == nil {
		return
	}
	m.seconds.WithLabelValues(r.name).Observe(d.Seconds())
}

func (m *metrics) retry(r route, reason string) {
	if m == nil {
		return
	}
	m.retries.WithLabelValues(r.name, reason).Inc()
}

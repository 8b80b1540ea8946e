package hercle

import (
	"time"

	"github.com/otcdesk/engine/internal/promreg"
	"github.com/otcdesk/engine/internal/venuehttp"
	"github.com/prometheus/client_golang/prometheus"
)

// Outcome labels of engine_hercle_requests_total (venuehttp's).
const (
	outcomeOK       = venuehttp.OutcomeOK       // 2xx, decoded
	outcomeRejected = venuehttp.OutcomeRejected // 4xx: the venue refused; nothing happened
	outcomeUnknown  = venuehttp.OutcomeUnknown  // a write whose outcome is unknown
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

// of returns what counts the calls of route r; a nil m counts nothing.
func (m *metrics) of(r route) routeMetrics { return routeMetrics{m, r.name} }

// routeMetrics counts one route's calls for the venuehttp.Caller.
type routeMetrics struct {
	m     *metrics
	route string
}

func (rm routeMetrics) Call(outcome string) {
	if rm.m == nil {
		return
	}
	rm.m.requests.WithLabelValues(rm.route, outcome).Inc()
	if outcome == outcomeUnknown {
		rm.m.unknown.WithLabelValues(rm.route).Inc()
	}
}

func (rm routeMetrics) Attempt(d time.Duration) {
	if rm.m == nil {
		return
	}
	rm.m.seconds.WithLabelValues(rm.route).Observe(d.Seconds())
}

func (rm routeMetrics) Retry(reason string) {
	if rm.m == nil {
		return
	}
	rm.m.retries.WithLabelValues(rm.route, reason).Inc()
}

package heropayments

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcome labels of engine_heropayments_requests_total.
const (
	outcomeOK       = "ok"
	outcomeRejected = "rejected" // 4xx: refused, nothing happened
	outcomeNotSent  = "not_sent"
	outcomeError    = "error"   // a read that failed
	outcomeUnknown  = "unknown" // a create whose outcome is unknown
)

// metrics are the client's collectors. A nil *metrics records nothing.
type metrics struct {
	requests *prometheus.CounterVec   // route, outcome
	seconds  *prometheus.HistogramVec // route
	retries  *prometheus.CounterVec   // route, reason
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_heropayments_requests_total",
			Help: "Heropayments API calls by route and final outcome (ok, rejected, not_sent, error, unknown).",
		}, []string{"route", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "engine_heropayments_request_seconds",
			Help:    "Latency of each Heropayments API attempt, by route.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}, []string{"route"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_heropayments_retries_total",
			Help: "Automatic retries of Heropayments API calls, by route and reason.",
		}, []string{"route", "reason"}),
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.seconds, err = register(reg, m.seconds); err != nil {
		return nil, err
	}
	if m.retries, err = register(reg, m.retries); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector of the same description
// another client already registered on reg.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *metrics) call(r route, outcome string) {
	if m != nil {
		m.requests.WithLabelValues(r.name, outcome).Inc()
	}
}

func (m *metrics) attempt(r route, d time.Duration) {
	if m != nil {
		m.seconds.WithLabelValues(r.name).Observe(d.Seconds())
	}
}

func (m *metrics) retry(r route, reason string) {
	if m != nil {
		m.retries.WithLabelValues(r.name, reason).Inc()
	}
}

package heropayments

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// outcomeUnknown is the outcome label of engine_heropayments_requests_total
// of a create whose outcome is unknown (venuehttp names the others).
const outcomeUnknown = venuehttp.OutcomeUnknown

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

// of returns what counts the calls of route r; a nil m counts nothing.
func (m *metrics) of(r route) routeMetrics { return routeMetrics{m, r.name} }

// routeMetrics counts one route's calls for the venuehttp.Caller.
type routeMetrics struct {
	m     *metrics
	route string
}

func (rm routeMetrics) Call(outcome string) {
	if rm.m != nil {
		rm.m.requests.WithLabelValues(rm.route, outcome).Inc()
	}
}

func (rm routeMetrics) Attempt(d time.Duration) {
	if rm.m != nil {
		rm.m.seconds.WithLabelValues(rm.route).Observe(d.Seconds())
	}
}

func (rm routeMetrics) Retry(reason string) {
	if rm.m != nil {
		rm.m.retries.WithLabelValues(rm.route, reason).Inc()
	}
}

package venuehttp

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/promreg"
)

// Collectors are a venue client's metrics, named by the client (so that
// each name is written out where a reader greps for it) with these labels:
// Requests {route, outcome}, one per call; Seconds {route}, one per
// attempt; Retries {route, reason}; Unknown {route}, optional, one per
// call of outcome OutcomeUnknown.
type Collectors struct {
	Requests *prometheus.CounterVec
	Seconds  *prometheus.HistogramVec
	Retries  *prometheus.CounterVec
	Unknown  *prometheus.CounterVec
}

// ClientMetrics count a venue client's calls per route. A nil
// *ClientMetrics records nothing.
type ClientMetrics struct{ c Collectors }

// LatencyBuckets are the buckets of Collectors.Seconds: 10 ms to 20 s.
func LatencyBuckets() []float64 { return prometheus.ExponentialBuckets(0.01, 2, 12) }

// NewClientMetrics registers c on reg; a nil reg gives nil, which records
// nothing. A collector another client already registered on reg is shared
// rather than refused.
func NewClientMetrics(reg prometheus.Registerer, c Collectors) (*ClientMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	var err error
	if c.Requests, err = promreg.Register(reg, c.Requests); err != nil {
		return nil, err
	}
	if c.Seconds, err = promreg.Register(reg, c.Seconds); err != nil {
		return nil, err
	}
	if c.Retries, err = promreg.Register(reg, c.Retries); err != nil {
		return nil, err
	}
	if c.Unknown != nil {
		if c.Unknown, err = promreg.Register(reg, c.Unknown); err != nil {
			return nil, err
		}
	}
	return &ClientMetrics{c}, nil
}

// Route returns what counts the calls of one route, for Call.Metrics.
func (m *ClientMetrics) Route(name string) Metrics {
	if m == nil {
		return noMetrics{}
	}
	return routeMetrics{m, name}
}

// routeMetrics counts one route's calls.
type routeMetrics struct {
	m     *ClientMetrics
	route string
}

func (rm routeMetrics) Call(outcome string) {
	rm.m.c.Requests.WithLabelValues(rm.route, outcome).Inc()
	if outcome == OutcomeUnknown && rm.m.c.Unknown != nil {
		rm.m.c.Unknown.WithLabelValues(rm.route).Inc()
	}
}

func (rm routeMetrics) Attempt(d time.Duration) {
	rm.m.c.Seconds.WithLabelValues(rm.route).Observe(d.Seconds())
}

func (rm routeMetrics) Retry(reason string) {
	rm.m.c.Retries.WithLabelValues(rm.route, reason).Inc()
}

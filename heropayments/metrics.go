package heropayments

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// newMetrics registers the client's collectors on reg; nil reg means no
// metrics.
func newMetrics(reg prometheus.Registerer) (*venuehttp.ClientMetrics, error) {
	return venuehttp.NewClientMetrics(reg, venuehttp.Collectors{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_heropayments_requests_total",
			Help: "Heropayments API calls by route and final outcome (ok, rejected, not_sent, error, unknown).",
		}, []string{"route", "outcome"}),
		Seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "engine_heropayments_request_seconds",
			Help:    "Latency of each Heropayments API attempt, by route.",
			Buckets: venuehttp.LatencyBuckets(),
		}, []string{"route"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_heropayments_retries_total",
			Help: "Automatic retries of Heropayments API calls, by route and reason.",
		}, []string{"route", "reason"}),
	})
}

package hercle

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// newMetrics registers the client's collectors on reg; nil reg means no
// metrics.
func newMetrics(reg prometheus.Registerer) (*venuehttp.ClientMetrics, error) {
	return venuehttp.NewClientMetrics(reg, venuehttp.Collectors{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_requests_total",
			Help: "Hercle REST calls by route and final outcome (ok, rejected, not_sent, error, unknown).",
		}, []string{"route", "outcome"}),
		Seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "engine_hercle_request_seconds",
			Help:    "Latency of each Hercle REST attempt, by route.",
			Buckets: venuehttp.LatencyBuckets(),
		}, []string{"route"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_retries_total",
			Help: "Automatic retries of Hercle REST calls, by route and reason (rate_limited, server_error, network, not_sent).",
		}, []string{"route", "reason"}),
		Unknown: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_unknown_outcomes_total",
			Help: "Creating or money-moving Hercle calls whose outcome is unknown and must be looked up by Client-Id.",
		}, []string{"route"}),
	})
}

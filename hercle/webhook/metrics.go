package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/promreg"
)

// webhookMetrics are the handler's collectors. A nil *webhookMetrics
// records nothing.
type webhookMetrics struct {
	requests *prometheus.CounterVec // outcome
	seconds  *prometheus.HistogramVec
}

func newWebhookMetrics(reg prometheus.Registerer) (*webhookMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &webhookMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_webhooks_total",
			Help: "Webhook requests by outcome: stored, duplicate, store_failed, or why they were refused.",
		}, []string{"outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "engine_hercle_webhook_seconds",
			Help:    "Time from receiving a webhook request to answering it, by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"outcome"}),
	}
	var err error
	if m.requests, err = promreg.Register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.seconds, err = promreg.Register(reg, m.seconds); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *webhookMetrics) done(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(outcome).Inc()
	m.seconds.WithLabelValues(outcome).Observe(d.Seconds())
}

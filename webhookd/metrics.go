package webhookd

import (
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the listener's collectors. They count whether or not they
// are registered.
type metrics struct {
	refused     *prometheus.CounterVec // reason
	connections prometheus.Gauge
	inflight    prometheus.Gauge
	waiting     prometheus.Gauge
}

// newMetrics builds the collectors; register puts them on a registry.
func newMetrics() *metrics {
	return &metrics{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_webhookd_refused_total",
			Help: "Requests refused on the webhook listener, by reason: the webhook handler's outcomes " +
				"(bad_signature, stale_timestamp, too_large, ...), the Heropayments callbacks' busy and too_large, " +
				"not_found, busy (no room for the body within inflight_wait) and tls_handshake.",
		}, []string{"reason"}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_webhookd_connections",
			Help: "Connections open on the webhook listener (at most webhook.max_connections).",
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_webhookd_inflight_bytes",
			Help: "Request body bytes reserved by requests being read or handled (at most webhook.max_inflight_bytes).",
		}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_webhookd_inflight_waiting",
			Help: "Requests waiting for room in webhook.max_inflight_bytes (each waits at most webhook.inflight_wait).",
		}),
	}
}

// register registers the collectors on reg; a nil reg registers none.
func (m *metrics) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{m.refused, m.connections, m.inflight, m.waiting} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// connState is the server's ConnState hook: it keeps the connection gauge.
func (m *metrics) connState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		m.connections.Inc()
	case http.StateClosed, http.StateHijacked:
		m.connections.Dec()
	}
}

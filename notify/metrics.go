package notify

import "github.com/prometheus/client_golang/prometheus"

// Why an event was not delivered: the values of the reason label.
const (
	reasonQueueFull = iota // the sink's queue was full when Notify was called
	reasonClosed           // Notify was called after shutdown began
	reasonGaveUp           // not delivered within give_up_after
	reasonRejected         // the receiver refused it (4xx other than 408, 429)
	reasonShutdown         // still queued or retrying when the drain grace ended
	numReasons
)

var reasonNames = [numReasons]string{"queue_full", "closed", "gave_up", "rejected", "shutdown"}

// metrics are the notifier's collectors. They exist, and count, whether
// or not a registry was given.
type metrics struct {
	events       *prometheus.CounterVec // class
	sent         *prometheus.CounterVec // sink
	dropped      *prometheus.CounterVec // sink, reason
	deduplicated *prometheus.CounterVec // sink
	coalesced    *prometheus.CounterVec // sink, class
	retries      *prometheus.CounterVec // sink
	send         *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_notify_events_total",
			Help: "Events passed to Notify, by class (\"unknown\" for a class no sink can receive).",
		}, []string{"class"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_notify_sent_total",
			Help: "Messages a receiver accepted, by sink.",
		}, []string{"sink"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_notify_dropped_total",
			Help: "Events never delivered, by sink and reason (queue_full, closed, gave_up, rejected, shutdown).",
		}, []string{"sink", "reason"}),
		deduplicated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_notify_deduplicated_total",
			Help: "Events not queued because the sink had queued one with the same key within the dedup window.",
		}, []string{"sink"}),
		coalesced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_notify_coalesced_total",
			Help: "Events over a sink's rate, summed up in an \"N more events\" message instead of sent one by one.",
		}, []string{"sink", "class"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_notify_retries_total",
			Help: "Attempts after the first to deliver a message, by sink.",
		}, []string{"sink"}),
		send: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "engine_notify_send_seconds",
			Help:    "Duration of one delivery attempt, by sink.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"sink"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.events, m.sent, m.dropped, m.deduplicated, m.coalesced, m.retries, m.send} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// sinkMetrics are one sink's series, created up front so every one is
// exported, at zero, from the start.
type sinkMetrics struct {
	sent, deduplicated, retries prometheus.Counter
	dropped                     [numReasons]prometheus.Counter
	coalesced                   map[Class]prometheus.Counter
	send                        prometheus.Observer
}

func (m *metrics) forSink(name string) sinkMetrics {
	s := sinkMetrics{
		sent:         m.sent.WithLabelValues(name),
		deduplicated: m.deduplicated.WithLabelValues(name),
		retries:      m.retries.WithLabelValues(name),
		coalesced:    map[Class]prometheus.Counter{},
		send:         m.send.WithLabelValues(name),
	}
	for r, reason := range reasonNames {
		s.dropped[r] = m.dropped.WithLabelValues(name, reason)
	}
	for _, c := range Classes() {
		s.coalesced[c] = m.coalesced.WithLabelValues(name, string(c))
	}
	return s
}

package inbound

import "github.com/prometheus/client_golang/prometheus"

// Outcomes: the outcome label of engine_inbound_events_total.
const (
	OutcomeSettled     = "settled"    // withdrawal/payout settled: entry posted, intent succeeded
	OutcomeFailed      = "failed"     // withdrawal/payout failed: reversal posted, intent failed
	OutcomeCredited    = "credited"   // deposit credited
	OutcomeRecorded    = "recorded"   // kept, nothing to apply (non-final status, registry update)
	OutcomeDuplicate   = "duplicate"  // already applied by an earlier event
	OutcomeStale       = "stale"      // older than what is applied; ignored
	OutcomeConflict    = "conflict"   // contradicts a final outcome; ignored and logged
	OutcomeUnmatched   = "unmatched"  // names no intent of ours; recorded
	OutcomeNoTransit   = "no_transit" // final, but nothing in transit to move; intent moved, logged
	OutcomeUnknown     = "unknown_status"
	OutcomeIgnored     = "ignored"     // event type this engine does not know; kept raw
	OutcomeQuarantined = "quarantined" // cannot be applied; left unprocessed
	OutcomeError       = "error"       // transient failure; retried on the next pass
)

type metrics struct {
	events      *prometheus.CounterVec
	lag         prometheus.Gauge
	quarantined prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_inbound_events_total",
			Help: "Inbound webhook events handled by the processor, by event type and outcome.",
		}, []string{"type", "outcome"}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_inbound_lag_seconds",
			Help: "Age of the oldest stored, unprocessed and not quarantined inbound event; 0 when none waits.",
		}),
		quarantined: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_inbound_quarantined",
			Help: "Inbound events left unprocessed because they cannot be applied; they need an operator.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.events, m.lag, m.quarantined} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

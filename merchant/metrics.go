package merchant

import "github.com/prometheus/client_golang/prometheus"

// Outcomes: the outcome label of engine_merchant_events_total.
const (
	OutcomeCredited    = "credited"   // deposit credited to the merchant account
	OutcomeSettled     = "settled"    // payout settled: entry posted, intent succeeded
	OutcomeFailed      = "failed"     // deposit failed (nothing posted) or payout failed (reversed)
	OutcomeRecorded    = "recorded"   // a progress status, or a tracked deposit: kept, nothing to apply
	OutcomeDuplicate   = "duplicate"  // already applied by an earlier event
	OutcomeStale       = "stale"      // a progress status after the final one; ignored
	OutcomeConflict    = "conflict"   // contradicts the recorded outcome; ignored and logged
	OutcomeUnmatched   = "unmatched"  // a withdrawal naming no intent of ours; recorded
	OutcomeTreasury    = "treasury"   // a treasury settlement's callback; treasury applies it
	OutcomeNoTransit   = "no_transit" // final payout status, nothing in transit; intent moved, logged
	OutcomeUnknown     = "unknown_status"
	OutcomeQuarantined = "quarantined" // cannot be applied; left unprocessed
	OutcomeError       = "error"       // transient failure; retried on the next pass
)

// Results: the result label of engine_merchant_polls_total.
const (
	PollChanged   = "changed"   // a new status, stored as a synthetic event
	PollUnchanged = "unchanged" // the status already applied
	PollNotFound  = "not_found" // Heropayments has no such payment
	PollMismatch  = "mismatch"  // the answer names another payment; ignored
	PollError     = "error"     // the lookup failed; retried after PollEvery
)

type metrics struct {
	refused     *prometheus.CounterVec // reason
	events      *prometheus.CounterVec
	polls       *prometheus.CounterVec
	lag         prometheus.Gauge
	quarantined prometheus.Gauge
	unresolved  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_merchant_callbacks_refused_total",
			Help: "Heropayments callbacks refused by the handler, by reason (bad_method, too_large, bad_body, bad_json, bad_signature, bad_payload).",
		}, []string{"reason"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_merchant_events_total",
			Help: "Heropayments callbacks and status-poll events applied, by payment kind and outcome.",
		}, []string{"kind", "outcome"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_merchant_polls_total",
			Help: "Heropayments status lookups of payments without a final callback, by result.",
		}, []string{"result"}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_merchant_lag_seconds",
			Help: "Age of the oldest stored, unprocessed and not quarantined Heropayments event; 0 when none waits.",
		}),
		quarantined: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_merchant_quarantined",
			Help: "Heropayments events left unprocessed because they cannot be applied; they need an operator.",
		}),
		unresolved: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_merchant_unresolved",
			Help: "Heropayments payments known to the engine without a final status yet.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.refused, m.events, m.polls, m.lag, m.quarantined, m.unresolved} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

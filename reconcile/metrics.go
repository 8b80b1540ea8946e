package reconcile

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the reconciler's collectors. A nil *metrics records nothing.
type metrics struct {
	records   *prometheus.CounterVec // check, outcome
	runs      *prometheus.CounterVec // result
	imported  *prometheus.CounterVec // check
	breaks    prometheus.Gauge
	pending   prometheus.Gauge
	lastClean prometheus.Gauge
	paused    prometheus.Gauge
	duration  prometheus.Histogram
}

// newMetrics registers the collectors on reg; sinceClean is read at each
// scrape. A nil reg registers nothing and returns nil.
func newMetrics(reg prometheus.Registerer, sinceClean func() float64) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_reconcile_records_total",
			Help: "Records compared by reconciliation, by check and outcome (matched, missing_in_ledger, missing_at_venue, amount_mismatch, status_mismatch, webhook_missing, duplicate, skipped, pending).",
		}, []string{"check", "outcome"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_reconcile_runs_total",
			Help: "Reconciliation runs by result (clean, breaks, error).",
		}, []string{"result"}),
		imported: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_reconcile_imported_total",
			Help: "Journal entries imported by reconciliation from the venue's history, by check.",
		}, []string{"check"}),
		breaks: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_reconcile_breaks",
			Help: "Breaks found by the last completed reconciliation run.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_reconcile_pending",
			Help: "Differences still within the grace period in the last completed run.",
		}),
		lastClean: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_reconcile_last_clean_timestamp_seconds",
			Help: "Unix time the last clean reconciliation run finished; 0 if none is known.",
		}),
		paused: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_reconcile_trading_paused",
			Help: "1 while reconciliation holds trading paused (breaks above the threshold), else 0.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "engine_reconcile_run_seconds",
			Help:    "Duration of reconciliation runs, failed ones included.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
	}
	since := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "engine_reconcile_since_last_clean_seconds",
		Help: "Seconds since the last clean reconciliation run finished (since the reconciler started if none is known).",
	}, sinceClean)
	for _, c := range []prometheus.Collector{m.records, m.runs, m.imported, m.breaks, m.pending, m.lastClean, m.paused, m.duration, since} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("%w: metrics: %w", ErrConfig, err)
		}
	}
	return m, nil
}

func (m *metrics) run(result string, seconds float64) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(result).Inc()
	m.duration.Observe(seconds)
}

func (m *metrics) report(r Report, lastClean float64) {
	if m == nil {
		return
	}
	for _, c := range r.Counts {
		m.records.WithLabelValues(string(c.Check), string(c.Outcome)).Add(float64(c.N))
	}
	m.breaks.Set(float64(r.Breaks))
	m.pending.Set(float64(r.Pending))
	if lastClean > 0 {
		m.lastClean.Set(lastClean)
	}
}

func (m *metrics) importedEntry(c Check) {
	if m != nil {
		m.imported.WithLabelValues(string(c)).Inc()
	}
}

func (m *metrics) setPaused(p bool) {
	if m == nil {
		return
	}
	v := 0.0
	if p {
		v = 1
	}
	m.paused.Set(v)
}

package treasury

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the treasury's collectors. Amounts are floats here only for
// dashboards; the books are the ledger's decimals.
type metrics struct {
	runs     *prometheus.CounterVec // policy, outcome
	amount   *prometheus.CounterVec // policy, asset
	dryRuns  *prometheus.CounterVec // policy
	capLeft  *prometheus.GaugeVec   // scope, asset
	resolved *prometheus.CounterVec // method, outcome
	open     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_treasury_runs_total",
			Help: "Policy runs by policy and outcome (none, alert, dry_run, sent, converted, pulled, skipped, refused, failed, unknown, error).",
		}, []string{"policy", "outcome"}),
		amount: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_treasury_sent_amount_total",
			Help: "Amounts sent or converted by policy and asset (informational; the ledger holds the exact figures).",
		}, []string{"policy", "asset"}),
		dryRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_treasury_dry_runs_total",
			Help: "Movements a dry-run policy would have made, by policy.",
		}, []string{"policy"}),
		capLeft: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "engine_treasury_cap_remaining",
			Help: "What the daily cap leaves today, by scope (destination name or \"global\") and asset.",
		}, []string{"scope", "asset"}),
		resolved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_treasury_resolved_total",
			Help: "Movements that reached a final state seen by treasury, by method and outcome (succeeded, failed, conflict).",
		}, []string{"method", "outcome"}),
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_treasury_unresolved",
			Help: "Treasury movements sent and not yet final.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.runs, m.amount, m.dryRuns, m.capLeft, m.resolved, m.open} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("treasury metrics: %w", err)
			}
		}
	}
	return m, nil
}

package daemon

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the daemon's own series; every component registers its own
// on the same registry.
type metrics struct {
	hubEvents *prometheus.CounterVec
	balance   *prometheus.GaugeVec
	recovered *prometheus.CounterVec
	admin     *prometheus.CounterVec
	commit    prometheus.Histogram
	writes    prometheus.Counter

	writeErrors  prometheus.Counter
	writeFailing prometheus.Gauge
	adminRefused *prometheus.CounterVec
	backups      *prometheus.CounterVec
	lastBackup   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		hubEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hub_events_total",
			Help: "Hub events other than price updates, by subject.",
		}, []string{"subject"}),
		balance: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "engine_venue_balance",
			Help: "Venue balance per asset (available plus allocated) as last read from the venue.",
		}, []string{"asset"}),
		recovered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_recovered_intents_total",
			Help: "Unfinished intents resolved at start-up, by result.",
		}, []string{"result"}),
		admin: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_admin_requests_total",
			Help: "Admin requests, by action and HTTP status.",
		}, []string{"action", "code"}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "engine_ledger_commit_seconds",
			Help:    "Duration of ledger write transactions, fsync included (one per group commit).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "engine_ledger_writes_total",
			Help: "Ledger writes (entries, intents, inbox events, counters) committed.",
		}),
	}
	m.writeErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "engine_ledger_write_errors_total",
		Help: "Ledger write transactions that could not be committed (disk full, read-only, I/O error).",
	})
	m.writeFailing = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "engine_ledger_write_failing",
		Help: "1 while the ledger cannot be written and trading is paused for it.",
	})
	m.adminRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "engine_admin_refused_total",
		Help: "Admin requests refused before their action, by reason (wrong token, throttled).",
	}, []string{"reason"})
	m.backups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "engine_ledger_backups_total",
		Help: "Ledger backups written and verified (scheduled and on request), by result (ok, failed).",
	}, []string{"result"})
	m.lastBackup = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "engine_ledger_last_backup_timestamp_seconds",
		Help: "Unix time of the last ledger backup that verified; 0 until one has.",
	})
	for _, c := range []prometheus.Collector{m.hubEvents, m.balance, m.recovered, m.admin, m.commit, m.writes, m.writeErrors,
		m.writeFailing, m.adminRefused, m.backups, m.lastBackup} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

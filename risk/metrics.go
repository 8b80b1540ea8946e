package risk

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's collectors; nil fields when no registry is given.
type metrics struct {
	rejections   *prometheus.CounterVec
	breakerTrips prometheus.Counter
	killSwitch   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_risk_rejections_total",
			Help: "Intents, quotes and transfers refused by risk, by reason.",
		}, []string{"reason"}),
		breakerTrips: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "engine_risk_breaker_trips_total",
			Help: "Times the reject-rate circuit breaker tripped.",
		}),
		killSwitch: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_risk_kill_switch",
			Help: "1 while the kill switch is on.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.rejections, m.breakerTrips, m.killSwitch} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

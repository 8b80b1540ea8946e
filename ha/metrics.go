package ha

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	roles  *prometheus.GaugeVec
	index  prometheus.Gauge
	fenced *prometheus.CounterVec
}

// newMetrics registers the node's series on reg; nil registers none.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		roles: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "engine_ha_role",
			Help: "1 for this node's role (leader, standby, deposed), 0 for the others.",
		}, []string{"role"}),
		index: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "engine_ha_log_index",
			Help: "The replicated books' last entry this node holds (applied as standby, appended as leader).",
		}),
		fenced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_ha_fenced_total",
			Help: "Writes to the books and requests to the venues refused because this node could not prove it leads, by what (write, request).",
		}, []string{"what"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.roles, m.index, m.fenced} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) role(r string) {
	for _, x := range []string{RoleLeader, RoleStandby, RoleDeposed} {
		v := 0.0
		if x == r {
			v = 1
		}
		m.roles.WithLabelValues(x).Set(v)
	}
}

package feeds

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/promreg"
)

// metrics are the Source's collectors. A nil *metrics records nothing.
type metrics struct {
	ticks   *prometheus.CounterVec // pair
	gaps    *prometheus.CounterVec // pair
	dropped *prometheus.CounterVec // reason: full, unsubscribed
	staleG  *prometheus.GaugeVec   // pair
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		ticks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_feeds_ticks_total", Help: "Ticks delivered, by pair.",
		}, []string{"pair"}),
		gaps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_feeds_gaps_total", Help: "Subscriptions resumed after a disconnect, by pair.",
		}, []string{"pair"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_feeds_dropped_total", Help: "Price updates dropped, by reason (full, unsubscribed).",
		}, []string{"reason"}),
		staleG: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "engine_feeds_stale", Help: "1 while the pair's feed is stale.",
		}, []string{"pair"}),
	}
	var err error
	if m.ticks, err = promreg.Register(reg, m.ticks); err != nil {
		return nil, err
	}
	if m.gaps, err = promreg.Register(reg, m.gaps); err != nil {
		return nil, err
	}
	if m.dropped, err = promreg.Register(reg, m.dropped); err != nil {
		return nil, err
	}
	if m.staleG, err = promreg.Register(reg, m.staleG); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) tick(pair string, gap bool) {
	if m == nil {
		return
	}
	m.ticks.WithLabelValues(pair).Inc()
	if gap {
		m.gaps.WithLabelValues(pair).Inc()
	}
}

func (m *metrics) full() {
	if m != nil {
		m.dropped.WithLabelValues("full").Inc()
	}
}

func (m *metrics) foreign() {
	if m != nil {
		m.dropped.WithLabelValues("unsubscribed").Inc()
	}
}

func (m *metrics) stale(pair string, stale bool) {
	if m == nil {
		return
	}
	v := 0.0
	if stale {
		v = 1
	}
	m.staleG.WithLabelValues(pair).Set(v)
}

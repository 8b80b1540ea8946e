package trader

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	ticks     *prometheus.CounterVec
	decisions *prometheus.CounterVec
	intents   *prometheus.CounterVec
	// pairTicks caches ticks' child per pair: looking a child up by label
	// hashes the label on every tick. Only the loop's goroutine uses it.
	pairTicks map[string]prometheus.Counter
	// few are the children of the first pairs ticked, searched before
	// pairTicks: comparing a tick's pair with a handful of names (the
	// same string, mostly, as the tick file reader interns them) costs
	// less than hashing it.
	few []pairCounter
}

type pairCounter struct {
	pair string
	c    prometheus.Counter
}

// maxFewPairs bounds metrics.few.
const maxFewPairs = 4

// tick counts a tick of pair.
func (m *metrics) tick(pair string) {
	for i := range m.few {
		if m.few[i].pair == pair {
			m.few[i].c.Inc()
			return
		}
	}
	c, ok := m.pairTicks[pair]
	if !ok {
		c = m.ticks.WithLabelValues(pair)
		m.pairTicks[pair] = c
		if len(m.few) < maxFewPairs {
			m.few = append(m.few, pairCounter{pair, c})
		}
	}
	c.Inc()
}

func newMetrics(reg prometheus.Registerer) (metrics, error) {
	m := metrics{
		ticks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_ticks_total", Help: "Price ticks processed by the event loop, by pair.",
		}, []string{"pair"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_decisions_total", Help: "Intents returned by strategies, by strategy.",
		}, []string{"strategy"}),
		intents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_intents_total", Help: "Intents by strategy and outcome (filled, failed, rejected, unresolved).",
		}, []string{"strategy", "outcome"}),
		pairTicks: map[string]prometheus.Counter{},
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.ticks, m.decisions, m.intents} {
			if err := reg.Register(c); err != nil {
				return metrics{}, fmt.Errorf("trader metrics: %w", err)
			}
		}
	}
	return m, nil
}

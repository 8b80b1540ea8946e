package pnl

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/portfolio"
)

// other is the metric label of attribution keys outside the configured
// ones, so that the series stay bounded whatever the journal holds.
const other = "other"

// metrics are the portfolio's gauges, in the reference currency.
type metrics struct {
	keys       map[string]bool
	value      *prometheus.GaugeVec
	realised   *prometheus.GaugeVec
	unrealised *prometheus.GaugeVec
	fees       *prometheus.GaugeVec
	pending    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, keys []string) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{keys: map[string]bool{Manual: true, portfolio.Unattributed: true}}
	for _, k := range keys {
		m.keys[k] = true
	}
	m.value = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "engine_portfolio_value",
		Help: "Value of each asset held (venues and transit) in the reference currency, at the latest prices; their sum is the equity.",
	}, []string{"asset"})
	m.realised = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "engine_pnl_realised",
		Help: "Realised PnL since the ledger began, in the reference currency, by attribution key (strategy, treasury:<policy>, manual, unattributed, other).",
	}, []string{"key"})
	m.unrealised = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "engine_pnl_unrealised",
		Help: "Unrealised PnL of what is held at the latest prices, in the reference currency, by attribution key.",
	}, []string{"key"})
	m.fees = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "engine_pnl_fees",
		Help: "Fees paid since the ledger began, in the reference currency, by attribution key.",
	}, []string{"key"})
	m.pending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "engine_portfolio_pending_entries",
		Help: "Journal entries not yet in the portfolio: waiting for a price to value them, or refused.",
	})
	for _, c := range []prometheus.Collector{m.value, m.realised, m.unrealised, m.fees, m.pending} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// set replaces every series with r's figures.
func (m *metrics) set(r portfolio.Report, st Status) {
	m.value.Reset()
	for _, a := range r.Assets {
		if a.Value.Valid {
			m.value.WithLabelValues(string(a.Asset)).Set(f64(a.Value.Decimal))
		}
	}
	sums := map[string][3]float64{}
	for _, k := range r.ByKey {
		key := k.Key
		if !m.keys[key] {
			key = other
		}
		s := sums[key]
		s[0] += f64(k.Realised)
		s[1] += f64(k.Unrealised)
		s[2] += f64(k.Fees)
		sums[key] = s
	}
	m.realised.Reset()
	m.unrealised.Reset()
	m.fees.Reset()
	for k, s := range sums {
		m.realised.WithLabelValues(k).Set(s[0])
		m.unrealised.WithLabelValues(k).Set(s[1])
		m.fees.WithLabelValues(k).Set(s[2])
	}
	m.pending.Set(float64(st.Pending + st.Refused))
}

// f64 is a gauge's value of d: metrics are for charts and alerts, never
// for the books.
func f64(d decimal.Decimal) float64 {
	v, _ := d.Float64()
	return v
}

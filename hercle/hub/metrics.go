package hub

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/promreg"
)

// Outcome labels of engine_hercle_hub_invocations_total.
const (
	outcomeOK      = "ok"       // the hub completed the invocation
	outcomeNotSent = "not_sent" // no connection: nothing was sent
	outcomeError   = "error"    // sent, and the invocation failed
)

// hubMetrics are the hub client's collectors. A nil *hubMetrics records nothing.
type hubMetrics struct {
	messages     *prometheus.CounterVec // channel, kind (price, event, error, unknown)
	decodeErrors *prometheus.CounterVec // reason (malformed, bad_data, wrong_type)
	reconnects   prometheus.Counter
	state        *prometheus.GaugeVec // state; 1 for the current one
	invocations  *prometheus.CounterVec
	argForm      *prometheus.CounterVec // method; switches to the array form
}

func newHubMetrics(reg prometheus.Registerer) (*hubMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &hubMetrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_hub_messages_total",
			Help: "Hub messages decoded, by channel and kind (price, event, error, unknown).",
		}, []string{"channel", "kind"}),
		decodeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_hub_decode_errors_total",
			Help: "Hub messages dropped because they did not decode, by reason (malformed, bad_data, wrong_type).",
		}, []string{"reason"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "engine_hercle_hub_reconnects_total",
			Help: "Hub connections re-established after a loss.",
		}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "engine_hercle_hub_state",
			Help: "Hub connection state: 1 for the current state (connecting, connected, reconnecting, closed).",
		}, []string{"state"}),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_hub_invocations_total",
			Help: "Hub commands (the price subscriptions) by method and outcome (ok, not_sent, error).",
		}, []string{"method", "outcome"}),
		argForm: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_hercle_hub_argument_form_switches_total",
			Help: "Commands the hub refused in one argument form and accepted in the other, by method.",
		}, []string{"method"}),
	}
	var err error
	if m.messages, err = promreg.Register(reg, m.messages); err != nil {
		return nil, err
	}
	if m.decodeErrors, err = promreg.Register(reg, m.decodeErrors); err != nil {
		return nil, err
	}
	if m.reconnects, err = promreg.Register(reg, m.reconnects); err != nil {
		return nil, err
	}
	if m.state, err = promreg.Register(reg, m.state); err != nil {
		return nil, err
	}
	if m.invocations, err = promreg.Register(reg, m.invocations); err != nil {
		return nil, err
	}
	if m.argForm, err = promreg.Register(reg, m.argForm); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *hubMetrics) message(channel, kind string) {
	if m != nil {
		m.messages.WithLabelValues(channel, kind).Inc()
	}
}

func (m *hubMetrics) decodeError(reason string) {
	if m != nil {
		m.decodeErrors.WithLabelValues(reason).Inc()
	}
}

func (m *hubMetrics) setState(s Status) {
	if m == nil {
		return
	}
	for _, st := range []Status{Connecting, Connected, Reconnecting, Closed} {
		v := 0.0
		if st == s {
			v = 1
		}
		m.state.WithLabelValues(st.String()).Set(v)
	}
}

func (m *hubMetrics) invocation(method, outcome string) {
	if m != nil {
		m.invocations.WithLabelValues(method, outcome).Inc()
	}
}

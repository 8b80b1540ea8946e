// Package promreg registers a component's Prometheus collectors on the
// Registerer it was given, sharing a collector that another component (a
// second client of the same venue, say) already registered there.
//
// It keeps no state and never touches prometheus.DefaultRegisterer.
package promreg

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg and returns it; when an identical collector
// is already registered, it returns that one instead, so two components
// counting into the same series share it. Any other registration error is
// returned with c.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

package venuehttp

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func collectors() Collectors {
	return Collectors{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t_requests_total", Help: "h"}, []string{"route", "outcome"}),
		Seconds:  prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "t_request_seconds", Help: "h", Buckets: LatencyBuckets()}, []string{"route"}),
		Retries:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t_retries_total", Help: "h"}, []string{"route", "reason"}),
		Unknown:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t_unknown_outcomes_total", Help: "h"}, []string{"route"}),
	}
}

// Two clients on one registry share the collectors; a call of unknown
// outcome is counted twice (by outcome, and as unknown); no registry
// records nothing and does not fail.
func TestClientMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := NewClientMetrics(reg, collectors())
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewClientMetrics(reg, collectors())
	if err != nil {
		t.Fatalf("a second client on the same registry: %v", err)
	}
	a.Route("orders").Call(OutcomeUnknown)
	b.Route("orders").Call(OutcomeOK)
	b.Route("orders").Retry("rate_limited")
	a.Route("orders").Attempt(20 * time.Millisecond)
	if b.c.Requests != a.c.Requests {
		t.Error("the second client registered its own requests counter, not the first's")
	}
	if got := testutil.CollectAndCount(a.c.Requests); got != 2 {
		t.Errorf("requests series = %d, want 2 (unknown and ok, from both clients)", got)
	}
	if got := testutil.ToFloat64(a.c.Unknown); got != 1 {
		t.Errorf("unknown = %v, want 1", got)
	}
	if got := testutil.ToFloat64(a.c.Retries); got != 1 {
		t.Errorf("retries = %v, want 1", got)
	}
	var none *ClientMetrics
	if none, err = NewClientMetrics(nil, collectors()); err != nil || none != nil {
		t.Fatalf("no registry = %v, %v; want nil, nil", none, err)
	}
	none.Route("orders").Call(OutcomeOK) // records nothing, does not panic
}

package trader

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/metrictest"
)

// Ticks are counted by pair whether the pair is one of the few looked up
// by comparison or beyond them, and whether its name is the string seen
// first or another copy of it.
func TestTickCountsByPair(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	const pairs = 2*maxFewPairs + 1
	want := map[string]int{}
	for i := range 200 {
		p := fmt.Sprintf("P%dEUR", (i*7)%pairs)
		if i%3 == 0 {
			p = strings.Clone(p)
		}
		m.tick(p)
		want[p]++
	}
	if len(want) != pairs {
		t.Fatalf("ticked %d pairs, want %d", len(want), pairs)
	}
	for p, n := range want {
		if got := metrictest.Counter(t, reg, "engine_ticks_total", "pair", p); got != float64(n) {
			t.Errorf("engine_ticks_total{pair=%q} = %v, want %d", p, got, n)
		}
	}
}

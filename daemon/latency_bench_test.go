package daemon_test

import (
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// latencyProbe pairs each intent's triggering tick with the first request
// its execution writes. The strategy opens one intent at a time, so the
// n-th tick recorded and the n-th price request written belong together.
type latencyProbe struct {
	mu      sync.Mutex
	ticks   []time.Time // Tick.Received: when the hub message was decoded
	quotes  []time.Time // when the intent's price request was written
	written []time.Time // when its order request was written
	enough  chan struct{}
	want    int
}

func (p *latencyProbe) tick(t time.Time) {
	p.mu.Lock()
	p.ticks = append(p.ticks, t)
	p.mu.Unlock()
}

func (p *latencyProbe) unTick() {
	p.mu.Lock()
	p.ticks = p.ticks[:len(p.ticks)-1]
	p.mu.Unlock()
}

func (p *latencyProbe) wrote() {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.written = append(p.written, now)
	if len(p.written) == p.want {
		close(p.enough)
	}
}

func (p *latencyProbe) quoted() {
	now := time.Now()
	p.mu.Lock()
	p.quotes = append(p.quotes, now)
	p.mu.Unlock()
}

// RoundTrip stamps when price and order requests have been written.
func (p *latencyProbe) RoundTrip(req *http.Request) (*http.Response, error) {
	var stamp func()
	switch {
	case req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/api/v1/price/"):
		stamp = p.quoted
	case req.Method == http.MethodPost && req.URL.Path == "/api/v1/orders":
		stamp = p.wrote
	}
	if stamp != nil {
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { stamp() }}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	}
	return transport.RoundTrip(req)
}

var transport = http.DefaultTransport.(*http.Transport).Clone()

// onTick is a strategy that buys the minimum size on every tick while it
// has nothing open.
type onTick struct {
	probe *latencyProbe
	open  bool
}

func (s *onTick) Name() string { return "ontick" }
func (s *onTick) Handle(v strategy.View, e strategy.Event) strategy.Decision {
	switch e := e.(type) {
	case strategy.Outcome:
		s.open = false
		if e.Status == strategy.Rejected {
			s.probe.unTick() // nothing was sent for it
		}
	case strategy.Price:
		if s.open || e.Tick.Pair != "BTCEUR" {
			return strategy.Decision{}
		}
		s.open = true
		s.probe.tick(e.Tick.Received)
		return strategy.Decision{Intents: []strategy.Intent{{
			Pair: "BTCEUR", Side: "buy", Size: decimal.RequireFromString("0.001"), Path: strategy.OTC, MaxSlippage: decimal.NewFromInt(1),
		}}}
	}
	return strategy.Decision{}
}

// BenchmarkTickToOrder measures, inside the paper-mode daemon, the time
// from a price update decoded off the hub to the requests of the order it
// caused written to the socket: "quote" is the first request (the price
// quote); "order" is the money-moving POST, after the quote's answer,
// risk's check of it and one ledger fsync (the intent recorded already
// submitted). Reported as p50 and p99.
//
//	go test -run '^$' -bench TickToOrder -benchtime 300x ./daemon/
func BenchmarkTickToOrder(b *testing.B) {
	probe := &latencyProbe{enough: make(chan struct{}), want: b.N}
	reg := strategy.Builtins()
	reg.Register("ontick", func(string, func(any) error) (strategy.Strategy, error) { return &onTick{probe: probe}, nil })
	cfg := paperConfig(b.TempDir())
	cfg.Log.Level = "error"
	cfg.Risk.MaxOpenIntents = 10
	// The client's rate limiter would dominate: measure the engine.
	cfg.Hercle.RateLimit, cfg.Hercle.Burst = 100000, 1000
	cfg.Strategies = []strategy.Spec{{Kind: "ontick", Name: "ontick"}}
	started := make(chan struct{})
	d, err := daemon.New(cfg, config.Secrets{}, daemon.Options{
		Strategies: reg,
		Logger:     newLogger(io.Discard),
		HTTPClient: &http.Client{Transport: probe},
		Sim:        func(o *sim.Options) { o.Hub.PriceInterval = 2 * time.Millisecond },
		Started:    func(daemon.Info) { close(started) },
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := contextWithCancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	<-started
	b.ResetTimer()
	select {
	case <-probe.enough:
	case err := <-done:
		b.Fatalf("daemon stopped: %v", err)
	}
	b.StopTimer()
	cancel()
	<-done
	probe.mu.Lock()
	defer probe.mu.Unlock()
	report := func(name string, at []time.Time) {
		n := min(len(probe.ticks), len(at))
		lat := make([]time.Duration, n)
		for i := range n {
			lat[i] = at[i].Sub(probe.ticks[i])
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[n/2].Microseconds()), name+"-p50-µs")
		b.ReportMetric(float64(lat[(n*99)/100].Microseconds()), name+"-p99-µs")
	}
	report("quote", probe.quotes)
	report("order", probe.written)
}

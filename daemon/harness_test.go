package daemon_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

const adminToken = "admin-token-for-tests-0123456789"

// syncBuffer is a log sink safe for the daemon's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a daemon running in paper mode in this process, over the real
// protocols to its in-process simulator.
type harness struct {
	t      testing.TB
	d      *daemon.Daemon
	info   daemon.Info
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// paperConfig is a paper-mode configuration on free ports with the ledger
// in dir, fast prices and no strategies.
func paperConfig(dir string) config.Config {
	cfg := config.Default()
	cfg.Mode = config.ModePaper
	cfg.Log.Level = "debug"
	cfg.Ledger.Path = filepath.Join(dir, "ledger.db")
	cfg.Metrics.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Feeds.Pairs = []feeds.PairSettings{
		{Pair: "BTCEUR", Size: tomlval.Dec(decimal.RequireFromString("0.01"))},
		{Pair: "ETHEUR", Size: tomlval.Dec(decimal.RequireFromString("1"))},
	}
	cfg.Execution.FollowEvery = tomlval.Dur(50 * time.Millisecond)
	cfg.Webhook.Enabled, cfg.Webhook.Addr = true, "127.0.0.1:0"
	cfg.Sim.Customers.Every, cfg.Sim.Customers.PayoutEvery = tomlval.Dur(0), tomlval.Dur(0) // no simulated customers unless a test wants them
	cfg.Risk.MaxOpenIntents = 4
	cfg.Risk.MaxOrderNotional = tomlval.Dec(decimal.RequireFromString("50000"))
	cfg.Risk.MaxDailyNotional = tomlval.Dec(decimal.RequireFromString("1000000"))
	return cfg
}

// always returns a re-arming threshold that triggers on every fresh price.
func always(side, pair, size, path string) map[string]any {
	price := "100000000"
	if side == "sell" {
		price = "0.01"
	}
	return map[string]any{
		"pair": pair, "side": side, "order": "limit", "price": price, "size": size,
		"rearm": true, "cooldown": "50ms", "retry_after": "50ms", "path": path, "max_slippage": "1",
	}
}

func start(t testing.TB, cfg config.Config, o daemon.Options) *harness {
	t.Helper()
	secrets, err := config.LoadSecrets(func(k string) string {
		return map[string]string{"ADMIN_TOKEN": adminToken}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return startWith(t, cfg, o, secrets)
}

// startWith starts the daemon with secrets and waits until it trades.
func startWith(t testing.TB, cfg config.Config, o daemon.Options, secrets config.Secrets) *harness {
	t.Helper()
	logs := &syncBuffer{}
	o.Logger = newLogger(logs)
	started := make(chan daemon.Info, 1)
	o.Started = func(i daemon.Info) { started <- i }
	d, err := daemon.New(cfg, secrets, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, d: d, logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- d.Run(ctx) }()
	select {
	case h.info = <-started:
	case err := <-h.done:
		cancel()
		t.Fatalf("daemon stopped before trading: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("daemon not started after 20s\n%s", logs)
	}
	t.Cleanup(func() { h.stop() })
	return h
}

// stop shuts the daemon down and checks it stopped cleanly.
func (h *harness) stop() {
	h.t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("daemon.Run = %v\n%s", err, h.logs)
		}
	case <-time.After(30 * time.Second):
		h.t.Errorf("daemon did not stop within 30s")
	}
}

// metric returns the sum of the samples of name whose labels include want.
func metric(t testing.TB, g prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, want) {
				continue
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

// waitMetric polls the registry until name{labels} reaches at least min.
func (h *harness) waitMetric(name string, labels map[string]string, min float64) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if v := metric(h.t, h.d.Registry(), name, labels); v >= min {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s%v did not reach %v within 20s\n%s", name, labels, min, tail(h.logs.String(), 40))
		}
		select {
		case err := <-h.done:
			h.t.Fatalf("daemon stopped: %v\n%s", err, tail(h.logs.String(), 40))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// admin sends an authenticated admin request.
func (h *harness) admin(method, path, token string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.info.AdminURL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(h.t, req)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// registryWith returns the built-ins plus the test strategy "every", which
// returns one intent per timer without looking at prices, to reach risk
// checks the built-ins stop short of (they skip stale prices themselves).
func registryWith(t *testing.T) *strategy.Registry {
	t.Helper()
	r := strategy.Builtins()
	if err := r.Register("every", newEvery); err != nil {
		t.Fatal(err)
	}
	return r
}

type everyParams struct {
	Pair  string `toml:"pair"`
	Side  string `toml:"side"`
	Size  string `toml:"size"`
	Every string `toml:"every"`
	Path  string `toml:"path"`
}

type every struct {
	name string
	in   strategy.Intent
	d    time.Duration
	next time.Time
}

func newEvery(name string, decode func(any) error) (strategy.Strategy, error) {
	var p everyParams
	if err := decode(&p); err != nil {
		return nil, err
	}
	d, err := time.ParseDuration(p.Every)
	if err != nil {
		return nil, err
	}
	size, err := decimal.NewFromString(p.Size)
	if err != nil {
		return nil, err
	}
	path, err := strategy.ParsePath(p.Path)
	if err != nil {
		return nil, err
	}
	in := strategy.Intent{Pair: p.Pair, Side: market.Side(p.Side), Size: size, Path: path, MaxSlippage: decimal.NewFromInt(1)}
	return &every{name: name, in: in, d: d}, nil
}

func (e *every) Name() string { return e.name }
func (e *every) Handle(v strategy.View, ev strategy.Event) strategy.Decision {
	if t, ok := ev.(strategy.Timer); ok {
		e.next = t.Due.Add(e.d)
		return strategy.Decision{Intents: []strategy.Intent{e.in}}
	}
	return strategy.Decision{}
}

func (e *every) NextTimer(now time.Time) time.Time {
	if e.next.IsZero() {
		e.next = now.Add(e.d)
	}
	return e.next
}

package backtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/backtest/internal/recording"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// monday is the start of the test recordings: Monday 2026-03-02, so two
// days reach Wednesday's maintenance window.
var monday = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

const testSeed = 7

// record writes a recording of the simulator's walk into dir and returns
// its path.
func record(tb testing.TB, dir, name string, o recording.Options) string {
	tb.Helper()
	if o.Start.IsZero() {
		o.Start = monday
	}
	if o.Seed == 0 {
		o.Seed = testSeed
	}
	path := filepath.Join(dir, name)
	if _, err := recording.Write(path, o); err != nil {
		tb.Fatal(err)
	}
	return path
}

var (
	cacheMu sync.Mutex
	cache   = map[string]string{}
)

// cachedRecording records once per process (benchmarks run their
// functions several times) into a directory removed at exit by TestMain.
func cachedRecording(tb testing.TB, name string, o recording.Options) string {
	tb.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	key := fmt.Sprintf("%s/%v/%v/%d", name, o.Duration, o.Every, o.MaxTicks)
	if p, ok := cache[key]; ok {
		return p
	}
	p := record(tb, sharedDir, fmt.Sprintf("%d-%s", len(cache), name), o)
	cache[key] = p
	return p
}

var sharedDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "backtest-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// pairs are recording.Pairs as listed pairs.
func pairs() []market.Pair {
	var out []market.Pair
	for _, p := range recording.Pairs() {
		out = append(out, p.Pair)
	}
	return out
}

// rebalance keeps EUR, BTC and ETH at 50/25/25, checked every period.
func rebalance(tb testing.TB, every time.Duration, path strategy.Path) strategy.Strategy {
	tb.Helper()
	p := strategy.DefaultRebalanceParams()
	p.Reference = "EUR"
	p.Weights = map[string]tomlval.Decimal{"EUR": tomlval.Dec(d("0.5")), "BTC": tomlval.Dec(d("0.25")), "ETH": tomlval.Dec(d("0.25"))}
	p.Band = tomlval.Dec(d("0.002"))
	p.MinTrade = tomlval.Dec(d("50"))
	p.Every = tomlval.Dur(every)
	p.Path = path
	s, err := strategy.NewRebalance("rebalance", p)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func limits() risk.Limits {
	l := risk.DefaultLimits()
	l.MaxPriceAge = tomlval.Dur(30 * time.Second)
	l.MaxDailyNotional = tomlval.Dec(d("10000000"))
	return l
}

// options are Options over feeds with the rebalance strategy, the
// simulator's pairs and Hercle's maintenance gate, reporting into a new
// directory.
func options(tb testing.TB, feeds ...string) Options {
	tb.Helper()
	gate, err := scheduler.NewGate(scheduler.GateConfig{Weekly: []scheduler.Weekly{scheduler.HercleMaintenance()}, Before: 5 * time.Minute, After: 5 * time.Minute})
	if err != nil {
		tb.Fatal(err)
	}
	return Options{
		Feeds:      feeds,
		Strategies: []strategy.Strategy{rebalance(tb, 5*time.Minute, strategy.OTC)},
		Limits:     limits(),
		Gate:       gate,
		Pairs:      pairs(),
		Balances:   recording.Balances(),
		Reference:  "EUR",
		Venue:      VenueModel{FeeBps: d("5"), SlippageBps: d("1"), RFQMarkupBps: d("2"), Latency: 200 * time.Millisecond},
		Out:        filepath.Join(tb.TempDir(), "report"),
	}
}

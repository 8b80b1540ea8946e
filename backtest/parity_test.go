package backtest

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
)

// The parity test paper-trades against the simulator over loopback the way
// the daemon does (hub price stream → feeds.Source → trader.Loop running
// its own goroutine, executions on their own goroutines through
// execution.Executor → the sim's REST API, a bbolt ledger), records the
// ticks with the feeds recorder at the same time, then replays the
// recording with a zero-latency, zero-cost venue model and requires the
// same intents with the same fills, in the same order.
//
// Everything runs on one manual clock (the venue's, the feed's receive
// stamps, the loop's), moved by the test in 100 ms steps. The simulated
// price moves once a second; every strategy timer falls 100 ms after a
// whole second, and the test waits, before each step, until the loop has
// handled every tick forwarded so far, every timer due and every execution
// it started (a probe strategy reports it). So the price a decision sees
// and the price the venue fills at are the same second's, live and
// replayed.

// parityPairs have no maximum size, so the simulator's spread (which
// widens with size up to the maximum) is the same at every size: an order
// fills at the streamed price, as the venue model assumes.
func parityPairs() []sim.PairConfig {
	var out []sim.PairConfig
	for _, p := range sim.DefaultPairs() {
		if p.Symbol == "BTCEUR" || p.Symbol == "ETHEUR" {
			p.MaxSize = decimal.Zero
			p.VolatilityBps = 20
			out = append(out, p)
		}
	}
	return out
}

func parityBalances() map[market.Asset]decimal.Decimal {
	// Off the rebalance targets (50/25/25), so the first check trades.
	return map[market.Asset]decimal.Decimal{"EUR": d("60000"), "BTC": d("0.5"), "ETH": d("4")}
}

func parityLimits() risk.Limits {
	l := risk.DefaultLimits()
	l.MaxOrderNotional = tomlval.Dec(d("50000"))
	l.MaxDailyNotional = tomlval.Dec(d("1000000"))
	return l
}

// parityStrategies: a rebalance every 5 s by OTC order, and a TWAP buying
// BTC in four RFQ slices 5 s apart.
func parityStrategies(t *testing.T, first time.Time) []strategy.Strategy {
	t.Helper()
	rb := strategy.DefaultRebalanceParams()
	rb.Reference = "EUR"
	rb.Weights = map[string]tomlval.Decimal{"EUR": tomlval.Dec(d("0.5")), "BTC": tomlval.Dec(d("0.25")), "ETH": tomlval.Dec(d("0.25"))}
	rb.Band, rb.MinTrade = tomlval.Dec(d("0.0005")), tomlval.Dec(d("20"))
	rb.Every, rb.Path = tomlval.Dur(5*time.Second), strategy.OTC
	r, err := strategy.NewRebalance("rebalance", rb)
	if err != nil {
		t.Fatal(err)
	}
	tw := strategy.DefaultTWAPParams()
	tw.Pair, tw.Side, tw.Size = "BTCEUR", market.Buy, tomlval.Dec(d("0.02"))
	tw.Start, tw.Period, tw.Every = first.Add(2*time.Second), tomlval.Dur(20*time.Second), tomlval.Dur(5*time.Second)
	tw.Path = strategy.RFQ
	w, err := strategy.NewTWAP("twap", tw)
	if err != nil {
		t.Fatal(err)
	}
	return []strategy.Strategy{r, w}
}

// probe reports, from the loop's goroutine, how far the loop has got: the
// venue time of the last tick it handled per pair, its own timer (due every
// second, at the same instants as the others'), and whether a tick came
// after its last timer with no intent open.
type probe struct {
	poke chan struct{}

	mu   sync.Mutex // guards the fields below
	next time.Time
	idle bool
	seen map[string]time.Time
}

func (p *probe) Name() string { return "probe" }

func (p *probe) NextTimer(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next.IsZero() {
		p.next = now.Add(time.Second)
	}
	return p.next
}

func (p *probe) Handle(v strategy.View, e strategy.Event) strategy.Decision {
	p.mu.Lock()
	switch e := e.(type) {
	case strategy.Timer:
		p.next, p.idle = v.Now().Add(time.Second), false
	case strategy.Price:
		p.seen[e.Tick.Pair] = e.Tick.Time
		if len(v.OpenIntents()) == 0 {
			p.idle = true
		}
	}
	p.mu.Unlock()
	select {
	case p.poke <- struct{}{}:
	default:
	}
	return strategy.Decision{}
}

// observed records every execution's result.
type observed struct {
	x       *execution.Executor
	mu      sync.Mutex
	results []execution.Result
}

func (o *observed) Execute(ctx context.Context, in strategy.Intent) execution.Result {
	r := o.x.Execute(ctx, in)
	o.mu.Lock()
	o.results = append(o.results, r)
	o.mu.Unlock()
	return r
}

func (o *observed) Move(ctx context.Context, m execution.Movement) execution.Result {
	return o.x.Move(ctx, m)
}

// feedView is the streaming price the live quote check compares RFQ
// quotes with.
type feedView struct {
	strategy.State
	view *feeds.View
}

func (v *feedView) Tick(pair string) (market.Tick, bool) { return v.view.Last(pair) }

// fill is what parity compares of one execution.
type parityFill struct {
	ID, Strategy, Ref, Pair, Side, Path, IntentSize, Slippage string
	Status, Size, Amount, Price                               string
}

func fillsOf(rs []execution.Result) []parityFill {
	out := make([]parityFill, len(rs))
	for i, r := range rs {
		in := r.Intent
		out[i] = parityFill{ID: in.ID, Strategy: in.Strategy, Ref: in.Ref, Pair: in.Pair, Side: string(in.Side), Path: string(in.Path),
			IntentSize: in.Size.String(), Slippage: in.MaxSlippage.String(),
			Status: r.Status.String(), Size: r.Size.String(), Amount: r.Amount.String(), Price: r.Price.String()}
	}
	slices.SortStableFunc(out, func(a, b parityFill) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func TestParityWithPaperTrading(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-trades a simulated minute over loopback")
	}
	const steps = 600 // 100 ms each: a minute
	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	srv, err := sim.Start(ctx, sim.Options{Seed: testSeed, Clock: clk.Clock(), Pairs: parityPairs(), Balances: parityBalances(),
		Hub: sim.HubOptions{PriceInterval: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Logf("simulator seed %d at %s", testSeed, srv.URL())

	var specs []market.Pair
	for _, p := range parityPairs() {
		specs = append(specs, p.Pair)
	}
	src, err := feeds.NewSource(feeds.Config{Clock: clk.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	hub, err := hub.NewClient(hub.Config{BaseURL: srv.URL(), APIKey: srv.APIKey(), Seed: testSeed,
		OnPrice: src.HandlePrice, OnState: src.HandleState})
	if err != nil {
		t.Fatal(err)
	}
	hubCtx, stopHub := context.WithCancel(ctx)
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); _ = hub.Run(hubCtx) }()
	defer func() { stopHub(); <-hubDone }()

	rest, err := hercle.NewClient(hercle.Config{BaseURL: srv.URL(), APIKey: srv.APIKey(), RateLimit: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	store, err := ledger.Open(filepath.Join(t.TempDir(), "live.db"), ledger.Options{Clock: clk.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	open := ledger.Entry{Key: "live:opening", Kind: ledger.KindOpening, Time: clk.Now()}
	for _, a := range []market.Asset{"BTC", "ETH", "EUR"} {
		if v := parityBalances()[a]; !v.IsZero() {
			open.Postings = append(open.Postings, ledger.Posting{Account: ledger.VenueAvailable(ledger.Hercle), Asset: a, Amount: v},
				ledger.Posting{Account: ledger.OpeningBalance(), Asset: a, Amount: v.Neg()})
		}
	}
	if _, _, err := store.Post(ctx, open); err != nil {
		t.Fatal(err)
	}
	limits := parityLimits()
	view := &feedView{view: src.View()}
	var live *observed
	p := &probe{poke: make(chan struct{}, 1), seen: map[string]time.Time{}}
	n := 0
	first := t0.Add(100 * time.Millisecond) // the first tick's receive time
	liveReg := prometheus.NewRegistry()
	// The same assembly as the daemon's and the backtest's.
	eng, err := trader.NewEngine(trader.EngineOptions{
		Limits: limits, Counters: &risk.MemoryCounters{}, Store: store, Venue: rest, Pairs: specs,
		Strategies: append(parityStrategies(t, first), p), Clock: clk.Clock(),
		Prices:   func(time.Time) strategy.View { return view },
		NewID:    func() (string, error) { n++; return fmt.Sprintf("bt-%08d", n), nil },
		Observe:  func(x *execution.Executor) trader.Executor { live = &observed{x: x}; return live },
		Registry: liveReg,
	})
	if err != nil {
		t.Fatal(err)
	}
	loop := eng.Loop
	loopCtx, stopLoop := context.WithCancel(ctx)
	loopDone := make(chan error, 1)
	go func() { loopDone <- loop.Run(loopCtx) }()
	defer stopLoop()

	recPath := filepath.Join(t.TempDir(), "live.ndjson.gz")
	rec, err := feeds.CreateRecorder(recPath, feeds.Header{Venue: "hercle-sim", Pairs: []string{"BTCEUR", "ETHEUR"}, Started: first})
	if err != nil {
		t.Fatal(err)
	}
	fwdCtx, stopFwd := context.WithCancel(ctx)
	fwdDone := make(chan struct{})
	go func() {
		defer close(fwdDone)
		for {
			select {
			case u := <-src.Updates():
				if err := rec.Write(u); err != nil {
					t.Error(err)
					return
				}
				loop.Tick(loopCtx, u.Tick)
			case <-fwdCtx.Done():
				return
			}
		}
	}()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.NewTimer(20 * time.Second)
		defer deadline.Stop()
		for {
			p.mu.Lock()
			ok := cond()
			p.mu.Unlock()
			if ok {
				return
			}
			select {
			case <-p.poke:
			case <-deadline.C:
				t.Fatalf("at %s: timed out waiting for %s", clk.Now().Format(time.RFC3339Nano), what)
			}
		}
	}

	clk.Set(first)
	for _, sp := range specs {
		if err := src.Subscribe(ctx, hub, "parity-"+sp.Symbol, sp.Symbol, sp.MinSize); err != nil {
			t.Fatal(err)
		}
	}
	for step := 1; step <= steps; step++ {
		now := first.Add(time.Duration(step) * 100 * time.Millisecond)
		clk.Set(now)
		if now.Sub(t0)%time.Second == 0 {
			// The price moved: the loop must have handled this second's
			// price of every pair before any timer of this second fires.
			waitFor("this second's ticks", func() bool {
				for _, sp := range specs {
					if p.seen[sp.Symbol].Before(now) {
						return false
					}
				}
				return true
			})
		}
		waitFor("the timers due and their executions", func() bool { return p.next.After(now) && p.idle })
	}
	stopFwd()
	<-fwdDone
	stopLoop()
	if err := <-loopDone; err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Verify(ctx); err != nil {
		t.Fatalf("live ledger: %v", err)
	}

	// Replay the recording.
	var replayed []execution.Result
	o := Options{
		Feeds: []string{recPath}, Strategies: parityStrategies(t, first), Limits: limits,
		Pairs: specs, Balances: parityBalances(), Reference: "EUR",
		Out:        filepath.Join(t.TempDir(), "report"),
		OnExecuted: func(r execution.Result) { replayed = append(replayed, r) },
	}
	sum, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}

	liveFills, replayFills := fillsOf(live.results), fillsOf(replayed)
	var paths []string
	for _, f := range liveFills {
		if f.Status != "filled" {
			t.Errorf("live intent %s %s: %s", f.ID, f.Status, f.Ref)
		}
		paths = append(paths, f.Path)
	}
	if len(liveFills) < 6 || !slices.Contains(paths, "otc") || !slices.Contains(paths, "rfq") {
		t.Fatalf("live paper trading made %d fills (%v); the parity test needs OTC and RFQ fills", len(liveFills), paths)
	}
	if diff := cmp.Diff(liveFills, replayFills); diff != "" {
		t.Fatalf("replayed fills differ from paper trading (-live +replay):\n%s", diff)
	}
	var decided int64
	if err := counters(liveReg, "engine_decisions_total", func(l map[string]string, v int64) {
		if l["strategy"] != "probe" {
			decided += v
		}
	}); err != nil {
		t.Fatal(err)
	}
	if decided != sum.Intents.Decided {
		t.Fatalf("paper trading decided %d intents, the replay %d", decided, sum.Intents.Decided)
	}
	t.Logf("%d decisions, %d fills identical live and replayed (%d ticks recorded)", decided, len(liveFills), sum.Ticks)
}

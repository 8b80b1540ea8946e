package daemon_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// The crash test runs the daemon as a child process (this test binary
// re-executed into TestCrashChild) against a standalone simulator in this
// process that injects 20% faults and does not deduplicate Client-Ids, as
// production does not. It kills the child with SIGKILL at random moments
// until at least crashCycles orders have executed, restarts it each time,
// and finally lets one run recover and stop cleanly. Then venue and ledger
// must agree one to one.
const (
	crashCycles  = 200
	crashKey     = "crash-test-key-0000000000000000"
	envChild     = "ENGINE_CRASH_CHILD"
	envBaseURL   = "ENGINE_CRASH_BASE_URL"
	envLedger    = "ENGINE_CRASH_LEDGER"
	runningLine  = `msg="engine running"`
	crashSeed    = 20261123
	maxCrashRuns = 400
)

// crashConfig is the child's configuration: live mode against the
// simulator, two re-arming thresholds that always trigger (one buys over
// OTC, one sells over RFQ), so the child trades continuously.
func crashConfig(baseURL, ledgerPath string) config.Config {
	cfg := config.Default()
	cfg.Mode = config.ModeLive
	cfg.Log.Level = "debug"
	cfg.Hercle.BaseURL = baseURL
	cfg.Hercle.Timeout = config.D(5 * time.Second)
	cfg.Hercle.RateLimit = 1000
	cfg.Hercle.Burst = 100
	cfg.Ledger.Path = ledgerPath
	cfg.Execution.FollowEvery, cfg.Execution.Lookups = config.D(50*time.Millisecond), 10
	cfg.Metrics.Addr, cfg.Admin.Addr = "", ""
	cfg.Feeds.Pairs = []config.FeedPair{{Pair: "BTCEUR", Size: config.A(decimal.RequireFromString("0.01"))}}
	cfg.Risk.MaxOpenIntents = 2
	cfg.Risk.Breaker.MaxRejects = 1_000_000
	cfg.Risk.MaxDailyNotional = strategy.Dec(decimal.RequireFromString("100000000"))
	threshold := func(side, price, path string) map[string]any {
		return map[string]any{
			"pair": "BTCEUR", "side": side, "order": "limit", "price": price, "size": "0.001",
			"rearm": true, "cooldown": "10ms", "retry_after": "10ms", "path": path, "max_slippage": "1",
		}
	}
	cfg.Strategies = []config.Strategy{
		{Kind: "threshold", Name: "buyer", Params: threshold("buy", "10000000", "otc")},
		{Kind: "threshold", Name: "seller", Params: threshold("sell", "1", "rfq")},
	}
	return cfg
}

// TestCrashChild is the child process; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("child process of TestCrashRecovery")
	}
	cfg := crashConfig(os.Getenv(envBaseURL), os.Getenv(envLedger))
	secrets, err := config.LoadSecrets(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(cfg, secrets, daemon.Options{Logger: newLogger(os.Stderr)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: about a minute")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Options{
		Seed: crashSeed, APIKey: crashKey, Dedup: false,
		Faults: sim.Faults{RateLimited: 0.05, ResetBeforeRead: 0.05, ErrorAfterApply: 0.10, RetryAfter: 10 * time.Millisecond},
		Hub:    sim.HubOptions{PriceInterval: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Logf("simulator seed %d, kill seed %d", crashSeed, crashSeed)
	ledgerPath := filepath.Join(t.TempDir(), "ledger.db")
	rng := rand.New(rand.NewPCG(crashSeed, 1))
	v := srv.Venue()

	kills, recovered := 0, map[string]int{}
	for run := 0; countTrades(t, v) < crashCycles; run++ {
		if run == maxCrashRuns {
			t.Fatalf("%d runs executed only %d orders", run, countTrades(t, v))
		}
		delay := time.Duration(rng.Int64N(int64(400 * time.Millisecond)))
		child := startChild(t, srv.URL(), ledgerPath)
		child.waitRunning(t)
		// Fault injection, not synchronisation: the kill lands wherever the
		// child happens to be after delay.
		timer := time.NewTimer(delay)
		<-timer.C
		child.kill(t)
		kills++
		child.countRecovered(recovered)
	}
	// A last run recovers whatever the last kill left, then stops cleanly.
	child := startChild(t, srv.URL(), ledgerPath)
	child.waitRunning(t)
	child.terminate(t)
	child.countRecovered(recovered)
	t.Logf("%d SIGKILLs, %d orders executed at the venue; intents resolved at restarts: %v", kills, countTrades(t, v), recovered)
	// The kills must have landed inside the window that matters: between
	// recording an intent and learning its outcome.
	if recovered["filled"] == 0 || recovered["failed"] == 0 {
		t.Errorf("no restart found both an executed and a never-executed intent to resolve (%v); the test is not exercising recovery", recovered)
	}

	store, err := ledger.Open(ledgerPath, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	checkOneToOne(t, v, store)
}

// child is one run of the daemon in a child process.
type child struct {
	cmd     *exec.Cmd
	running chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	log     strings.Builder
}

func startChild(t *testing.T, baseURL, ledgerPath string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), envChild+"=1", envBaseURL+"="+baseURL, envLedger+"="+ledgerPath, "HERCLE_API_KEY="+crashKey)
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, running: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.log.WriteString(line + "\n")
			c.mu.Unlock()
			if strings.Contains(line, runningLine) {
				once.Do(func() { close(c.running) })
			}
		}
	}()
	return c
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.String()
}

// countRecovered adds the child's start-up recoveries by result.
func (c *child) countRecovered(into map[string]int) {
	for _, line := range strings.Split(c.output(), "\n") {
		if !strings.Contains(line, `msg="recovered intent"`) {
			continue
		}
		for _, r := range []string{"filled", "failed", "unresolved"} {
			if strings.Contains(line, " result="+r) {
				into[r]++
			}
		}
	}
}

func (c *child) waitRunning(t *testing.T) {
	t.Helper()
	select {
	case <-c.running:
	case <-c.done:
		c.cmd.Wait()
		t.Fatalf("child exited before trading:\n%s", c.output())
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		t.Fatalf("child not trading after 60s:\n%s", c.output())
	}
}

func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	<-c.done
	c.cmd.Wait()
}

func (c *child) terminate(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-c.done
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child did not stop cleanly: %v\n%s", err, c.output())
	}
}

// venueTrades lists every trade at the venue.
func venueTrades(t *testing.T, v *sim.Venue) []sim.Trade {
	t.Helper()
	now := v.Now()
	var out []sim.Trade
	for page := 0; ; page++ { // pages count from 0
		ts, err := v.Trades(sim.Page{From: now.Add(-6 * 24 * time.Hour), To: now.Add(time.Hour), Page: page, Size: sim.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ts...)
		if len(ts) < sim.MaxPageSize {
			return out
		}
	}
}

func countTrades(t *testing.T, v *sim.Venue) int { return len(venueTrades(t, v)) }

// checkOneToOne: every venue trade is one ledger fill with the same
// Client-Id and amounts, and the other way round; no Client-Id executed
// twice; no intent left unfinished; the journal verifies and the ledger's
// venue balances equal the venue's.
func checkOneToOne(t *testing.T, v *sim.Venue, store *ledger.Store) {
	t.Helper()
	ctx := context.Background()
	trades := venueTrades(t, v)
	byClient := map[string]int{}
	for _, tr := range trades {
		byClient[tr.ClientID]++
		e, err := store.Entry(ctx, "hercle:trade:"+tr.ID)
		if err != nil {
			t.Errorf("venue trade %s (client %s) has no ledger fill: %v", tr.ID, tr.ClientID, err)
			continue
		}
		if e.ClientID != tr.ClientID {
			t.Errorf("trade %s: ledger client id %s, venue %s", tr.ID, e.ClientID, tr.ClientID)
		}
	}
	for id, n := range byClient {
		if n != 1 {
			t.Errorf("Client-Id %s executed %d times at the venue", id, n)
		}
	}
	fills := 0
	err := store.Journal(ctx, ledger.Filter{}, func(e ledger.Entry) error {
		if e.Kind == ledger.KindTrade {
			fills++
			if byClient[e.ClientID] != 1 {
				t.Errorf("ledger fill %s (client %s) has no venue trade", e.Key, e.ClientID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fills != len(trades) {
		t.Errorf("ledger has %d fills, venue %d trades", fills, len(trades))
	}
	unfinished, err := store.Unfinished(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range unfinished {
		t.Errorf("intent %s left %s after the final recovery", in.ClientID, in.State)
	}
	if err := store.Verify(ctx); err != nil {
		t.Errorf("ledger verify: %v", err)
	}
	for _, asset := range []market.Asset{"BTC", "EUR"} {
		venue, books := venueTotal(v, asset), ledgerVenueTotal(t, store, asset)
		if !venue.Equal(books) {
			t.Errorf("%s: venue %s, ledger %s", asset, venue, books)
		}
	}
	t.Logf("%d venue trades, %d ledger fills, one to one", len(trades), fills)
}

// venueTotal is the venue's available plus allocated balance of asset.
func venueTotal(v *sim.Venue, asset market.Asset) decimal.Decimal {
	for _, a := range v.Balances().Assets {
		if a.Name == asset {
			return a.Available.Add(a.Allocated)
		}
	}
	return decimal.Zero
}

// ledgerVenueTotal is the ledger's Hercle balance of asset.
func ledgerVenueTotal(t *testing.T, s *ledger.Store, asset market.Asset) decimal.Decimal {
	t.Helper()
	ctx := context.Background()
	var sum decimal.Decimal
	for _, a := range []ledger.Account{ledger.VenueAvailable(ledger.Hercle), ledger.VenueAllocated(ledger.Hercle)} {
		b, err := s.Balance(ctx, a, asset)
		if err != nil {
			t.Fatal(err)
		}
		sum = sum.Add(b)
	}
	return sum
}

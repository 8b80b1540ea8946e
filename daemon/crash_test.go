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
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/internal/tomlval"
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
	envFinal     = "ENGINE_CRASH_FINAL"
	envBackupDir = "ENGINE_CRASH_BACKUP_DIR"
	runningLine  = `msg="engine running"`
	crashSeed    = 20261123
	maxCrashRuns = 400
)

// crashConfig is the child's configuration: live mode against the
// simulator, two re-arming thresholds that always trigger (one buys over
// OTC, one sells half as much over RFQ), so the child trades continuously
// and its BTC grows, and a treasury sweep that withdraws the BTC above
// 9.99 to a whitelisted address every second, so withdrawals are in the
// mix.
func crashConfig(baseURL, ledgerPath string) config.Config {
	cfg := config.Default()
	cfg.Mode = config.ModeLive
	cfg.Log.Level = "debug"
	cfg.Hercle.BaseURL = baseURL
	cfg.Hercle.Timeout = tomlval.Dur(5 * time.Second)
	cfg.Hercle.RateLimit = 1000
	cfg.Hercle.Burst = 100
	cfg.Ledger.Path = ledgerPath
	cfg.Execution.FollowEvery, cfg.Execution.Lookups = tomlval.Dur(50*time.Millisecond), 10
	cfg.Metrics.Addr, cfg.Admin.Addr = "127.0.0.1:0", ""
	// USDTEUR values the USDT seller's notional in risk.reference (EUR).
	cfg.Feeds.Pairs = []feeds.PairSettings{{Pair: "BTCEUR", Size: tomlval.Dec(decimal.RequireFromString("0.01"))},
		{Pair: "BTCUSDT", Size: tomlval.Dec(decimal.RequireFromString("0.01"))},
		{Pair: "USDTEUR", Size: tomlval.Dec(decimal.RequireFromString("100"))}}
	cfg.Risk.MaxOpenIntents = 3
	cfg.Risk.Breaker.MaxRejects = 1_000_000
	cfg.Risk.MaxDailyNotional = tomlval.Dec(decimal.RequireFromString("100000000"))
	threshold := func(side, price, path string) map[string]any {
		return map[string]any{
			"pair": "BTCEUR", "side": side, "order": "limit", "price": price, "size": "0.001",
			"rearm": true, "cooldown": "10ms", "retry_after": "10ms", "path": path, "max_slippage": "1",
		}
	}
	seller := threshold("sell", "1", "rfq")
	buyer := threshold("buy", "10000000", "otc")
	buyer["size"] = "0.003"
	usdt := threshold("sell", "1", "otc")
	usdt["pair"] = "BTCUSDT"
	cfg.Strategies = []strategy.Spec{
		{Kind: "threshold", Name: "buyer", Params: buyer},
		{Kind: "threshold", Name: "seller", Params: seller},
		{Kind: "threshold", Name: "usdt-seller", Params: usdt},
	}
	if _, err := toml.Decode(crashTreasury, &cfg.Treasury); err != nil {
		panic(err)
	}
	big := tomlval.Dec(decimal.RequireFromString("100000000"))
	cfg.Risk.Transfers.MaxDaily = big
	cfg.Risk.Transfers.Destinations = map[string]tomlval.Decimal{"cold": big, "usdt-cold": big}
	return cfg
}

const (
	crashAddress     = "bc1qcrashcrashcrashcrashcrashcrashcrash0"
	crashUSDTAddress = "TCrashCrashCrashCrashCrashCrashCr"
)

const crashTreasury = `
poll_after = "1s"
poll_every = "1s"
lookups = 3

[destinations.cold]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "` + crashAddress + `"
daily_cap = "1000"

[destinations.usdt-cold]
type = "crypto"
asset = "USDT"
network = "Tron"
address = "` + crashUSDTAddress + `"
daily_cap = "100000000"

[policies.usdt-cold]
kind = "sweep"
asset = "USDT"
schedule = "* * * * * *"
min = "1"
target = "999990"
max = "999995"
destination = "usdt-cold"
min_sweep = "1"
dry_run = false

[policies.btc-cold]
kind = "sweep"
asset = "BTC"
schedule = "* * * * * *"
min = "1"
target = "9.99"
max = "9.995"
destination = "cold"
min_sweep = "0.001"
dry_run = false
`

// crashPairs are the simulator's pairs and USDTEUR, which values a
// BTCUSDT trade's notional in EUR.
func crashPairs() []sim.PairConfig {
	usdt := sim.PairConfig{Pair: market.Pair{Symbol: "USDTEUR", Base: "USDT", Quote: "EUR",
		MinSize: decimal.RequireFromString("10"), MaxSize: decimal.RequireFromString("1000000"),
		MinQuoteSize: decimal.RequireFromString("10"), MaxQuoteSize: decimal.RequireFromString("1000000")},
		Mid: decimal.RequireFromString("0.92"), SpreadBps: 10, VolatilityBps: 2, Decimals: 5}
	return append(sim.DefaultPairs(), usdt)
}

// TestCrashChild is the child process; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("child process of TestCrashRecovery")
	}
	cfg := crashConfig(os.Getenv(envBaseURL), os.Getenv(envLedger))
	if dir := os.Getenv(envBackupDir); dir != "" {
		cfg.Ledger.BackupDir, cfg.Ledger.BackupEvery, cfg.Ledger.BackupKeep = dir, tomlval.Dur(time.Second), 20
		// A long run: a reconciliation break under the injected faults
		// must not pause it (the restore is what is tested here).
		cfg.Reconcile.PauseAbove = -1
	}
	if os.Getenv(envFinal) == "1" {
		// The last run only resolves: nothing new is traded or sent.
		cfg.Strategies = nil
		for name, p := range cfg.Treasury.Policies {
			dry := true
			p.DryRun = &dry
			cfg.Treasury.Policies[name] = p
		}
	}
	secrets, err := config.LoadSecrets(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	log := newLogger(os.Stderr)
	d, err := daemon.New(cfg, secrets, daemon.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := d.Run(ctx); err != nil {
		log.Error("engine stopped", "err", err)
		t.Fatal(err)
	}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: about a minute")
	}
	t.Parallel() // the longest tests, mostly waiting on timers and child processes: overlapped
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Options{
		Seed: crashSeed, APIKey: crashKey, Dedup: false,
		Faults:       sim.Faults{RateLimited: 0.05, ResetBeforeRead: 0.05, ErrorAfterApply: 0.10, RetryAfter: 10 * time.Millisecond},
		Hub:          sim.HubOptions{PriceInterval: 20 * time.Millisecond},
		ConfirmAfter: 100 * time.Millisecond, SettleAfter: 300 * time.Millisecond,
		Pairs: crashPairs(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, w := range []sim.WhitelistRequest{{Name: "cold", Asset: "BTC", Address: crashAddress, Network: "Bitcoin"},
		{Name: "usdt-cold", Asset: "USDT", Address: crashUSDTAddress, Network: "Tron"}} {
		e, err := srv.Venue().WhitelistAddress(w)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Venue().ApproveWhitelist(e.ID); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("simulator seed %d, kill seed %d", crashSeed, crashSeed)
	ledgerPath := filepath.Join(t.TempDir(), "ledger.db")
	rng := rand.New(rand.NewPCG(crashSeed, 1))
	v := srv.Venue()

	kills, outages, recovered := 0, 0, map[string]int{}
	// The kills go on until the venue executed crashCycles orders and some
	// restart has found both an executed and a never-executed intent to
	// resolve: where the kills land is chance, so the test keeps killing
	// until recovery has been exercised both ways rather than hoping.
	exercised := func() bool { return recovered["filled"] > 0 && recovered["failed"] > 0 }
	for run := 0; countTrades(t, v) < crashCycles || !exercised(); run++ {
		if run == maxCrashRuns {
			t.Fatalf("%d runs executed %d orders and resolved %v at restarts", run, countTrades(t, v), recovered)
		}
		// Most kills land within the first 400 ms of trading; one run in
		// three lasts a second longer, for treasury's once-a-second
		// sweeps to send.
		delay := time.Duration(rng.Int64N(int64(400 * time.Millisecond)))
		if run%3 == 0 {
			delay += time.Second
		}
		child := startChild(t, srv.URL(), ledgerPath)
		if !child.waitRunning(t) {
			outages++
			continue
		}
		// Fault injection, not synchronisation: the kill lands wherever the
		// child happens to be after delay.
		timer := time.NewTimer(delay)
		<-timer.C
		child.kill(t)
		kills++
		child.countRecovered(recovered)
	}
	// A last run recovers whatever the last kill left, lets treasury settle
	// the movements in flight, then stops cleanly.
	child := startChild(t, srv.URL(), ledgerPath, envFinal+"=1")
	for !child.waitRunning(t) {
		outages++
		child = startChild(t, srv.URL(), ledgerPath, envFinal+"=1")
	}
	child.waitSettled(t)
	child.terminate(t)
	child.countRecovered(recovered)
	t.Logf("%d SIGKILLs, %d start-ups refused for a venue fault, %d orders and %d withdrawals executed at the venue; intents resolved at restarts: %v",
		kills, outages, countTrades(t, v), len(venueWithdrawals(t, v)), recovered)
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
	reconcileClean(t, store, srv.URL(), crashKey)
	checkWithdrawals(t, v, store)
}

// child is one run of the daemon in a child process.
type child struct {
	cmd     *exec.Cmd
	running chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	log     strings.Builder
}

func startChild(t *testing.T, baseURL, ledgerPath string, env ...string) *child {
	t.Helper()
	return startChildTest(t, "^TestCrashChild$", baseURL, ledgerPath, env...)
}

// startChildTest re-executes this test binary into the test run names.
func startChildTest(t *testing.T, run, baseURL, ledgerPath string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.v")
	cmd.Env = append(os.Environ(), envChild+"=1", envBaseURL+"="+baseURL, envLedger+"="+ledgerPath, "HERCLE_API_KEY="+crashKey)
	cmd.Env = append(cmd.Env, env...)
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

// waitRunning waits until the child trades. A child whose start-up could
// not ask the venue about what the last run left (the simulator's faults
// outlasted the client's retries) exits, as it should, for its supervisor
// to start it again: waitRunning reports false for it.
func (c *child) waitRunning(t *testing.T) bool {
	t.Helper()
	select {
	case <-c.running:
		return true
	case <-c.done:
		c.cmd.Wait()
		if strings.Contains(c.output(), "could not be asked") || strings.Contains(c.output(), "by Client-Id: hercle:") ||
			strings.Contains(c.output(), "treasury recovery:") {
			return false
		}
		t.Fatalf("child exited before trading:\n%s", c.output())
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		t.Fatalf("child not trading after 60s:\n%s", c.output())
	}
	return false
}

// waitSettled waits until the child's treasury has no movement left
// unresolved (engine_treasury_unresolved, on its metrics listener).
func (c *child) waitSettled(t *testing.T) {
	t.Helper()
	m := regexp.MustCompile(`metrics=(http://\S+)`).FindStringSubmatch(c.output())
	if m == nil {
		t.Fatalf("no metrics URL in the child's log")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := get(t, m[1]+"/metrics")
		if strings.Contains(body, "\nengine_treasury_unresolved 0\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("treasury movements still unresolved after 30s:\n%s", c.output())
		}
		time.Sleep(50 * time.Millisecond) // polling an HTTP endpoint for a condition
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

// venueWithdrawals lists every withdrawal at the venue.
func venueWithdrawals(t *testing.T, v *sim.Venue) []sim.Withdrawal {
	t.Helper()
	ws, err := v.Withdrawals(sim.WithdrawalFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// checkWithdrawals: every withdrawal at the venue is one movement of the
// ledger under the same Client-Id, executed once, settled in the books
// with the venue's amount; every movement the ledger settled is at the
// venue, and every one it failed is not.
func checkWithdrawals(t *testing.T, v *sim.Venue, store *ledger.Store) {
	t.Helper()
	ctx := context.Background()
	ws := venueWithdrawals(t, v)
	atVenue := map[string]sim.Withdrawal{}
	for _, w := range ws {
		if _, dup := atVenue[w.ClientID]; dup {
			t.Errorf("Client-Id %s withdrawn twice at the venue", w.ClientID)
		}
		atVenue[w.ClientID] = w
		if n := v.Executions(w.ClientID); n != 1 {
			t.Errorf("withdrawal %s executed %d times", w.ClientID, n)
		}
	}
	intents, err := store.Intents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	unsent := 0
	for _, in := range intents {
		if in.Kind != ledger.IntentWithdrawal {
			continue
		}
		w, sent := atVenue[in.ClientID]
		if !sent {
			unsent++
		}
		outcome := in.State
		if outcome == ledger.StateResolved {
			outcome = in.Outcome
		}
		switch {
		case outcome == ledger.StateSucceeded && !sent:
			t.Errorf("movement %s settled in the ledger, absent at the venue", in.ClientID)
		case outcome == ledger.StateFailed && sent && w.Status != sim.MovementFailure:
			t.Errorf("movement %s failed in the ledger, %s at the venue", in.ClientID, w.Status)
		case outcome == ledger.StateSucceeded:
			if e, err := store.Entry(ctx, ledger.SettledKey(in.ClientID)); err != nil {
				t.Errorf("movement %s succeeded without its settled entry: %v", in.ClientID, err)
			} else if amt := settledAmount(e); !amt.Equal(w.Amount) {
				t.Errorf("movement %s settled %s in the ledger, %s at the venue", in.ClientID, amt, w.Amount)
			}
		}
		delete(atVenue, in.ClientID)
	}
	for cid := range atVenue {
		t.Errorf("venue withdrawal %s has no movement in the ledger", cid)
	}
	t.Logf("%d venue withdrawals, one to one with the ledger's movements (%d more failed before reaching the venue)", len(ws), unsent)
}

// settledAmount is what a settled entry took out of transit.
func settledAmount(e ledger.Entry) decimal.Decimal {
	for _, p := range e.Postings {
		if p.Account.Class() == "transit" {
			return p.Amount.Neg()
		}
	}
	return decimal.Zero
}

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
	for _, asset := range []market.Asset{"BTC", "EUR", "USDT"} {
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

package daemon_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/ha/hatest"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
)

// The failover test runs two engines of a pair as child processes (this
// binary re-executed into TestHAChild) against a standalone simulator
// with faults and Client-Id deduplication off, and three etcd members in
// this process. It SIGKILLs the leader at random moments while it trades
// and sweeps; the standby takes over each time. Then venue and books must
// agree one to one, as in the crash test.
const (
	envHAChild     = "ENGINE_HA_CHILD"
	envHAEndpoints = "ENGINE_HA_ENDPOINTS"
	envHANode      = "ENGINE_HA_NODE"
	haSeed         = 20261207
)

// TestHAChild is one engine of the pair; it does nothing in a normal run.
func TestHAChild(t *testing.T) {
	if os.Getenv(envHAChild) != "1" {
		t.Skip("child process of TestFailover")
	}
	cfg := crashConfig(os.Getenv(envBaseURL), os.Getenv(envLedger))
	cfg.HA.Enabled, cfg.HA.Node = true, os.Getenv(envHANode)
	cfg.HA.Endpoints = strings.Split(os.Getenv(envHAEndpoints), ",")
	cfg.HA.Prefix, cfg.HA.LeaseTTL, cfg.HA.DialTimeout = "/failover/", tomlval.Dur(2*time.Second), tomlval.Dur(time.Second)
	cfg.Reconcile.PauseAbove = -1 // the soak runs long; what it checks is the venue against the books
	if os.Getenv(envFinal) == "1" {
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

// pair supervises the two engines as systemd would: an engine that exits
// is started again.
type pair struct {
	t         *testing.T
	url       string
	eps       [2]string // node a reaches etcd through a proxy that can cut it off
	ledgers   [2]string
	nodes     [2]*child
	restarts  int
	extraEnvs []string
}

func (p *pair) start(i int) {
	cmd := []string{envHAChild + "=1", envHAEndpoints + "=" + p.eps[i], envHANode + "=" + string(rune('a'+i))}
	p.nodes[i] = startChildTest(p.t, "^TestHAChild$", p.url, p.ledgers[i], append(cmd, p.extraEnvs...)...)
}

// leader waits until one engine trades (its start-up and recovery done)
// and returns its index; engines that exit meanwhile are restarted.
func (p *pair) leader(deadline time.Duration) int {
	p.t.Helper()
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		for i, c := range p.nodes {
			select {
			case <-c.running:
				return i
			case <-c.done:
				c.cmd.Wait()
				p.restarts++
				p.start(i)
			default:
			}
		}
		time.Sleep(5 * time.Millisecond) // polling the children's state with a deadline
	}
	p.t.Fatalf("no engine leads after %s:\n%s\n---\n%s", deadline, tail(p.nodes[0].output(), 30), tail(p.nodes[1].output(), 30))
	return -1
}

func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two engines and three etcd members: about 20 s")
	}
	t.Parallel() // the longest tests, mostly waiting on timers and child processes: overlapped
	kills := 3
	if os.Getenv("ENGINE_HA_SOAK") == "1" {
		kills = 20
	}
	cluster := hatest.Start(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Options{
		Seed: haSeed, APIKey: crashKey, Dedup: false,
		Faults:       sim.Faults{RateLimited: 0.05, ResetBeforeRead: 0.05, ErrorAfterApply: 0.10, RetryAfter: 10 * time.Millisecond},
		Hub:          sim.HubOptions{PriceInterval: 20 * time.Millisecond},
		ConfirmAfter: 100 * time.Millisecond, SettleAfter: 300 * time.Millisecond,
		Pairs: crashPairs(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	whitelist(t, srv)
	v := srv.Venue()
	rng := rand.New(rand.NewPCG(haSeed, 2))
	t.Logf("simulator and kill seed %d", haSeed)
	proxy := hatest.NewProxy(t, strings.TrimPrefix(cluster.Endpoints[0], "http://"))
	p := &pair{t: t, url: srv.URL(), eps: [2]string{proxy.URL, strings.Join(cluster.Endpoints, ",")}}
	for i := range p.ledgers {
		p.ledgers[i] = filepath.Join(t.TempDir(), "ledger.db")
		p.start(i)
	}
	var takeovers []time.Duration
	recovered := map[string]int{}
	for k := 0; k < kills; k++ {
		l := p.leader(60 * time.Second)
		if k == 0 {
			checkStandby(t, p.nodes[1-l])
		}
		// A failover needs a standby: the engine killed last time must be
		// back and campaigning (its start-up can outlast a quick takeover),
		// or the kill below would leave the killed engine's restart to
		// race it.
		p.waitCampaigning(1 - l)
		// Fault injection, not synchronisation: the kill lands wherever the
		// leader happens to be.
		timer := time.NewTimer(200*time.Millisecond + time.Duration(rng.Int64N(int64(1300*time.Millisecond))))
		<-timer.C
		p.nodes[l].kill(t)
		killed := time.Now()
		p.start(l) // the supervisor restarts it; it comes back as standby
		if next := p.leader(60 * time.Second); next == l {
			t.Fatalf("kill %d: the killed engine leads again (%d restarts after a start-up fault)\n--- the other:\n%s\n--- the killed, restarted:\n%s",
				k, p.restarts, tail(p.nodes[1-l].output(), 40), tail(p.nodes[l].output(), 20))
		}
		takeovers = append(takeovers, time.Since(killed))
		p.nodes[1-l].countRecovered(recovered)
	}
	if os.Getenv("ENGINE_HA_SOAK") == "1" {
		takeovers = append(takeovers, partition(p, proxy))
	}
	// The last leader stops gracefully (it resigns); the standby is
	// stopped too; one last engine resolves what is left without trading.
	l := p.leader(60 * time.Second)
	p.nodes[l].terminate(t)
	p.nodes[1-l].kill(t)
	p.extraEnvs = []string{envFinal + "=1"}
	p.nodes[l] = nil
	final := p.finalRun(l)
	final.waitSettled(t)
	final.terminate(t)

	t.Logf("intents the new leaders resolved at takeover: %v", recovered)
	if kills >= 20 && recovered["filled"]+recovered["failed"] == 0 {
		t.Errorf("no takeover found an intent to resolve: the kills did not land between an intent and its outcome")
	}
	slices.Sort(takeovers)
	t.Logf("%d kills, %d restarts after a start-up fault; takeover (kill to the new leader trading) p50 %s, p99 %s, max %s; %d orders and %d withdrawals at the venue",
		kills, p.restarts, pct(takeovers, 50), pct(takeovers, 99), takeovers[len(takeovers)-1], countTrades(t, v), len(venueWithdrawals(t, v)))
	store, err := ledger.Open(p.ledgers[l], ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	checkOneToOne(t, v, store)
	checkWithdrawals(t, v, store)
	reconcileClean(t, store, srv.URL(), crashKey)
}

// partition cuts node a off from etcd while it leads and can still reach
// the venue: it must stop on its own (its lease ends), and b takes over.
// It returns the takeover time, from the cut to b trading.
func partition(p *pair, proxy *hatest.Proxy) time.Duration {
	t := p.t
	for p.leader(60*time.Second) != 0 {
		p.nodes[1].kill(t) // until a leads
		p.start(1)
	}
	timer := time.NewTimer(500 * time.Millisecond)
	<-timer.C
	proxy.Cut()
	cut := time.Now()
	select {
	case <-p.nodes[0].done: // deposed, it stops
		p.nodes[0].cmd.Wait()
	case <-time.After(30 * time.Second):
		t.Fatalf("node a cut off from etcd still runs after 30s:\n%s", tail(p.nodes[0].output(), 30))
	}
	if !strings.Contains(p.nodes[0].output(), "leadership lost") {
		t.Errorf("node a stopped without losing leadership:\n%s", tail(p.nodes[0].output(), 30))
	}
	proxy.Heal()
	p.start(0)
	if p.leader(60*time.Second) != 1 {
		t.Fatal("b did not take over from a cut-off leader")
	}
	took := time.Since(cut)
	t.Logf("partition: the cut-off leader stopped on its own; b traded %s after the cut", took.Round(10*time.Millisecond))
	return took
}

// checkStandby: the standby says so on /readyz (503) and in its metrics.
func checkStandby(t *testing.T, c *child) {
	t.Helper()
	var url string
	deadline := time.Now().Add(30 * time.Second)
	for url == "" {
		if m := regexp.MustCompile(`standby: campaigning.* metrics=(http://\S+)`).FindStringSubmatch(c.output()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("the standby does not campaign:\n%s", tail(c.output(), 30))
		} else {
			time.Sleep(10 * time.Millisecond) // polling the child's log for a condition
		}
	}
	if code, body := get(t, url+"/readyz"); code != 503 || !strings.Contains(body, "standby") {
		t.Errorf("standby /readyz = %d %s, want 503 naming the standby", code, body)
	}
	if _, body := get(t, url+"/metrics"); !strings.Contains(body, `engine_ha_role{role="standby"} 1`) {
		t.Errorf("standby metrics lack engine_ha_role{role=\"standby\"} 1")
	}
	// Its feed is warm: prices arrive while it waits, and none queue up
	// for a loop it does not run yet.
	ticks := regexp.MustCompile(`engine_feeds_ticks_total\{pair="BTCEUR"\} ([0-9]+)`)
	for {
		_, body := get(t, url+"/metrics")
		if m := ticks.FindStringSubmatch(body); m != nil && m[1] != "0" {
			if strings.Contains(body, `engine_feeds_dropped_total{reason="full"}`) {
				t.Errorf("the standby's feed dropped ticks for a full queue: it must hold none")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby's feed has no BTCEUR tick:\n%s", tail(c.output(), 30))
		}
		time.Sleep(20 * time.Millisecond) // polling the child's metrics for a condition
	}
}

// waitCampaigning waits until engine i, a standby, campaigns for
// leadership; one that stopped meanwhile is started again, as its
// supervisor would.
func (p *pair) waitCampaigning(i int) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(p.nodes[i].output(), "standby: campaigning") {
		select {
		case <-p.nodes[i].done:
			p.nodes[i].cmd.Wait()
			p.restarts++
			p.start(i)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the standby does not campaign:\n%s", tail(p.nodes[i].output(), 30))
		}
		time.Sleep(10 * time.Millisecond) // polling the child's log for a condition
	}
}

// finalRun starts engine i alone, in final mode, until it leads.
func (p *pair) finalRun(i int) *child {
	p.t.Helper()
	for range 20 {
		p.start(i)
		c := p.nodes[i]
		select {
		case <-c.running:
			return c
		case <-c.done:
			c.cmd.Wait()
		case <-time.After(60 * time.Second):
			p.t.Fatalf("final engine not leading after 60s:\n%s", tail(c.output(), 40))
		}
	}
	p.t.Fatal("the final engine could not start 20 times")
	return nil
}

// pct returns the q-th percentile of sorted ds (nearest rank).
func pct(ds []time.Duration, q int) time.Duration {
	i := (q*len(ds) + 99) / 100
	return ds[max(i-1, 0)].Round(10 * time.Millisecond)
}

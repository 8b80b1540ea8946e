package ha_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/otcdesk/engine/ha"
	"github.com/otcdesk/engine/ha/hatest"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
)

const prefix = "/test/"

func settings(endpoints []string, name string) ha.Settings {
	s := ha.DefaultSettings()
	s.Enabled, s.Endpoints, s.Node, s.Prefix = true, endpoints, name, prefix
	s.LeaseTTL, s.DialTimeout = tomlval.Dur(2*time.Second), tomlval.Dur(time.Second)
	return s
}

type node struct {
	*ha.Node
	store *ledger.Store
}

func start(t *testing.T, endpoints []string, name string) node {
	t.Helper()
	store, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := ha.Start(context.Background(), ha.Options{Settings: settings(endpoints, name), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(); store.Close() })
	return node{n, store}
}

// lead runs n.Lead in the background; the channel gets its result.
func lead(n node) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- n.Lead(context.Background()) }()
	return ch
}

func entry(key string) ledger.Entry {
	d := decimal.RequireFromString
	return ledger.Entry{Key: key, Kind: ledger.KindOpening, Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "BTC", Amount: d("1")},
		{Account: ledger.OpeningBalance(), Asset: "BTC", Amount: d("-1")}}}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
}

// TestStandbyHoldsTheLeadersBooks: only the leader writes; the standby
// applies every write; after the leader resigns the standby leads on the
// same books and the old leader can write nothing.
func TestStandbyHoldsTheLeadersBooks(t *testing.T) {
	c := hatest.Start(t, 3)
	ctx := context.Background()
	a := start(t, c.Endpoints, "a")
	if err := <-lead(a); err != nil {
		t.Fatal(err)
	}
	b := start(t, c.Endpoints, "b")
	bLeads := lead(b)
	for i := range 50 {
		if _, _, err := a.store.Post(ctx, entry(fmt.Sprint("e", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := b.store.Post(ctx, entry("on-standby")); !errors.Is(err, ha.ErrNotLeader) {
		t.Fatalf("a write on the standby = %v, want ErrNotLeader", err)
	}
	same := func() bool {
		fa, _ := a.store.Fingerprint(ctx)
		fb, _ := b.store.Fingerprint(ctx)
		return fa == fb
	}
	waitFor(t, "the standby's books equal the leader's", same)
	if st := b.Status(ctx); st.Role != ha.RoleStandby || st.Leader != "a" || st.Index != 50 {
		t.Errorf("standby status = %+v", st)
	}

	hold, stop := context.WithCancel(ctx)
	held := make(chan error, 1)
	go func() { held <- a.Hold(hold) }()
	stop() // a shuts down: it resigns
	if err := <-held; err != nil {
		t.Fatalf("Hold = %v", err)
	}
	if err := <-bLeads; err != nil {
		t.Fatalf("b.Lead = %v", err)
	}
	if _, _, err := b.store.Post(ctx, entry("b1")); err != nil {
		t.Fatalf("the new leader cannot write: %v", err)
	}
	if _, _, err := a.store.Post(ctx, entry("a-after")); err == nil {
		t.Fatal("the old leader wrote after resigning")
	}
	if n, _ := b.store.LastSeq(ctx); n != 51 {
		t.Errorf("the new leader's journal has %d entries, want 51", n)
	}
}

// venue counts the POSTs that reach it, by node, with their arrival.
type venue struct {
	mu       sync.Mutex
	arrivals map[string][]time.Time
}

func (v *venue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	v.arrivals[r.Header.Get("X-Node")] = append(v.arrivals[r.Header.Get("X-Node")], time.Now())
	v.mu.Unlock()
}

func (v *venue) after(node string, t time.Time) (n int, last time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, at := range v.arrivals[node] {
		if at.After(t) {
			n++
		}
		last = at
	}
	return n, last
}

// TestDeposedLeaderSendsNothing: a leader cut off from etcd while it
// still reaches the venue, or whose lease is revoked, keeps trying to
// record intents and send; no request of its reaches the venue after
// etcd ended its leadership (but the one in flight at a revocation), and
// none once the standby leads.
func TestDeposedLeaderSendsNothing(t *testing.T) {
	for _, how := range []string{"partition", "revoke"} {
		t.Run(how, func(t *testing.T) {
			c := hatest.Start(t, 3)
			ctx := context.Background()
			proxy := hatest.NewProxy(t, strings.TrimPrefix(c.Endpoints[0], "http://"))
			a := start(t, []string{proxy.URL}, "a")
			if err := <-lead(a); err != nil {
				t.Fatal(err)
			}
			b := start(t, c.Endpoints, "b")
			bLeads := lead(b)
			v := &venue{arrivals: map[string][]time.Time{}}
			srv := httptest.NewServer(v)
			defer srv.Close()
			ended := watchLeaderEnd(t, c.Endpoints)
			stop := make(chan struct{})
			sent := make(chan int)
			go func() { // a's money-moving requests as execution sends them: intent first
				client := &http.Client{Transport: a.Fence(http.DefaultTransport), Timeout: time.Second}
				n := 0
				for i := 0; ; i++ {
					select {
					case <-stop:
						sent <- n
						return
					default:
					}
					if _, _, err := a.store.Post(ctx, entry(fmt.Sprint("intent-", i))); err != nil {
						continue
					}
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/orders", strings.NewReader("{}"))
					req.Header.Set("X-Node", "a")
					if resp, err := client.Do(req); err == nil {
						resp.Body.Close()
						n++
					}
				}
			}()
			waitFor(t, "a sends", func() bool { n, _ := v.after("a", time.Time{}); return n > 20 })
			switch how {
			case "partition":
				proxy.Cut()
			case "revoke":
				revokeLeader(t, c.Endpoints)
			}
			end := <-ended
			if err := <-bLeads; err != nil {
				t.Fatal(err)
			}
			won := time.Now()
			waitFor(t, "a deposed", func() bool { return a.Role() == ha.RoleDeposed })
			// a goes on trying for a while; nothing may pass.
			deadline := time.Now().Add(500 * time.Millisecond)
			for time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond) // letting a's sender run
			}
			close(stop)
			total := <-sent
			late, last := v.after("a", end)
			t.Logf("%s: %d requests of a reached the venue; the last %s before etcd ended its leadership; the standby led %s after",
				how, total, end.Sub(last).Round(time.Millisecond), won.Sub(end).Round(time.Millisecond))
			// Cut off, the leader stops before etcd can end its lease. A
			// lease revoked by hand ends at once: the one request whose
			// intent was recorded just before may still land (the new
			// leader looks it up), never one recorded after.
			if max := map[string]int{"partition": 0, "revoke": 1}[how]; late > max {
				t.Errorf("%d requests of the deposed leader reached the venue after etcd ended its leadership, want at most %d", late, max)
			}
			if n, _ := v.after("a", won); n != 0 {
				t.Errorf("%d requests of the deposed leader reached the venue after the standby led", n)
			}
			if err := a.Check(); !errors.Is(err, ha.ErrDeposed) {
				t.Errorf("a.Check() = %v, want ErrDeposed", err)
			}
			if _, _, err := a.store.Post(ctx, entry("late")); err == nil {
				t.Error("the deposed leader wrote to its books")
			}
		})
	}
}

// watchLeaderEnd reports when etcd deletes the first leader's key.
func watchLeaderEnd(t *testing.T, endpoints []string) <-chan time.Time {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ch := make(chan time.Time, 1)
	w := cli.Watch(context.Background(), prefix+"election/", clientv3.WithPrefix())
	go func() {
		for resp := range w {
			for _, ev := range resp.Events {
				if ev.Type == clientv3.EventTypeDelete {
					ch <- time.Now()
					return
				}
			}
		}
	}()
	return ch
}

// revokeLeader revokes the lease of the leader's election key.
func revokeLeader(t *testing.T, endpoints []string) {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	resp, err := cli.Get(context.Background(), prefix+"election/", clientv3.WithFirstCreate()...)
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("no leader key: %v", err)
	}
	if _, err := cli.Revoke(context.Background(), clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
		t.Fatal(err)
	}
}

package ha

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
)

// Roles a node reports (engine_ha_role, Status).
const (
	RoleStandby = "standby"
	RoleLeader  = "leader"
	RoleDeposed = "deposed"
)

// Options configure Start.
type Options struct {
	Settings Settings
	// Store is the node's ledger, open; its writes go through the node
	// from Start on (refused until the node leads).
	Store    *ledger.Store
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Clock times the lease and the replication; the zero value is the
	// system clock.
	Clock clock.Clock
}

// Node is one engine of the pair. Start it, run Lead (standby until it
// returns), then Hold while leading. It is safe for concurrent use.
type Node struct {
	s       Settings
	name    string
	store   *ledger.Store
	log     *slog.Logger
	clock   clock.Clock
	m       *metrics
	client  *clientv3.Client
	session *concurrency.Session
	elect   *concurrency.Election
	ttl     time.Duration
	margin  time.Duration
	timeout time.Duration
	logID   string
	ctx     context.Context // the node's goroutines run until Close
	stop    context.CancelFunc
	wg      sync.WaitGroup // the node's goroutines

	mu       sync.Mutex // guards the fields below
	role     string
	deadline time.Time // the lease is certain to last until then
	key      string    // the election key and its create revision, while leading
	rev      int64
	index    uint64 // the books' last entry of the log
	applied  time.Time
	deposed  chan struct{} // closed by depose
	why      error
}

// Start connects to etcd, takes a session lease, joins the replicated
// books (creating the log if there is none: its genesis is this node's
// books) and applies the log to its head. The node is then a standby:
// every write to its store is refused until it leads. ErrBooks when its
// books cannot be the log's.
func Start(ctx context.Context, o Options) (*Node, error) {
	s := o.Settings
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	name := s.Node
	if name == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("ha: node name: %w", err)
		}
		name = h
	}
	m, err := newMetrics(o.Registry)
	if err != nil {
		return nil, err
	}
	tlsConfig, err := clientTLS(s)
	if err != nil {
		return nil, err
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: s.Endpoints, DialTimeout: s.DialTimeout.Duration,
		TLS: tlsConfig, Logger: zap.NewNop(), Context: context.WithoutCancel(ctx)})
	if err != nil {
		return nil, fmt.Errorf("ha: etcd client: %w", err)
	}
	ttl := time.Duration(math.Ceil(s.LeaseTTL.Seconds())) * time.Second
	n := &Node{s: s, name: name, store: o.Store, log: o.Logger.With("component", "ha", "node", name), clock: o.Clock, m: m,
		client: client, ttl: ttl, margin: max(ttl/5, 300*time.Millisecond), timeout: min(s.DialTimeout.Duration, ttl/2),
		role: RoleStandby, deposed: make(chan struct{})}
	n.store.SetReplicator(n)
	if err := n.begin(ctx); err != nil {
		n.Close()
		return nil, err
	}
	n.m.role(RoleStandby)
	return n, nil
}

// begin grants the lease, starts keeping it, and joins the books.
func (n *Node) begin(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, n.s.DialTimeout.Duration)
	sent := n.clock.Now()
	lease, err := n.client.Grant(rctx, int64(n.ttl/time.Second))
	cancel()
	if err != nil {
		return fmt.Errorf("ha: etcd %v: grant a lease: %w", n.s.Endpoints, err)
	}
	n.renewed(sent, lease.TTL)
	n.session, err = concurrency.NewSession(n.client, concurrency.WithLease(lease.ID))
	if err != nil {
		return fmt.Errorf("ha: etcd session: %w", err)
	}
	n.elect = concurrency.NewElection(n.session, n.s.Prefix+"election")
	n.ctx, n.stop = context.WithCancel(context.WithoutCancel(ctx))
	n.wg.Add(1)
	go n.keep(n.ctx, lease.ID)
	return n.join(ctx)
}

// clientTLS loads the etcd TLS files; nil without any.
func clientTLS(s Settings) (*tls.Config, error) {
	if s.CAFile == "" && s.CertFile == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ha.ca_file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ha.ca_file %s: no certificate in it", s.CAFile)
		}
	}
	if s.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("ha.cert_file / ha.key_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// keep renews the lease every TTL/3 and records how long it is certain
// to last: the TTL it granted, counted from when the renewal was sent.
// A lease that ends, or is not renewed in time, deposes the node.
func (n *Node) keep(ctx context.Context, id clientv3.LeaseID) {
	defer n.wg.Done()
	every := n.ttl / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.session.Done():
			n.depose(errors.New("the etcd session ended"))
			return
		case <-t.C:
		}
		sent := n.clock.Now()
		kctx, cancel := context.WithTimeout(ctx, every)
		resp, err := n.client.KeepAliveOnce(kctx, id)
		cancel()
		switch {
		case err == nil && resp.TTL > 0:
			n.renewed(sent, resp.TTL)
		case errors.Is(err, rpctypes.ErrLeaseNotFound), err == nil:
			n.depose(errors.New("the lease expired"))
			return
		case ctx.Err() != nil:
			return
		default:
			n.log.Warn("lease renewal failed", "err", err)
		}
		if err := n.certain(n.clock.Now()); err != nil {
			n.depose(err)
			return
		}
	}
}

func (n *Node) renewed(sent time.Time, ttl int64) {
	n.mu.Lock()
	n.deadline = sent.Add(time.Duration(ttl)*time.Second - n.margin)
	n.mu.Unlock()
}

// certain reports an error once the lease may have ended by now.
func (n *Node) certain(now time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !now.Before(n.deadline) {
		return fmt.Errorf("the lease was not renewed in time (certain until %s)", n.deadline.Format(time.RFC3339Nano))
	}
	return nil
}

// depose records that the node may no longer lead; it is final.
func (n *Node) depose(why error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.why != nil {
		return
	}
	n.why = fmt.Errorf("%w: %w", ErrDeposed, why)
	was := n.role
	n.role = RoleDeposed
	close(n.deposed)
	n.m.role(RoleDeposed)
	n.log.Error("leadership lost or unavailable: nothing more is sent or written", "was", was, "why", why)
}

// Check reports whether the node may send a money-moving request now: it
// leads, and its lease is certain to last beyond the margin.
func (n *Node) Check() error {
	n.mu.Lock()
	role, why := n.role, n.why
	n.mu.Unlock()
	switch {
	case why != nil:
		return why
	case role != RoleLeader:
		return ErrNotLeader
	}
	if err := n.certain(n.clock.Now()); err != nil {
		return fmt.Errorf("%w: %w", ErrNotLeader, err)
	}
	return nil
}

// Lead keeps the books following the leader's and campaigns; it returns
// once this node leads with books proved current (the log applied to its
// head, the books checked), or with an error: ctx ended, the node was
// deposed, or its books cannot follow the log (it then does not lead).
func (n *Node) Lead(ctx context.Context) error {
	fctx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	followed := make(chan error, 1)
	go func() { followed <- n.follow(fctx) }()
	cctx, stopCampaign := context.WithCancel(ctx)
	defer stopCampaign()
	won := make(chan error, 1)
	go func() { won <- n.elect.Campaign(cctx, n.name) }()
	var err error
	select {
	case err = <-won:
		stopFollow()
		<-followed
	case err = <-followed:
		if err == nil {
			err = ctx.Err()
		}
		stopCampaign()
		<-won
	case <-n.deposed:
		stopCampaign()
		stopFollow()
		<-won
		<-followed
		err = n.why
	}
	if err != nil {
		return fmt.Errorf("ha: campaign: %w", err)
	}
	start := n.clock.Now()
	n.mu.Lock()
	n.key, n.rev = n.elect.Key(), n.elect.Rev()
	n.mu.Unlock()
	n.wg.Add(1)
	go n.watchKey(n.ctx, n.elect.Key(), n.elect.Rev())
	head, err := n.catchUp(ctx)
	if err == nil {
		_, err = n.store.Check(ctx)
	}
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.timeout)
		n.elect.Resign(rctx)
		cancel()
		return fmt.Errorf("%w: elected, but did not take over: %w", ErrBooks, err)
	}
	n.mu.Lock()
	if n.why != nil {
		n.mu.Unlock()
		return n.why
	}
	n.role = RoleLeader
	n.mu.Unlock()
	n.m.role(RoleLeader)
	n.log.Warn("leading: the books are the log's to its head", "entry", head, "took", n.clock.Since(start).Round(time.Millisecond))
	return nil
}

// watchKey deposes the leader as soon as etcd deletes its election key
// (its lease revoked or expired), without waiting for the next renewal.
func (n *Node) watchKey(ctx context.Context, key string, rev int64) {
	defer n.wg.Done()
	for resp := range n.client.Watch(ctx, key, clientv3.WithRev(rev)) {
		for _, ev := range resp.Events {
			if ev.Type == clientv3.EventTypeDelete {
				if n.Role() == RoleLeader {
					n.depose(errors.New("etcd deleted the election key (lease revoked or expired)"))
				}
				return
			}
		}
	}
}

// Hold runs while the node leads: it trims the log the standby has
// applied, and returns ErrDeposed once leadership is lost. When ctx ends
// (shutdown) it resigns, so the standby takes over at once, and returns
// nil.
func (n *Node) Hold(ctx context.Context) error {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			n.resign()
			return nil
		case <-n.deposed:
			return n.why
		case <-t.C:
			if err := n.trim(ctx); err != nil {
				n.log.Warn("trim the replicated log", "err", err)
			}
		}
	}
}

// resign gives leadership up: nothing is written or sent from here on.
func (n *Node) resign() {
	n.mu.Lock()
	if n.role == RoleLeader {
		n.role = RoleStandby
	}
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), n.timeout)
	defer cancel()
	if err := n.elect.Resign(ctx); err != nil {
		n.log.Warn("resign", "err", err)
		return
	}
	n.m.role(RoleStandby)
	n.log.Info("resigned leadership")
}

// Close stops renewing the lease and closes the etcd client; the lease
// then ends within its TTL (at once after a resign). The store refuses
// writes from then on.
func (n *Node) Close() error {
	n.store.SetReplicator(refuse{})
	if n.stop != nil {
		n.stop()
		n.wg.Wait()
	}
	if n.session != nil {
		n.session.Orphan()
	}
	return n.client.Close()
}

// refuse is the replicator of a closed node.
type refuse struct{}

func (refuse) Append(uint64, []byte) error { return ErrNotLeader }

// Status is what the node reports in /admin/status.
type Status struct {
	Node   string `json:"node"`
	Role   string `json:"role"`
	Leader string `json:"leader"`
	Log    string `json:"log"`
	Index  uint64 `json:"index"`
	// LeaseLeft is how long the lease is certain to last.
	LeaseLeft string `json:"lease_left"`
	Why       string `json:"deposed_because,omitempty"`
}

// Status reports the node's role, the current leader's name (asked of
// etcd, bounded by ctx) and where its books stand.
func (n *Node) Status(ctx context.Context) Status {
	n.mu.Lock()
	st := Status{Node: n.name, Role: n.role, Log: n.logID, Index: n.index,
		LeaseLeft: max(n.clock.Until(n.deadline), 0).Round(time.Millisecond).String()}
	if n.why != nil {
		st.Why = n.why.Error()
	}
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	if resp, err := n.elect.Leader(ctx); err == nil && len(resp.Kvs) > 0 {
		st.Leader = string(resp.Kvs[0].Value)
	}
	return st
}

// Role returns the node's role now.
func (n *Node) Role() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.role
}

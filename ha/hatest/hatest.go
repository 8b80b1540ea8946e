// Package hatest runs real etcd members in-process for tests of the
// engine's high availability (go.etcd.io/etcd/server/v3/embed), and a TCP
// proxy that cuts a node off from them. Only tests import it: the engine
// itself links the etcd client alone.
package hatest

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Cluster is a running etcd cluster.
type Cluster struct {
	Endpoints []string // client URLs, one per member
	members   []*embed.Etcd
}

// Start runs an etcd cluster of size members in-process, on loopback
// ports, with data in t's temporary directory; t's cleanup stops it.
// Fsync is off: the members share one disk and their durability is not
// what the tests are about.
func Start(t testing.TB, size int) *Cluster {
	t.Helper()
	peers, clients := freePorts(t, size), freePorts(t, size)
	var initial []string
	for i := range size {
		initial = append(initial, fmt.Sprintf("m%d=http://%s", i, peers[i]))
	}
	c := &Cluster{}
	dir := t.TempDir()
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := make([]error, size)
	for i := range size {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = filepath.Join(dir, cfg.Name)
		cfg.LogLevel = "error"
		cfg.LogOutputs = []string{"/dev/null"}
		cfg.UnsafeNoFsync = true
		cfg.TickMs, cfg.ElectionMs = 50, 500
		pu, cu := mustURL(t, "http://"+peers[i]), mustURL(t, "http://"+clients[i])
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "engine-test"
		cfg.AutoCompactionMode, cfg.AutoCompactionRetention = embed.CompactorModeRevision, "10000"
		c.Endpoints = append(c.Endpoints, cu.String())
		wg.Add(1)
		go func() { // members wait for each other to form the cluster
			defer wg.Done()
			e, err := embed.StartEtcd(cfg)
			if err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			c.members = append(c.members, e)
			mu.Unlock()
			select {
			case <-e.Server.ReadyNotify():
			case <-time.After(30 * time.Second):
				errs[i] = fmt.Errorf("member %d not ready after 30s", i)
			}
		}()
	}
	wg.Wait()
	t.Cleanup(c.Close)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Close stops every member.
func (c *Cluster) Close() {
	for _, e := range c.members {
		e.Close()
	}
	c.members = nil
}

func mustURL(t testing.TB, s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return *u
}

// freePorts returns n loopback addresses whose ports were free a moment
// ago.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// Proxy forwards TCP connections to a target until Cut.
type Proxy struct {
	URL string // http://host:port of the proxy
	ln  net.Listener

	mu    sync.Mutex // guards conns and cut
	conns []net.Conn
	cut   bool
}

// NewProxy forwards to target (host:port); t's cleanup closes it.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), ln: ln}
	go p.serve(target)
	t.Cleanup(func() { p.Cut(); ln.Close() })
	return p
}

func (p *Proxy) serve(target string) {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", target)
		if err != nil {
			p.mu.Unlock()
			in.Close()
			continue
		}
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		go func() { io.Copy(out, in); out.Close() }()
		go func() { io.Copy(in, out); in.Close() }()
	}
}

// Heal accepts connections again after Cut.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Cut drops every connection and refuses new ones: a partition.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

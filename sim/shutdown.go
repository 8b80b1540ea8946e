package sim

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// idleNew tracks a server's connections that have not sent a request
// yet. net/http's Shutdown counts such a connection as busy for its first
// 5 seconds (a client's pooled connection, dialled for a request that was
// then cancelled, stays so for ever), which made every Close of a
// simulator take 5 seconds. shutdown closes them itself: no request was
// started on them.
type idleNew struct {
	mu sync.Mutex // guards m
	m  map[net.Conn]bool
}

// track is the server's ConnState hook.
func (n *idleNew) track(c net.Conn, st http.ConnState) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[net.Conn]bool{}
	}
	if st == http.StateNew {
		n.m[c] = true
	} else {
		delete(n.m, c)
	}
}

func (n *idleNew) closeAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for c := range n.m {
		c.Close()
		delete(n.m, c)
	}
}

// shutdown shuts srv down gracefully within grace: requests in flight
// finish, connections that never sent one are closed at once.
func shutdown(srv *http.Server, conns *idleNew, grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		conns.closeAll()
		select {
		case err := <-done:
			return err
		case <-tick.C:
		}
	}
}

package daemon

import (
	"context"
	"fmt"
	"net/http"

	"github.com/otcdesk/engine/ha"
)

// joinPair starts this engine as one of an active/standby pair when [ha]
// enables it: it connects to etcd and brings the books to the replicated
// log's head. From here on every write to the books goes through the
// log, and is refused until this node leads. It is closed after
// everything that writes.
func (r *run) joinPair(ctx context.Context) error {
	d := r.d
	if !d.cfg.HA.Enabled {
		return nil
	}
	node, err := ha.Start(ctx, ha.Options{Settings: d.cfg.HA, Store: r.store, Logger: d.log, Registry: d.reg, Clock: d.o.Clock})
	if err != nil {
		return err
	}
	r.g.closer("ha", node.Close)
	r.ha = node
	d.mu.Lock()
	d.ha = node
	d.mu.Unlock()
	return nil
}

// lead waits, as standby (the books following the leader's, status and
// metrics served), until this node leads with books proved current;
// then every step after it runs as after a restart: recovery resolves
// what the old leader left unfinished by Client-Id lookup before anything
// new is sent. Losing leadership stops the engine (ha.ErrDeposed): its
// supervisor starts it again as standby.
func (r *run) lead(ctx context.Context) error {
	if r.ha == nil {
		return nil
	}
	r.d.log.Info("standby: campaigning for leadership; the books follow the leader's", "metrics", r.ls.metricsURL)
	if err := r.ha.Lead(ctx); err != nil {
		return fmt.Errorf("leadership: %w", err)
	}
	r.g.start("ha leader", r.ha.Hold)
	return nil
}

// fenced returns the HTTP client for the venue's REST API: with [ha], no
// request but a read leaves while this node cannot prove it leads.
func (r *run) fenced(base *http.Client) *http.Client {
	if r.ha == nil {
		return base
	}
	c := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()} // as the client's own
	if base != nil {
		*c = *base
	}
	c.Transport = r.ha.Fence(c.Transport)
	return c
}

// haStatus is the pair's status for /admin/status; nil without [ha].
func (d *Daemon) haStatus(ctx context.Context) *ha.Status {
	d.mu.Lock()
	node := d.ha
	d.mu.Unlock()
	if node == nil {
		return nil
	}
	st := node.Status(ctx)
	return &st
}

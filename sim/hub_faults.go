package sim

import (
	"net/http"
	"time"
)

// The hub's faults: connections dropped on demand, on a schedule
// (HubOptions.DropEvery) and during the venue's maintenance window
// (HubOptions.Maintenance).

// DropConnections closes every connection abruptly (no close message), as
// a network fault would, and returns how many it dropped.
func (h *Hub) DropConnections() int {
	h.mu.Lock()
	conns := make([]*hubServerConn, 0, len(h.conns))
	for _, c := range h.conns {
		conns = append(conns, c)
	}
	h.drops += len(conns)
	h.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	return len(conns)
}

// Drops returns how many connections the hub has dropped: on demand, on
// its schedule and for the maintenance window.
func (h *Hub) Drops() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.drops
}

// inMaintenance reports whether the venue's maintenance window is open.
func (h *Hub) inMaintenance() bool {
	return h.opts.Maintenance != nil && h.opts.Maintenance(h.v.Now())
}

// maintenanceError refuses a negotiate or WebSocket request during the
// window, as an unavailable service does.
func maintenanceError(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "60")
	http.Error(w, "scheduled maintenance", http.StatusServiceUnavailable)
}

// injectFaults drops every connection each DropEvery and, while the
// maintenance window is open, every PriceInterval.
func (h *Hub) injectFaults() {
	defer h.wg.Done()
	var drop, watch <-chan time.Time
	if h.opts.DropEvery > 0 {
		t := time.NewTicker(h.opts.DropEvery)
		defer t.Stop()
		drop = t.C
	}
	if h.opts.Maintenance != nil {
		t := time.NewTicker(h.opts.PriceInterval)
		defer t.Stop()
		watch = t.C
	}
	open := false
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-drop:
			if n := h.DropConnections(); n > 0 {
				h.log.Info("hub fault injection: dropped connections", "n", n)
			}
		case <-watch:
			now := h.inMaintenance()
			if now != open {
				h.log.Info("hub maintenance window", "open", now)
				open = now
			}
			if !now {
				continue
			}
			if n := h.DropConnections(); n > 0 {
				h.log.Info("hub maintenance: dropped connections", "n", n)
			}
		}
	}
}

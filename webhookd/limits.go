package webhookd

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"

	"github.com/otcdesk/engine/internal/refusals"
)

// Reasons the listener itself refuses a request for: the values it adds
// to the handlers' outcomes in engine_webhookd_refused_total.
const (
	reasonNotFound     = "not_found"
	reasonBusy         = "busy"
	reasonTLSHandshake = "tls_handshake"
)

// smallBody is the largest body that never queues behind larger ones. A
// webhook or a callback is a few KiB.
const smallBody = 64 << 10

// bodyBudget caps the request body bytes being read or held at once,
// across every route of the listener. A request reserves its
// Content-Length (the listener's body limit when it has none) before its
// handler may read a byte, and holds it until the handler returns, since
// the handlers keep the body in memory. A request that finds no room
// within wait is answered 503 with Retry-After: under a flood of large
// bodies, memory stays bounded and the rest wait their turn (in order of
// arrival) rather than all being read at once.
//
// Bodies over smallBody may together hold no more than the budget less
// its eighth (less, when the body limit leaves no such room), so a flood
// of large bodies queues apart and a small one (every legitimate webhook)
// still finds room at once.
type bodyBudget struct {
	all        *semaphore.Weighted // every reserved byte
	large      *semaphore.Weighted // the bytes of bodies over smallBody
	limit      int64               // the listener's body limit: the most one request reserves
	wait       time.Duration
	retryAfter string // seconds
	refused    *refusals.Log
	inflight   prometheus.Gauge
	waiting    prometheus.Gauge
}

func newBodyBudget(total, limit int64, wait time.Duration, refused *refusals.Log, m *metrics) *bodyBudget {
	smallShare := min(total/8, total-limit)
	return &bodyBudget{
		all:        semaphore.NewWeighted(total),
		large:      semaphore.NewWeighted(total - smallShare),
		limit:      limit,
		wait:       wait,
		retryAfter: strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))),
		refused:    refused,
		inflight:   m.inflight,
		waiting:    m.waiting,
	}
}

// wrap serves next within the budget. next sees a body that cannot yield
// more than was reserved: a body declared larger than the limit yields
// nothing (the handlers answer 413 without reading it).
func (b *bodyBudget) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := r.ContentLength
		switch {
		case n < 0: // unknown (chunked): as much as it may be
			n = b.limit
		case n > b.limit:
			n = 0
		}
		if n > 0 {
			b.waiting.Inc()
			ctx, cancel := context.WithTimeout(r.Context(), b.wait)
			err := b.acquire(ctx, n)
			cancel()
			b.waiting.Dec()
			if err != nil {
				b.refused.Refused(r, reasonBusy, nil)
				w.Header().Set("Retry-After", b.retryAfter)
				writeJSON(w, http.StatusServiceUnavailable, `{"error":"Busy; retry later"}`)
				return
			}
			b.inflight.Add(float64(n))
			defer func() {
				b.inflight.Add(-float64(n))
				b.release(n)
			}()
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

func (b *bodyBudget) acquire(ctx context.Context, n int64) error {
	if n <= smallBody {
		return b.all.Acquire(ctx, n)
	}
	if err := b.large.Acquire(ctx, n); err != nil {
		return err
	}
	if err := b.all.Acquire(ctx, n); err != nil {
		b.large.Release(n)
		return err
	}
	return nil
}

func (b *bodyBudget) release(n int64) {
	b.all.Release(n)
	if n > smallBody {
		b.large.Release(n)
	}
}

// closeRefused makes the server close the connection after any answer of
// 400 or more: a sender of refused requests must connect again for each
// one, and so queues behind the connection limit with everyone else,
// instead of holding a connection and a slot for as long as it likes.
func closeRefused(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&closingWriter{ResponseWriter: w}, r)
	})
}

type closingWriter struct{ http.ResponseWriter }

func (w *closingWriter) WriteHeader(code int) {
	if code >= http.StatusBadRequest {
		w.Header().Set("Connection", "close")
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *closingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

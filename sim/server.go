package sim

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// Server serves a Venue over the Hercle REST API on loopback, with the
// faults of Options.Faults. Create it with Start; it is safe for
// concurrent use.
type Server struct {
	venue *Venue
	hub   *Hub
	lnurl *lnurlService
	opts  Options
	key   string
	url   string
	srv   *http.Server
	conns idleNew       // connections that sent no request yet
	done  chan struct{} // closed when Serve returns
	stop  context.CancelFunc

	webhooks *WebhookEmitter // nil without Options.Webhooks.URL

	faultMu  sync.Mutex // guards faultRng
	faultRng *mrand.Rand

	closeOnce sync.Once
	closeErr  error
}

// Start listens on opts.Addr (loopback only) and serves a new Venue until
// ctx ends or Close is called.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := checkLoopback(opts.Addr); err != nil {
		return nil, err
	}
	lnurl, err := newLNURLService(opts)
	if err != nil {
		return nil, err
	}
	key := opts.APIKey
	if key == "" {
		b := make([]byte, 24)
		rand.Read(b)
		key = "sim_" + hex.EncodeToString(b)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("sim: listen %s: %w", opts.Addr, err)
	}
	s := &Server{
		venue:    NewVenue(opts),
		lnurl:    lnurl,
		opts:     opts,
		key:      key,
		url:      "http://" + ln.Addr().String(),
		done:     make(chan struct{}),
		faultRng: mrand.New(mrand.NewPCG(opts.Seed, 0xfa017)),
	}
	ctx, s.stop = context.WithCancel(ctx)
	// The hub sits beside the REST stack, outside its faults: it has its
	// own (DropEvery) and authenticates its negotiate and WebSocket itself.
	// So do the control endpoints (control.go).
	outer := http.NewServeMux()
	outer.Handle("/", s.handler())
	lnurl.mount(outer)
	s.controlRoutes(outer)
	hopts := opts.Hub
	hopts.APIKey = key
	if hopts.Maintenance == nil {
		hopts.Maintenance = opts.Maintenance
	}
	if hopts.Logger == nil {
		hopts.Logger = opts.Logger
	}
	if s.hub, err = MountHub(ctx, outer, s.venue, hopts); err != nil {
		s.stop()
		ln.Close()
		return nil, err
	}
	if s.webhooks, err = startWebhooks(ctx, s.venue, opts); err != nil {
		s.hub.Close()
		s.stop()
		ln.Close()
		return nil, err
	}
	s.srv = &http.Server{Handler: outer, ReadHeaderTimeout: 10 * time.Second, ConnState: s.conns.track}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// handler is the whole HTTP stack: faults, authentication, routes.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	(&api{v: s.venue}).routes(mux, s.endpoint)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, s.opts.FlatErrors, apiError{http.StatusNotFound, "not_found", "invalid_request_error", "NOT_FOUND",
			"no such endpoint", ""})
	})
	return s.faults(s.auth(mux))
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("sim: address %q: %w", addr, err)
	}
	if venuehttp.IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("sim: address %q is not loopback; the simulator listens on this machine only", addr)
}

// URL returns the base URL, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// Transport returns an http.RoundTripper that sends every request to this
// simulator over plain http, whatever host it names, keeping that host in
// the Host header. In paper mode a Lightning Address on any domain
// ("treasury@wallet.example") is thus served by the simulator's
// LNURL-pay endpoints, whose callbacks name the same host.
func (s *Server) Transport() http.RoundTripper {
	base := http.DefaultTransport.(*http.Transport).Clone()
	target, _ := url.Parse(s.url)
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		r := req.Clone(req.Context())
		r.Host = req.URL.Host
		r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
		return base.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// APIKey returns the Bearer token the server accepts.
func (s *Server) APIKey() string { return s.key }

// Venue returns the simulated venue, for test hooks and event
// subscriptions.
func (s *Server) Venue() *Venue { return s.venue }

// LightningNode returns the public key (compressed, hex) of the node
// that signs the LNURL-pay service's invoices. It depends only on
// Options.Seed.
func (s *Server) LightningNode() string { return s.lnurl.node() }

// Hub returns the SignalR hub served at URL()+HubPath.
func (s *Server) Hub() *Hub { return s.hub }

// Close stops accepting connections, lets requests in flight finish (for
// at most five seconds) and returns when the server has stopped.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.webhooks.Close()
		// Hijacked WebSockets are not tracked by Shutdown: close the hub first.
		s.hub.Close()
		if err := shutdown(s.srv, &s.conns, 5*time.Second); err != nil {
			s.closeErr = errors.Join(err, s.srv.Close())
		}
		<-s.done
		s.stop()
	})
	return s.closeErr
}

// fault is what the server does to one request.
type fault int

const (
	faultNone fault = iota
	faultRateLimited
	faultReset
	faultErrorAfterApply
)

func (s *Server) draw() fault {
	f := s.opts.Faults
	if f.RateLimited+f.ResetBeforeRead+f.ErrorAfterApply <= 0 {
		return faultNone
	}
	s.faultMu.Lock()
	u := s.faultRng.Float64()
	s.faultMu.Unlock()
	switch {
	case u < f.RateLimited:
		return faultRateLimited
	case u < f.RateLimited+f.ResetBeforeRead:
		return faultReset
	case u < f.RateLimited+f.ResetBeforeRead+f.ErrorAfterApply:
		return faultErrorAfterApply
	}
	return faultNone
}

type faultKey struct{}

// faults adds latency, maintenance and the drawn fault around next.
func (s *Server) faults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.opts.Faults.Latency; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		f := s.draw()
		switch f {
		case faultReset:
			resetConn(w)
			return
		case faultRateLimited:
			secs := int((s.opts.Faults.RetryAfter + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, s.opts.FlatErrors, apiError{http.StatusTooManyRequests, "rate_limit_exceeded", "rate_limit_error",
				"RATE_LIMIT_EXCEEDED", "Too many requests", ""})
			return
		}
		if s.opts.Maintenance != nil && s.opts.Maintenance(s.venue.Now()) {
			writeError(w, s.opts.FlatErrors, apiError{http.StatusServiceUnavailable, "service_unavailable", "api_error",
				"SERVICE_UNAVAILABLE", "scheduled maintenance", ""})
			return
		}
		if f == faultErrorAfterApply {
			r = r.WithContext(context.WithValue(r.Context(), faultKey{}, f))
		}
		next.ServeHTTP(w, r)
	})
}

// resetConn closes the connection with a TCP reset before the request body
// is read, so nothing is applied and the client sees a broken connection.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// auth refuses a request without the Bearer key.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		switch {
		case h == "" || (ok && token == ""):
			writeError(w, s.opts.FlatErrors, apiError{http.StatusUnauthorized, "authentication_required", "authentication_error",
				"UNAUTHORIZED", "No API key provided", ""})
		case !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.key)) != 1:
			writeError(w, s.opts.FlatErrors, apiError{http.StatusUnauthorized, "invalid_api_key", "authentication_error",
				"UNAUTHORIZED", "Invalid API key provided", ""})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// endpoint adapts an endpoint to an http.Handler. Under the
// error-after-apply fault the endpoint runs (and applies) and its answer
// is replaced by a 500.
func (s *Server) endpoint(e endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, body, err := e(r)
		if r.Context().Value(faultKey{}) == faultErrorAfterApply {
			writeError(w, s.opts.FlatErrors, apiError{http.StatusInternalServerError, "internal_error", "api_error",
				"GENERIC_ERROR", "internal error", ""})
			return
		}
		if err != nil {
			ae := toAPIError(err)
			if ae.status == http.StatusInternalServerError {
				s.opts.Logger.Error("sim: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, s.opts.FlatErrors, ae)
			return
		}
		writeJSON(w, status, body)
	})
}

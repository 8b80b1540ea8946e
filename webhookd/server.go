package webhookd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/netutil"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/internal/refusals"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// DefaultShutdownTimeout bounds Close: how long requests in flight may take
// to finish storing their event once the server stops accepting.
const DefaultShutdownTimeout = 15 * time.Second

// Timeouts of the HTTP server. A webhook is a small POST answered after one
// durable write (bounded by webhook.DefaultStoreTimeout).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// certWarnBefore is how long before its expiry a certificate is
	// reported at Start.
	certWarnBefore = 14 * 24 * time.Hour
)

// ErrDisabled is returned by Start when the section has enabled = false.
var ErrDisabled = errors.New("webhookd: the webhook endpoint is disabled (webhook.enabled = false)")

// Server is the running webhook endpoint. Create it with Start. It is safe
// for concurrent use.
type Server struct {
	url    string
	mux    *http.ServeMux
	addr   net.Addr
	keys   []string // fingerprints of the trusted keys
	tls    bool
	srv    *http.Server
	log    *slog.Logger
	budget *bodyBudget
	stop   context.CancelFunc // ends the goroutine watching Start's ctx
	served chan struct{}      // closed when Serve has returned
	done   chan struct{}      // closed when the server has stopped: shut down, or Serve failed
	doneMu sync.Once          // closes done

	stopRefused  context.CancelFunc // ends the refusal log's Run, which writes its last summary
	refusedEnded chan struct{}      // closed when that Run has returned

	serveErr error // set before served is closed: why Serve returned, if not by a shutdown

	closeOnce sync.Once
	closeErr  error
}

// Start loads the public keys (and, with tls_cert and tls_key, the
// certificate), listens on cfg.Addr and serves hercle's WebhookHandler at
// cfg.Path, storing each verified webhook in inbox before answering 200.
// Zero fields take their defaults (Config.WithDefaults). logger
// receives the handler's and the server's lines (nil discards); reg
// receives the handler's and the listener's metrics (nil registers none).
//
// What a request may cost is bounded: at most cfg.MaxConnections
// connections are open at once (more wait in the accept queue); bodies
// are read only within cfg.MaxInflightBytes, all requests together (one
// that finds no room within cfg.InflightWait gets 503 with Retry-After);
// an answer of 400 or more closes its connection. Refused requests, on
// every route and in the TLS handshake, are counted in
// engine_webhookd_refused_total{reason} and logged in aggregate, one
// summary every cfg.RefusalLogEvery with the first few in detail.
//
// It serves until ctx ends or Close or Shutdown is called. Requests do not
// inherit ctx: ending it shuts down gracefully, letting requests in flight
// finish their store.
//
// Errors name the setting and the file at fault: ErrDisabled; a
// configuration problem (*tomlval.Error); a public key file that cannot be
// read or holds no usable RSA public key (wrapping webhook.ErrKey
// for the latter); a certificate or private key file that cannot be read,
// does not parse, does not match, or a certificate that is expired or not
// yet valid; a listen failure. Nothing is listening after an error.
func Start(ctx context.Context, cfg Config, inbox webhook.Inbox, logger *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	if !cfg.Enabled {
		return nil, ErrDisabled
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webhookd: %w", err)
	}
	if inbox == nil {
		return nil, errors.New("webhookd: no inbox to store webhooks in")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.PublicKeys) == 0 {
		return nil, errors.New("webhookd: webhook.public_keys is empty: list the PEM file(s) of the key webhooks are signed with")
	}
	keys, err := webhook.LoadKeys(cfg.PublicKeys...)
	if err != nil {
		return nil, fmt.Errorf("webhookd: webhook.public_keys: %w", err)
	}
	tlsConfig, err := serverTLS(cfg, logger)
	if err != nil {
		return nil, err
	}
	m := newMetrics()
	refused := refusals.New(refusals.Options{Subject: "webhook request", Logger: logger,
		Every: cfg.RefusalLogEvery.Duration, Counter: m.refused})
	budget := newBodyBudget(cfg.MaxInflightBytes, cfg.BodyLimit, cfg.InflightWait.Duration, refused, m)
	mux, err := newMux(cfg, webhook.Config{Keys: keys, Tolerance: cfg.MaxSkew.Duration, MaxBody: cfg.BodyLimit,
		Inbox: inbox, Logger: logger, Refusals: refused, Metrics: reg}, budget, refused)
	if err != nil {
		return nil, err
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("webhookd: webhook.addr: listen on %s: %w", cfg.Addr, err)
	}
	if err := m.register(reg); err != nil {
		ln.Close()
		return nil, fmt.Errorf("webhookd: metrics: %w", err)
	}
	s := &Server{
		mux:          mux,
		addr:         ln.Addr(),
		tls:          tlsConfig != nil,
		log:          logger,
		budget:       budget,
		served:       make(chan struct{}),
		done:         make(chan struct{}),
		refusedEnded: make(chan struct{}),
		srv: &http.Server{
			Handler:           closeRefused(mux),
			TLSConfig:         tlsConfig,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ConnState:         m.connState,
			ErrorLog:          log.New(serverLog{log: logger, refused: refused}, "", 0),
		},
	}
	for _, k := range keys {
		s.keys = append(s.keys, k.ID)
	}
	s.url = endpointURL(s.tls, ln.Addr(), cfg.Path)
	ln = netutil.LimitListener(ln, cfg.MaxConnections)

	s.run(ctx, ln, refused)
	logger.Info("webhook endpoint listening", "url", s.url, "tls", s.tls, "keys", strings.Join(s.keys, ","),
		"max_skew", cfg.MaxSkew.Duration, "body_limit", cfg.BodyLimit, "max_connections", cfg.MaxConnections,
		"max_inflight_bytes", cfg.MaxInflightBytes, "refusal_log_every", cfg.RefusalLogEvery.Duration)
	if !s.tls && !isLoopbackAddr(ln.Addr()) {
		logger.Warn("webhook endpoint serves plain HTTP on a non-loopback address; configure webhook.tls_cert and webhook.tls_key, or put a TLS-terminating proxy in front",
			"addr", s.addr.String())
	}
	return s, nil
}

// newMux routes cfg.Path to the webhook handler, within the body budget,
// and everything else to a counted 404.
func newMux(cfg Config, hc webhook.Config, budget *bodyBudget, refused *refusals.Log) (*http.ServeMux, error) {
	h, err := webhook.NewHandler(hc)
	if err != nil {
		return nil, fmt.Errorf("webhookd: %w", err)
	}
	mux := http.NewServeMux()
	pattern := cfg.Path
	if pattern == "/" {
		pattern = "/{$}"
	}
	mux.Handle(pattern, budget.wrap(h))
	mux.Handle("/", notFound(refused))
	return mux, nil
}

// serverTLS loads the certificate when cfg has one (nil, nil without),
// warning when it expires soon; the reloader picks up renewed files.
func serverTLS(cfg Config, logger *slog.Logger) (*tls.Config, error) {
	if !cfg.TLS() {
		return nil, nil
	}
	certs, err := newCertReloader(cfg.TLSCert, cfg.TLSKey, logger)
	if err != nil {
		return nil, fmt.Errorf("webhookd: %w", err)
	}
	if leaf := certs.leaf(); certs.clock.Until(leaf.NotAfter) < certWarnBefore {
		logger.Warn("webhook endpoint: TLS certificate expires soon; renew it (the new files are picked up without a restart)",
			"file", cfg.TLSCert, "not_after", leaf.NotAfter)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get}, nil
}

// run starts the server's goroutines: the refusal log's summaries, Serve
// on ln, and the watch that closes the server when ctx ends.
func (s *Server) run(ctx context.Context, ln net.Listener, refused *refusals.Log) {
	var refusedCtx context.Context
	refusedCtx, s.stopRefused = context.WithCancel(context.Background())
	go func() {
		defer close(s.refusedEnded)
		refused.Run(refusedCtx, func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		})
	}()
	watch, stop := context.WithCancel(ctx)
	s.stop = stop
	go func() {
		defer close(s.served)
		var err error
		if s.tls {
			err = s.srv.ServeTLS(ln, "", "")
		} else {
			err = s.srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
			s.log.Error("webhook endpoint stopped serving", "addr", s.addr.String(), "err", err)
			s.finish()
		}
	}()
	go func() {
		select {
		case <-watch.Done():
			if ctx.Err() != nil {
				s.Close()
			}
		case <-s.done:
		}
	}()
}

// Handle serves h at path beside the Hercle webhooks, with the same
// listener, TLS, timeouts and limits (h reads bodies only within
// webhook.max_inflight_bytes, and no more than webhook.body_limit of
// one): the daemon mounts the Heropayments callbacks here. h must verify
// its requests itself, and should report its refusals to an aggregating
// log of its own rather than log a line each.
func (s *Server) Handle(path string, h http.Handler) (err error) {
	if path == "" || path[0] != '/' {
		return fmt.Errorf("webhookd: path %q must start with /", path)
	}
	defer func() {
		if r := recover(); r != nil { // ServeMux panics on a conflicting pattern
			err = fmt.Errorf("webhookd: serve %s: %v", path, r)
		}
	}()
	s.mux.Handle(path, s.budget.wrap(h))
	return nil
}

// BaseURL returns the scheme and address the endpoint listens on, without
// the webhook path.
func (s *Server) BaseURL() string { return endpointURL(s.tls, s.addr, "") }

// URL returns the endpoint as reached from this machine, such as
// https://127.0.0.1:8780/webhooks/hercle (an unspecified listen address is
// shown as loopback).
func (s *Server) URL() string { return s.url }

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// KeyIDs returns the fingerprints of the trusted public keys.
func (s *Server) KeyIDs() []string { return append([]string(nil), s.keys...) }

// Done is closed when the server has stopped: after a shutdown has
// finished (requests in flight answered or cut off), or when its listener
// failed (Err says why).
func (s *Server) Done() <-chan struct{} { return s.done }

// Err returns why the server stopped on its own (its listener failed), or
// nil while it serves and after a shutdown.
func (s *Server) Err() error {
	select {
	case <-s.served:
		return s.serveErr
	default:
		return nil
	}
}

// Shutdown stops accepting connections and waits for requests in flight to
// finish (their events stored and answered) until ctx ends; then it closes
// the connections left, whose requests get no answer and are sent again
// by Hercle. It returns ctx's error in that case. Later calls return the
// first result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		err := s.srv.Shutdown(ctx)
		if err != nil {
			err = errors.Join(err, s.srv.Close())
		}
		<-s.served
		s.stop()
		s.finish()
		if err != nil {
			s.closeErr = fmt.Errorf("webhookd: shutdown: %w", err)
			s.log.Warn("webhook endpoint: requests still in flight at the shutdown deadline were cut off", "err", err)
		} else {
			s.log.Info("webhook endpoint stopped", "url", s.url)
		}
	})
	return s.closeErr
}

// Close is Shutdown with DefaultShutdownTimeout.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultShutdownTimeout)
	defer cancel()
	return s.Shutdown(ctx)
}

// finish writes the last summary of refusals and marks the server done.
func (s *Server) finish() {
	s.stopRefused()
	<-s.refusedEnded
	s.doneMu.Do(func() { close(s.done) })
}

// notFound answers every path but the routes', in the handler's JSON form.
func notFound(refused *refusals.Log) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refused.Refused(r, reasonNotFound, nil)
		writeJSON(w, http.StatusNotFound, `{"error":"Not found"}`)
	})
}

// writeJSON answers in the handler's JSON form.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func endpointURL(tls bool, addr net.Addr, path string) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // "tcp" listens on both families when unspecified
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: path}
	if tls {
		u.Scheme = "https"
	}
	return u.String()
}

func isLoopbackAddr(a net.Addr) bool {
	host, _, err := net.SplitHostPort(a.String())
	return err == nil && venuehttp.IsLoopback(host)
}

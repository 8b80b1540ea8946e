package daemon

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/otcdesk/engine/ha"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/internal/refusals"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/trader"
)

// listeners are the daemon's HTTP servers.
type listeners struct {
	servers    []*http.Server
	done       []chan struct{}
	metricsURL string
	adminURL   string
	refusals   *refusals.Log // the admin listener's, nil without one
}

// listen binds the metrics and admin listeners. A port already taken is an
// error at start-up, not a silent lack of monitoring.
func (d *Daemon) listen(ctx context.Context) (*listeners, error) {
	ls := &listeners{}
	if addr := d.cfg.Metrics.Addr; addr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{Registry: d.reg}))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})
		mux.HandleFunc("GET /readyz", d.readyz)
		url, err := ls.serve(ctx, "metrics", addr, mux)
		if err != nil {
			ls.close(d.log)
			return nil, err
		}
		ls.metricsURL = url
	}
	if addr := d.cfg.Admin.Addr; addr != "" {
		if !d.secrets.AdminToken.IsSet() {
			d.log.Warn("admin endpoints disabled: set ADMIN_TOKEN (or ADMIN_TOKEN_FILE) to enable them", "addr", addr)
			return ls, nil
		}
		d.auth = &adminAuth{token: []byte(d.secrets.AdminToken.Reveal()), clock: d.o.Clock, refused: refusals.New(refusals.Options{
			Subject: "admin request", Logger: d.log, Counter: d.m.adminRefused,
		})}
		ls.refusals = d.auth.refused
		mux := http.NewServeMux()
		mux.HandleFunc("GET /admin/status", d.admin("status", d.status))
		mux.HandleFunc("GET /admin/journal", d.admin("journal", d.journal))
		mux.HandleFunc("GET /admin/backup", d.backup)
		mux.HandleFunc("GET /admin/portfolio", d.admin("portfolio", d.portfolioView))
		mux.HandleFunc("GET /admin/pnl", d.admin("pnl", d.pnlView))
		mux.HandleFunc("POST /admin/pause", d.admin("pause", d.pause))
		mux.HandleFunc("POST /admin/resume", d.admin("resume", d.resume))
		mux.HandleFunc("POST /admin/kill", d.admin("kill", d.killSwitch))
		d.customerRoutes(mux)
		d.operatorRoutes(mux)
		tlsConfig, err := adminTLS(d.cfg.Admin.TLSCert, d.cfg.Admin.TLSKey)
		if err != nil {
			ls.close(d.log)
			return nil, err
		}
		con, err := d.consoleHandler(tlsConfig != nil)
		if err != nil {
			ls.close(d.log)
			return nil, err
		}
		mux.Handle("/console/", con)
		url, err := ls.serveTLS(ctx, "admin", addr, mux, tlsConfig)
		if err != nil {
			ls.close(d.log)
			return nil, err
		}
		ls.adminURL = url
	}
	return ls, nil
}

func (ls *listeners) serve(ctx context.Context, name, addr string, h http.Handler) (string, error) {
	return ls.serveTLS(ctx, name, addr, h, nil)
}

// serveTLS serves h on addr, over TLS when tlsConfig is set.
func (ls *listeners) serveTLS(ctx context.Context, name, addr string, h http.Handler, tlsConfig *tls.Config) (string, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s listener: %w", name, err)
	}
	scheme := "http://"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https://"
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	ls.servers = append(ls.servers, srv)
	ls.done = append(ls.done, done)
	return scheme + ln.Addr().String(), nil
}

func (ls *listeners) close(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, srv := range ls.servers {
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("listener shutdown", "err", err)
			srv.Close()
		}
		<-ls.done[i]
	}
}

// adminTLS loads the admin listener's certificate; nil, nil without one.
func adminTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("admin.tls_cert / admin.tls_key: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// readyz is 200 when the engine trades on live prices: recovery done, the
// loop running, the feed connected, no subscribed pair stale, and no
// pair's prices stamped by the venue so far behind their arrival that risk
// (which ages a price from the earlier of the two) refuses them all.
// During a maintenance window a lost feed is expected and does not fail
// readiness.
func (d *Daemon) readyz(w http.ResponseWriter, _ *http.Request) {
	var reasons []string
	d.mu.Lock()
	trading, hc, source, pairs := d.trading, d.hub, d.source, d.feedPairs
	d.mu.Unlock()
	maintenance := !d.gate.Open(d.o.Clock.Now())
	if !trading {
		reasons = append(reasons, "not trading yet (start-up or shutdown)")
	}
	if st := d.haStatus(context.Background()); st != nil && st.Role != ha.RoleLeader {
		reasons = append(reasons, fmt.Sprintf("%s: node %s follows leader %q (books at entry %d)", st.Role, st.Node, st.Leader, st.Index))
	}
	if err, since := d.health.state(); err != nil {
		reasons = append(reasons, fmt.Sprintf("ledger writes failing since %s, trading paused: %v", since.UTC().Format(time.RFC3339), err))
	}
	if hc != nil && !maintenance {
		if st := hc.State().Status; st != hub.Connected {
			reasons = append(reasons, "price feed "+st.String())
		}
	}
	if source != nil && !maintenance {
		if stale := source.View().StalePairs(); len(stale) > 0 {
			reasons = append(reasons, "stale: "+strings.Join(stale, ","))
		}
		maxAge := d.cfg.Risk.MaxPriceAge.Duration
		for _, p := range pairs {
			t, ok := source.View().Last(p)
			if !ok || t.Time.IsZero() || t.Received.IsZero() {
				continue
			}
			if lag := t.Received.Sub(t.Time); lag > maxAge {
				reasons = append(reasons, fmt.Sprintf("%s: the venue stamps prices %s before they arrive, beyond max_price_age %s (clock skew?)",
					p, lag.Round(time.Millisecond), maxAge))
			}
		}
	}
	code := http.StatusOK
	if len(reasons) > 0 {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"ready": code == http.StatusOK, "maintenance": maintenance, "reasons": reasons})
}

// admin guards an action with the bearer token (failed attempts
// throttled per client) and counts it. A request that changes something
// (any method but GET) is recorded in the ledger's audit trail, refused
// or not: who (the token's name), the verb, its target and request, and
// how it ended.
func (d *Daemon) admin(action string, h func(*http.Request) (int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if code, why := d.auth.check(r); code != 0 {
			d.m.admin.WithLabelValues(action, fmt.Sprint(code)).Inc()
			if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", "Bearer")
			} else {
				w.Header().Set("Retry-After", fmt.Sprint(int(blockFor.Seconds())))
			}
			writeJSON(w, code, map[string]string{"error": why})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		var code int
		var body any
		if r.Method == http.MethodGet {
			code, body = h(r)
		} else {
			code, body = d.audited(r, action, h)
		}
		d.m.admin.WithLabelValues(action, fmt.Sprint(code)).Inc()
		writeJSON(w, code, body)
	}
}

// Status is what GET /admin/status returns.
type Status struct {
	Mode    string    `json:"mode"`
	Started time.Time `json:"started"`
	// State is "starting", "standby" or "deposed" (with [ha]), "trading",
	// "paused" (an operator's pause, or
	// reconciliation breaks, or ledger writes failing: PauseReason says
	// which), "killed" (the kill switch, which survives a restart) or
	// "breaker" (the reject-rate breaker tripped).
	State       string           `json:"state"`
	Trading     bool             `json:"trading"`
	Paused      bool             `json:"paused"`
	PauseReason string           `json:"pause_reason,omitempty"`
	Killed      bool             `json:"killed"`
	KillReason  string           `json:"kill_reason,omitempty"`
	BreakerOpen bool             `json:"breaker_open"`
	Maintenance bool             `json:"maintenance"`
	NextChange  time.Time        `json:"maintenance_next_change"`
	Hub         string           `json:"hub"`
	HubSince    time.Time        `json:"hub_since"`
	Reconnects  int              `json:"hub_reconnects"`
	Stale       []string         `json:"stale_pairs"`
	Prices      map[string]Price `json:"prices"`
	Balances    []Balance        `json:"ledger_balances"`
	// RiskBalances are the balances the loop checks intents against: the
	// ledger's venue balances, available less the holds of open intents.
	RiskBalances []RiskBalance `json:"risk_balances"`
	OpenIntents  int           `json:"open_intents"`
	// HA is this node's part in an active/standby pair; absent without
	// [ha].
	HA *ha.Status `json:"ha,omitempty"`
}

// RiskBalance is one venue balance as risk sees it, in Status.
type RiskBalance struct {
	Venue     string `json:"venue"`
	Asset     string `json:"asset"`
	Total     string `json:"total"`
	Available string `json:"available"`
}

// Price is a pair's last tick in Status.
type Price struct {
	Buy  string `json:"buy"`
	Sell string `json:"sell"`
	Age  string `json:"age"`
}

// Balance is one ledger balance in Status.
type Balance struct {
	Account string `json:"account"`
	Asset   string `json:"asset"`
	Amount  string `json:"amount"`
}

func (d *Daemon) status(r *http.Request) (int, any) {
	st, code, err := d.readStatus(r.Context())
	if err != nil {
		return code, map[string]string{"error": err.Error()}
	}
	return http.StatusOK, st
}

// readStatus is the engine's state now, as GET /admin/status and the
// summary line tell it; on error, the HTTP status that error is.
func (d *Daemon) readStatus(ctx context.Context) (Status, int, error) {
	now := d.o.Clock.Now()
	d.mu.Lock()
	st := Status{Mode: d.cfg.Mode, Started: d.started, Trading: d.trading, Prices: map[string]Price{}}
	hub, source, rk, store, loop, pairs, trading := d.hub, d.source, d.risk, d.store, d.loop, d.feedPairs, d.trading
	d.mu.Unlock()
	st.Maintenance = !d.gate.Open(now)
	st.NextChange = d.gate.NextChange(now)
	st.HA = d.haStatus(ctx)
	st.State = "starting"
	if st.HA != nil && !st.Trading && st.HA.Role != "" && st.HA.Role != ha.RoleLeader {
		st.State = st.HA.Role // standby or deposed: the books follow the leader's
	}
	if rk != nil {
		d.stopState(&st, rk, now)
	}
	if hub != nil {
		hs := hub.State()
		st.Hub, st.HubSince, st.Reconnects = hs.Status.String(), hs.Since, hs.Reconnects
	}
	if source != nil {
		v := source.View()
		st.Stale = v.StalePairs()
		for _, p := range pairs {
			if t, ok := v.Last(p); ok {
				age, _ := v.Age(p)
				st.Prices[p] = Price{Buy: t.BuyPrice.String(), Sell: t.SellPrice.String(), Age: age.Round(time.Millisecond).String()}
			}
		}
	}
	if loop != nil && trading {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		snap, err := loop.Snapshot(lctx)
		cancel()
		if err != nil {
			return Status{}, http.StatusServiceUnavailable, fmt.Errorf("the event loop did not answer: %w", err)
		}
		st.RiskBalances, st.OpenIntents = riskBalances(snap), snap.Open
	}
	if store != nil {
		bs, err := store.Balances(ctx)
		if err != nil {
			return Status{}, http.StatusInternalServerError, fmt.Errorf("ledger balances: %w", err)
		}
		for _, b := range bs {
			st.Balances = append(st.Balances, Balance{Account: b.Account.String(), Asset: string(b.Asset), Amount: b.Amount.String()})
		}
	}
	return st, http.StatusOK, nil
}

// stopState fills in whether and why trading is stopped. The kill switch
// is what its file says (it persists); any other stop of risk's is a
// pause.
func (d *Daemon) stopState(st *Status, rk *risk.Engine, now time.Time) {
	stopped, why := rk.Killed()
	fileReason, inFile, err := d.kill.Read()
	switch {
	case inFile || err == nil && stopped && strings.HasPrefix(why, killPrefix):
		st.Killed, st.KillReason = true, strings.TrimPrefix(why, killPrefix)
		if inFile {
			st.KillReason = fileReason
		}
	case stopped:
		st.Paused, st.PauseReason = true, why
	}
	st.BreakerOpen = rk.BreakerOpen(now)
	switch {
	case !st.Trading:
		// starting, or a standby's role, as status set it
	case st.Killed:
		st.State = "killed"
	case st.Paused:
		st.State = "paused"
	case st.BreakerOpen:
		st.State = "breaker"
	default:
		st.State = "trading"
	}
}

// killPrefix starts the risk stop reason of the kill switch; pausePrefix
// an operator's pause.
const (
	killPrefix  = "kill switch: "
	pausePrefix = "paused: "
)

// journal returns the newest journal entries, oldest first: ?limit= (at
// most 1000, default 100), ?kind= and ?account= narrow them.
func (d *Daemon) journal(r *http.Request) (int, any) {
	d.mu.Lock()
	store := d.store
	d.mu.Unlock()
	if store == nil {
		return http.StatusServiceUnavailable, map[string]string{"error": "starting up"}
	}
	q := r.URL.Query()
	limit := 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return http.StatusBadRequest, map[string]string{"error": "limit: want 1 to 1000"}
		}
		limit = n
	}
	// The last entries, read from the newest back (a page view costs the
	// entries it shows, not the journal), answered oldest first.
	f := ledger.Filter{Kind: ledger.Kind(q.Get("kind")), Account: q.Get("account"), Newest: true, Limit: limit}
	out, err := store.Entries(r.Context(), f)
	if err != nil {
		return http.StatusInternalServerError, map[string]string{"error": "journal: " + err.Error()}
	}
	slices.Reverse(out)
	return http.StatusOK, out
}

// riskBalances lists a loop snapshot's balances, sorted.
func riskBalances(s trader.Snapshot) []RiskBalance {
	var out []RiskBalance
	for v, assets := range s.Balances {
		for a, b := range assets {
			out = append(out, RiskBalance{Venue: string(v), Asset: string(a), Total: b.Total.String(), Available: b.Available.String()})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Venue < out[j].Venue || out[i].Venue == out[j].Venue && out[i].Asset < out[j].Asset
	})
	return out
}

// actionBody is the optional JSON body of pause, kill and resume.
type actionBody struct {
	Reason string `json:"reason"`
}

// readReason reads the optional body {"reason": "..."}, strictly as every
// admin body is read; def without one.
func readReason(r *http.Request, def string) (string, error) {
	var b actionBody
	if r.ContentLength != 0 {
		if err := decodeBody(r, &b); err != nil {
			return "", fmt.Errorf("%w (want {\"reason\": \"...\"} or no body)", err)
		}
	}
	if b.Reason == "" {
		return def, nil
	}
	if len(b.Reason) > 200 {
		return "", errors.New("reason: at most 200 characters")
	}
	return b.Reason, nil
}

// riskOrNil returns the risk engine, nil before start-up made it.
func (d *Daemon) riskOrNil() *risk.Engine {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.risk
}

// pause stops new intents until resume; it does not survive a restart.
func (d *Daemon) pause(r *http.Request) (int, any) {
	reason, err := readReason(r, "paused by operator")
	if err != nil {
		return http.StatusBadRequest, map[string]string{"error": err.Error()}
	}
	rk := d.riskOrNil()
	if rk == nil {
		return http.StatusServiceUnavailable, map[string]string{"error": "starting up"}
	}
	rk.Kill(pausePrefix + reason + " (by " + d.who() + ")")
	d.log.Warn("trading paused by admin", "reason", reason, "by", d.who())
	return http.StatusOK, map[string]string{"state": "paused", "reason": reason}
}

// killSwitch stops new intents and stays on across restarts until resume.
func (d *Daemon) killSwitch(r *http.Request) (int, any) {
	reason, err := readReason(r, "kill switch")
	if err != nil {
		return http.StatusBadRequest, map[string]string{"error": err.Error()}
	}
	d.mu.Lock()
	rk := d.risk
	if rk == nil {
		// Starting up: the file is all there is yet, and start-up reads
		// it (under d.mu) before anything trades.
		err := d.kill.Write(reason)
		d.mu.Unlock()
		if err != nil {
			return http.StatusInternalServerError, map[string]string{"error": "kill switch could not be recorded: " + err.Error()}
		}
		d.log.Warn("kill switch recorded during start-up", "reason", reason)
		return http.StatusOK, map[string]string{"state": "killed", "reason": reason}
	}
	d.mu.Unlock()
	rk.Kill(killPrefix + reason + " (by " + d.who() + ")")
	if err := d.kill.Write(reason); err != nil {
		d.log.Error("kill switch on, but not persisted", "err", err)
		return http.StatusInternalServerError, map[string]string{"error": "kill switch is on for this run but could not be persisted: " + err.Error()}
	}
	d.log.Warn("kill switch on", "reason", reason)
	return http.StatusOK, map[string]string{"state": "killed", "reason": reason}
}

// resume clears pause, kill switch and a tripped breaker.
func (d *Daemon) resume(r *http.Request) (int, any) {
	rk := d.riskOrNil()
	if rk == nil {
		return http.StatusServiceUnavailable, map[string]string{"error": "starting up"}
	}
	reason, err := readReason(r, "")
	if err != nil {
		return http.StatusBadRequest, map[string]string{"error": err.Error()}
	}
	if err := d.kill.Remove(); err != nil {
		return http.StatusInternalServerError, map[string]string{"error": err.Error()}
	}
	rk.Resume()
	rk.ResetBreaker()
	var attrs []any
	if reason != "" {
		attrs = append(attrs, "reason", reason)
	}
	d.log.Warn("trading resumed by admin", attrs...)
	return http.StatusOK, map[string]string{"state": "trading"}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

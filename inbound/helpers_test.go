package inbound_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/webhookd"
)

// signer is generated once per test binary (2048-bit generation is slow).
var signer = sync.OnceValues(sim.GenerateWebhookSigner)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// env is the receiving side as the daemon wires it: the webhookd endpoint
// (hercle's handler, trusting the simulator's key from its PEM file) on
// loopback, storing into a real bbolt ledger through the adapter, and a
// running processor.
type env struct {
	t        testing.TB
	path     string
	store    *ledger.Store
	proc     *inbound.Processor
	reg      *prometheus.Registry // processor metrics
	hreg     *prometheus.Registry // handler metrics
	srv      *webhookd.Server
	keyFile  string // the simulator's public key, trusted by srv
	signer   *sim.WebhookSigner
	deposits chan inbound.Deposit
	nDeposit atomic.Int64

	cancel context.CancelFunc
	done   chan error
}

type envOptions struct {
	noProcessor bool // store only: the processor "crashed" before applying
	// tlsCert and tlsKey, if set, make the endpoint serve HTTPS.
	tlsCert, tlsKey string
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	s, err := signer()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, path: filepath.Join(t.TempDir(), "ledger.db"), signer: s, deposits: make(chan inbound.Deposit, 1<<16)}
	e.open()
	e.keyFile = filepath.Join(t.TempDir(), "hercle-webhook.pem")
	if err := s.WritePublicKeyPEM(e.keyFile); err != nil {
		t.Fatal(err)
	}
	e.hreg = prometheus.NewRegistry()
	// The handler reaches the current store and processor through e, so
	// a restart in a test swaps them under a live server.
	cfg := webhookd.Config{Enabled: true, Addr: "127.0.0.1:0", PublicKeys: []string{e.keyFile}, TLSCert: o.tlsCert, TLSKey: o.tlsKey}
	srv, err := webhookd.Start(context.Background(), cfg, inboxFunc(e.storeWebhook), nil, e.hreg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	t.Cleanup(func() { srv.Close() })
	if !o.noProcessor {
		e.start()
	}
	t.Cleanup(e.stop)
	t.Cleanup(func() { e.store.Close() })
	return e
}

type inboxFunc func(context.Context, webhook.Received) (bool, error)

func (f inboxFunc) Store(ctx context.Context, w webhook.Received) (bool, error) {
	return f(ctx, w)
}

func (e *env) storeWebhook(ctx context.Context, w webhook.Received) (bool, error) {
	var notify func()
	if e.proc != nil {
		notify = e.proc.Notify
	}
	return inbound.NewWebhookInbox(e.store, notify, nil).Store(ctx, w)
}

func (e *env) open() {
	st, err := ledger.Open(e.path, ledger.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.store = st
}

// start builds and runs a new processor on the current store.
func (e *env) start() {
	e.reg = prometheus.NewRegistry()
	p, err := inbound.New(inbound.Options{
		Ledger:  e.store,
		Metrics: e.reg,
		OnDeposit: func(dep inbound.Deposit) {
			e.nDeposit.Add(1)
			e.deposits <- dep
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.proc, e.cancel, e.done = p, cancel, make(chan error, 1)
	go func() { e.done <- p.Run(ctx) }()
}

// stop cancels the processor and waits for Run to return.
func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	select {
	case err := <-e.done:
		if err != nil {
			e.t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		e.t.Fatal("processor did not stop within 10s of cancellation")
	}
	e.cancel, e.proc = nil, nil
}

// restart is a crash and restart: processor stopped, ledger closed and
// reopened, a new processor started.
func (e *env) restart() {
	e.stop()
	if err := e.store.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
	e.start()
}

func (e *env) sync(ctx context.Context) {
	e.t.Helper()
	if err := e.proc.Sync(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// sender is a simulator webhook sender posting to e. clk stamps
// envelopes (and signatures).
func (e *env) sender(ctx context.Context, seed uint64, faults sim.WebhookFaults, format sim.WebhookFormat, clk clock.Clock) *sim.WebhookSender {
	e.t.Helper()
	s, err := sim.NewWebhookSender(ctx, sim.WebhookSenderConfig{
		URL: e.srv.URL(), Signer: e.signer, Format: format, Faults: faults, Seed: seed, Clock: clk,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) send(ctx context.Context, s *sim.WebhookSender, typ webhook.EventType, data any) string {
	e.t.Helper()
	id, err := s.Send(ctx, string(typ), data)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// deliver closes s (waiting for every event to be acknowledged) and waits
// for the processor to apply everything stored.
func (e *env) deliver(ctx context.Context, s *sim.WebhookSender) {
	e.t.Helper()
	if err := s.Close(ctx); err != nil {
		e.t.Fatal(err)
	}
	if st := s.Stats(); st.Failed != 0 {
		e.t.Fatalf("sender gave up on %d events: %+v", st.Failed, st)
	}
	e.sync(ctx)
}

// outcome is the processor's engine_inbound_events_total{type, outcome}.
func (e *env) outcome(typ webhook.EventType, outcome string) int {
	return int(series(e.t, e.reg, "engine_inbound_events_total", map[string]string{"type": string(typ), "outcome": outcome}))
}

// series returns the value of the counter or gauge name whose labels
// include want, or 0.
func series(t testing.TB, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
					continue next
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func deadline(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func balance(t testing.TB, s *ledger.Store, a ledger.Account, asset market.Asset) decimal.Decimal {
	t.Helper()
	b, err := s.Balance(context.Background(), a, asset)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustVerify(t testing.TB, s *ledger.Store) {
	t.Helper()
	if err := s.Verify(context.Background()); err != nil {
		t.Fatalf("ledger Verify: %v", err)
	}
}

// sendingIntent records a money movement as treasury does before sending
// it: the intent (submitted) and the amount moved into transit.
func sendingIntent(t testing.TB, s *ledger.Store, cid string, kind ledger.IntentKind, tk ledger.TransitKind, asset market.Asset, amount string) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.Post(ctx, ledger.Entry{Key: "opening:" + cid, Kind: ledger.KindOpening, Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: asset, Amount: d(amount)},
		{Account: ledger.OpeningBalance(), Asset: asset, Amount: d(amount).Neg()},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateIntent(ctx, ledger.Intent{ClientID: cid, Kind: kind, Venue: ledger.Hercle, Request: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, cid, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Post(ctx, ledger.Entry{Key: cid + ":sent", Kind: ledger.KindWithdrawal, ClientID: cid, Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: asset, Amount: d(amount).Neg()},
		{Account: ledger.Transit(tk, cid), Asset: asset, Amount: d(amount)},
	}}); err != nil {
		t.Fatal(err)
	}
}

package merchant_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/merchant"
	"github.com/otcdesk/engine/sim/heropay"
)

const (
	testKey    = "hp-merchant-test-key-not-real"
	testSecret = "hp-merchant-test-secret-not-real"
	testSeed   = 7
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// faultyLedger is the real ledger whose PutEvent can be made to fail, as a
// full disk or a closed store would.
type faultyLedger struct {
	*ledger.Store
	fail atomic.Bool
}

func (f *faultyLedger) PutEvent(ctx context.Context, ev ledger.Event) (ledger.Event, bool, error) {
	if f.fail.Load() {
		return ledger.Event{}, false, errors.New("injected: disk full")
	}
	return f.Store.PutEvent(ctx, ev)
}

// logBuffer collects log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// env is the merchant side as the daemon wires it: the Heropayments
// simulator on loopback with a manual clock, a real bbolt ledger on the
// same clock, the processor's callback handler on loopback, and Run in a
// goroutine.
type env struct {
	t          *testing.T
	ctx        context.Context
	clock      *clock.Manual
	store      *ledger.Store
	led        *faultyLedger
	srv        *heropay.Server
	client     *heropayments.Client
	proc       *merchant.Processor
	reg        *prometheus.Registry
	cbURL      string
	deliveries chan int // status of every request the callback endpoint answered
	logs       *logBuffer
	flow       heropayments.Flow

	stop func()
}

type envOptions struct {
	flow      heropayments.Flow
	noRun     bool // store only: the processor is not running
	pollAfter time.Duration
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	if o.flow == "" {
		o.flow = heropayments.FlowV2
	}
	if o.pollAfter == 0 {
		o.pollAfter = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	t.Logf("simulator seed %d", testSeed)
	e := &env{t: t, ctx: ctx, clock: clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)),
		deliveries: make(chan int, 256), logs: &logBuffer{}, flow: o.flow}
	store, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{Clock: e.clock.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e.store = store
	e.led = &faultyLedger{Store: store}
	srv, err := heropay.Start(ctx, heropay.Options{APIKey: testKey, APISecret: testSecret, Clock: e.clock.Clock(),
		Seed: testSeed, Balance: d("10000")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e.srv = srv
	e.client, err = heropayments.NewClient(heropayments.Config{BaseURL: srv.URL(), APIKey: testKey, APISecret: testSecret,
		RateLimit: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	// The endpoint reaches the processor through e, built just below.
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		e.proc.Handler().ServeHTTP(rec, r)
		e.deliveries <- rec.status
	}))
	t.Cleanup(cb.Close)
	e.cbURL = cb.URL + "/callbacks/heropayments"
	e.reg = prometheus.NewRegistry()
	e.proc, err = merchant.New(merchant.Options{Ledger: e.led, Client: e.client, Secret: testSecret, Flow: o.flow,
		CallbackURL: e.cbURL, PollAfter: o.pollAfter, PollEvery: time.Minute, GiveUpAfter: time.Hour, Clock: e.clock.Clock(),
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)), Metrics: e.reg})
	if err != nil {
		t.Fatal(err)
	}
	if !o.noRun {
		e.start()
	}
	t.Cleanup(func() {
		if e.stop != nil {
			e.stop()
		}
	})
	return e
}

// start runs the processor until the test ends or stop is called.
func (e *env) start() {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	p := e.proc
	go func() { done <- p.Run(ctx) }()
	e.stop = func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("Run = %v, want nil on cancellation", err)
		}
		e.stop = nil
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) {
	w.status = s
	w.ResponseWriter.WriteHeader(s)
}

// delivered waits for the callback endpoint to answer n requests and
// checks each answer.
func (e *env) delivered(n, want int) {
	e.t.Helper()
	for i := range n {
		select {
		case got := <-e.deliveries:
			if got != want {
				e.t.Fatalf("delivery %d answered %d, want %d", i+1, got, want)
			}
		case <-e.ctx.Done():
			e.t.Fatalf("delivery %d of %d never came: %v", i+1, n, e.ctx.Err())
		}
	}
}

func (e *env) sync() {
	e.t.Helper()
	if err := e.proc.Sync(e.ctx); err != nil {
		e.t.Fatalf("Sync = %v", err)
	}
}

// deposit creates a deposit through the processor and returns its
// address.
func (e *env) deposit(eoid, currency string) heropayments.Payment {
	e.t.Helper()
	p, err := e.proc.CreateDeposit(e.ctx, heropayments.DepositRequest{ExternalOrderID: eoid, CustomerID: "cust-" + eoid, Currency: currency}, false)
	if err != nil {
		e.t.Fatalf("CreateDeposit(%s) = %v", eoid, err)
	}
	return p
}

// payThrough pays amount to addr and lets the simulator deliver the
// payment's three status callbacks (V2: confirming, exchanging, finished;
// Custody: pending, processing, finished); it returns the payment id.
func (e *env) payThrough(addr, currency, amount string) string {
	e.t.Helper()
	id, err := e.srv.Pay(addr, currency, d(amount))
	if err != nil {
		e.t.Fatal(err)
	}
	e.delivered(1, http.StatusOK)
	for range 2 {
		e.clock.Advance(time.Minute)
		e.delivered(1, http.StatusOK)
	}
	e.sync()
	return id
}

func (e *env) balance(a ledger.Account, asset string) decimal.Decimal {
	e.t.Helper()
	b, err := e.store.Balance(e.ctx, a, market.Asset(asset))
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) entries(f ledger.Filter) []ledger.Entry {
	e.t.Helper()
	es, err := e.store.Entries(e.ctx, f)
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// callbackEvents returns the stored Heropayments events.
func (e *env) callbackEvents() []ledger.Event {
	e.t.Helper()
	var out []ledger.Event
	if err := e.store.Events(e.ctx, ledger.SourceHeropaymentsCallback, func(ev ledger.Event) error {
		out = append(out, ev)
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) verify() {
	e.t.Helper()
	if err := e.store.Verify(e.ctx); err != nil {
		e.t.Fatalf("ledger Verify = %v", err)
	}
}

func (e *env) payment(eoid, seq string) merchant.PaymentState {
	e.t.Helper()
	st, ok := e.proc.Payment(heropayments.PaymentKey{ExternalOrderID: eoid, Sequence: seq})
	if !ok {
		e.t.Fatalf("payment %s/%s unknown; known: %+v", eoid, seq, e.proc.Payments())
	}
	return st
}

func (e *env) eventCount(kind, outcome string) float64 {
	return counterValue(e.t, e.reg, "engine_merchant_events_total", map[string]string{"kind": kind, "outcome": outcome})
}

func (e *env) pollCount(result string) float64 {
	return counterValue(e.t, e.reg, "engine_merchant_polls_total", map[string]string{"result": result})
}

// counterValue reads one series of a counter vector from reg (0 if absent).
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// sign returns body in its normal form and its signature with secret.
func (e *env) sign(secret, body string) ([]byte, string) {
	e.t.Helper()
	n, sig, err := heropayments.SignBody(secret, []byte(body))
	if err != nil {
		e.t.Fatal(err)
	}
	return n, sig
}

// post sends body to the callback endpoint with x-api-sign sig (none when
// empty) and returns the status.
func (e *env) post(body []byte, sig string) int {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.cbURL, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(heropayments.SignHeader, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	e.delivered(1, resp.StatusCode)
	return resp.StatusCode
}

// postSigned signs body with the test secret and posts it.
func (e *env) postSigned(body string) int {
	e.t.Helper()
	return e.post(e.sign(testSecret, body))
}

// callbackBody builds a callback body.
func callbackBody(fields map[string]any) string {
	b, err := json.Marshal(fields)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// payout records a customer payout the way its creator must (see the
// package documentation): the intent, the amount moved from the merchant
// account into transit:withdrawal:<client-id>, the intent submitted; then
// sends it to the simulator with the callback URL. request is the
// intent's request JSON.
func (e *env) payout(cid, currency, amount, transitAsset, transitAmount, request string) heropayments.Payment {
	e.t.Helper()
	e.recordPayout(cid, transitAsset, transitAmount, request)
	p, err := e.client.CreateWithdrawal(e.ctx, e.flow, heropayments.WithdrawalRequest{ExternalOrderID: cid, CustomerID: "cust-" + cid,
		Currency: currency, Amount: heropayments.MustAmount(amount), Address: "addr" + strings.ReplaceAll(cid, "-", ""),
		CallbackURL: e.cbURL}, heropayments.WithdrawalOptions{})
	if err != nil {
		e.t.Fatalf("CreateWithdrawal(%s) = %v", cid, err)
	}
	return p
}

// recordPayout writes a payout intent and its transit posting, submitted.
func (e *env) recordPayout(cid, transitAsset, transitAmount, request string) {
	e.t.Helper()
	if request == "" {
		request = `{"origin":"payouts","flow":"` + string(e.flow) + `"}`
	}
	if _, _, err := e.store.CreateIntent(e.ctx, ledger.Intent{ClientID: cid, Kind: ledger.IntentPayout, Venue: ledger.Heropayments,
		Request: json.RawMessage(request)}); err != nil {
		e.t.Fatal(err)
	}
	amt := d(transitAmount)
	transit := ledger.Transit(ledger.TransitWithdrawal, cid)
	if strings.Contains(request, `"settlement"`) {
		transit = ledger.Transit(ledger.TransitSettlement, cid)
	}
	if _, _, err := e.store.Post(e.ctx, ledger.Entry{Key: cid + ":sent", Kind: ledger.KindWithdrawal, ClientID: cid,
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(ledger.Heropayments), Asset: market.Asset(transitAsset), Amount: amt.Neg()},
			{Account: transit, Asset: market.Asset(transitAsset), Amount: amt},
		}}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.Transition(e.ctx, cid, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) intent(cid string) ledger.Intent {
	e.t.Helper()
	in, err := e.store.Intent(e.ctx, cid)
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

// opening gives the ledger's merchant account an opening balance.
func (e *env) opening(asset, amount string) {
	e.t.Helper()
	if _, _, err := e.store.Post(e.ctx, ledger.Entry{Key: "opening:heropayments:" + asset, Kind: ledger.KindOpening,
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(ledger.Heropayments), Asset: market.Asset(asset), Amount: d(amount)},
			{Account: ledger.OpeningBalance(), Asset: market.Asset(asset), Amount: d(amount).Neg()},
		}}); err != nil {
		e.t.Fatal(err)
	}
}

package treasury_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/sim/heropay"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
	"github.com/otcdesk/engine/treasury"
	"github.com/otcdesk/engine/treasury/policy"
)

// seed drives the simulators; printed by every rig so a failure reproduces.
const seed = 42

const (
	hpKey    = "hp-test-key-not-real"
	hpSecret = "hp-test-secret-not-real"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// monday is a Monday morning, far from the Wednesday maintenance window.
var monday = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

type rigOptions struct {
	balances    map[market.Asset]decimal.Decimal
	gate        *scheduler.Gate
	maintenance func(time.Time) bool
	start       time.Time
	heropay     decimal.Decimal // Heropayments merchant balance; zero: no Heropayments
	networkFee  decimal.Decimal // taken by the link between the simulators
	invoices    func(*sim.Venue) treasury.InvoiceSource
	wrap        func(execution.Store) execution.Store // fault injection around the real store, under execution
	pairs       []sim.PairConfig                      // nil: the simulator's defaults
	limits      func(*risk.Limits)                    // risk's limits in the loop; nil: generous ones
}

// rig is the engine's treasury side as the daemon wires it: the Hercle
// simulator on loopback reached over HTTP, a bbolt ledger, the webhook
// processor with its payee registry, optionally the Heropayments simulator
// linked to the venue, and the event loop with risk and execution that
// every movement and conversion passes through. The loop's prices are the
// simulator's, pushed before every sweep and poll. One manual clock drives
// everything.
type rig struct {
	t       testing.TB
	ctx     context.Context
	opts    rigOptions
	clock   *clock.Manual
	srv     *sim.Server
	venue   *sim.Venue
	wire    *wire
	client  *hercle.Client
	path    string
	store   *ledger.Store
	proc    *inbound.Processor
	confirm *reconcile.Confirmer // confirms webhook deposits, as the daemon does
	stop    func()
	reg     *prometheus.Registry
	cfg     policy.Config
	tr      *treasury.Treasury
	exec    *execution.Executor
	loop    *trader.Loop
	hp      *heropay.Server
	hpc     *heropayments.Client
	link    *heropay.Link

	mu       sync.Mutex // guards the fields below
	ids      int
	credited []inbound.Deposit // treasury's OnDeposit calls
	seen     []inbound.Deposit // the processor's OnDeposit calls
}

func newRig(t testing.TB, section string, o rigOptions) *rig {
	t.Helper()
	t.Logf("simulator seed %d", seed)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	if o.start.IsZero() {
		o.start = monday
	}
	r := &rig{t: t, ctx: ctx, opts: o, clock: clock.NewManual(o.start), path: filepath.Join(t.TempDir(), "ledger.db")}
	cfg, err := policy.Parse("test section", []byte(section))
	if err != nil {
		t.Fatal(err)
	}
	r.cfg = cfg
	bal := o.balances
	if bal == nil {
		bal = map[market.Asset]decimal.Decimal{"BTC": d("5"), "EUR": d("60000"), "USDT": d("0")}
	}
	r.srv, err = sim.Start(ctx, sim.Options{Seed: seed, Clock: r.clock.Clock(), Balances: bal, Maintenance: o.maintenance, Pairs: o.pairs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.srv.Close() })
	r.venue = r.srv.Venue()
	r.wire = &wire{base: http.DefaultTransport, rig: r}
	r.client, err = hercle.NewClient(hercle.Config{BaseURL: r.srv.URL(), APIKey: r.srv.APIKey(), RateLimit: 1000, Burst: 100,
		MaxRetries: 2, HTTPClient: &http.Client{Transport: r.wire}, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	if o.heropay.IsPositive() {
		r.hp, err = heropay.Start(ctx, heropay.Options{APIKey: hpKey, APISecret: hpSecret, Clock: r.clock.Clock(),
			Seed: seed, Balance: o.heropay})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.hp.Close() })
		r.hpc, err = heropayments.NewClient(heropayments.Config{BaseURL: r.hp.URL(), APIKey: hpKey, APISecret: hpSecret,
			HTTPClient: &http.Client{Transport: r.wire}, RateLimit: 1000, Burst: 100})
		if err != nil {
			t.Fatal(err)
		}
		r.link = heropay.StartLink(ctx, r.hp, r.venue, heropay.LinkOptions{NetworkFee: o.networkFee})
		t.Cleanup(r.link.Close)
	}
	r.open()
	t.Cleanup(r.shutdown)
	return r
}

// open opens the ledger and builds the event loop, risk and execution,
// the treasury and the webhook processor on it, as a start of the engine
// would. A new ledger gets the venues' balances as opening balances.
func (r *rig) open() {
	t := r.t
	t.Helper()
	var err error
	r.store, err = ledger.Open(r.path, ledger.Options{Clock: r.clock.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	r.opening()
	r.reg = prometheus.NewRegistry()
	pctx, cancel := context.WithCancel(r.ctx)
	r.proc, err = inbound.New(inbound.Options{Ledger: r.store, Tick: make(chan time.Time), Workers: 2, Clock: r.clock.Clock(),
		OnDeposit: func(dep inbound.Deposit) {
			r.mu.Lock()
			r.seen = append(r.seen, dep)
			tr := r.tr
			r.mu.Unlock()
			if tr != nil {
				tr.OnDeposit(dep)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.proc.Run(pctx) }()
	if err := r.proc.Sync(r.ctx); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	if _, bench := t.(*testing.B); bench {
		logger = slog.New(slog.DiscardHandler)
	}
	loopDone := r.engine(pctx, logger)
	r.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("processor: %v", err)
		}
		if err := <-loopDone; err != nil {
			t.Errorf("loop: %v", err)
		}
	}
	deps := treasury.Deps{
		Ledger: r.store, Hercle: r.client, Loop: r.loop, Follow: r.exec, Clock: r.clock.Clock(), Payees: r.proc.Registry(),
		Metrics: r.reg, Logger: logger,
		OnDeposit: func(dep inbound.Deposit) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.credited = append(r.credited, dep)
		},
	}
	if r.opts.gate != nil {
		deps.Gate = r.opts.gate
	}
	if r.opts.invoices != nil {
		deps.Invoices = r.opts.invoices(r.venue)
	}
	if r.hpc != nil {
		deps.Heropayments = r.hpc
	}
	r.confirm, err = reconcile.NewConfirmer(reconcile.ConfirmOptions{Ledger: r.store, Venue: r.client, Clock: r.clock.Clock(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := treasury.New(r.cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.tr = tr
	r.mu.Unlock()
}

// engine builds risk, execution and the event loop, and runs the loop
// until ctx ends; the channel yields Run's error.
func (r *rig) engine(ctx context.Context, logger *slog.Logger) <-chan error {
	t := r.t
	pairs := map[string]market.Pair{}
	var list []market.Pair
	for _, p := range r.venue.Pairs() {
		pairs[p.Symbol] = p
		list = append(list, p)
	}
	lim := risk.DefaultLimits()
	lim.MaxOrderNotional, lim.MaxDailyNotional = tomlval.Dec(d("100000000")), tomlval.Dec(d("1000000000"))
	lim.MaxPriceAge = tomlval.Dur(time.Hour)
	lim.Transfers.MaxDaily = tomlval.Dec(d("1000000000"))
	lim.Transfers.Destinations = map[string]tomlval.Decimal{}
	for name := range r.cfg.Destinations {
		lim.Transfers.Destinations[name] = tomlval.Dec(d("1000000000"))
	}
	if r.opts.limits != nil {
		r.opts.limits(&lim)
	}
	rk, err := risk.New(lim, risk.Options{Counters: &risk.MemoryCounters{}, Gate: r.opts.gate, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	var store execution.Store = r.store
	if r.opts.wrap != nil {
		store = r.opts.wrap(r.store)
	}
	xo := execution.Options{Venue: r.client, Transfers: r.client, Store: store, Clock: r.clock.Clock(),
		Pairs:  func(s string) (market.Pair, bool) { p, ok := pairs[s]; return p, ok },
		Follow: time.Millisecond, Lookups: 3, MovementLookups: r.cfg.LookupsOr(), Logger: logger,
		Stopped: rk.Stopped,
		CheckQuote: func(now time.Time, in strategy.Intent, q risk.Quote) error {
			return nil
		},
	}
	if r.hpc != nil {
		xo.Payments = r.hpc
	}
	r.exec, err = execution.New(xo)
	if err != nil {
		t.Fatal(err)
	}
	r.loop, err = trader.New(trader.Options{Risk: rk, Exec: r.exec, Clock: r.clock.Clock(), Books: r.store, Pairs: list, MaxAge: time.Hour,
		Logger: logger, NewID: func() (string, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.ids++
			return fmt.Sprintf("tr-%d-%d", seed, r.ids), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.loop.Run(ctx) }()
	return done
}

// opening posts the venues' balances into a new ledger, as the daemon does
// at its first start.
func (r *rig) opening() {
	if _, err := r.store.Entry(r.ctx, "rig:opening"); err == nil {
		return
	}
	e := ledger.Entry{Key: "rig:opening", Kind: ledger.KindOpening, Time: r.clock.Now()}
	for _, a := range r.venue.Balances().Assets {
		if a.Available.IsPositive() {
			e.Postings = append(e.Postings,
				ledger.Posting{Account: ledger.VenueAvailable(ledger.Hercle), Asset: a.Name, Amount: a.Available},
				ledger.Posting{Account: ledger.OpeningBalance(), Asset: a.Name, Amount: a.Available.Neg()})
		}
	}
	if r.opts.heropay.IsPositive() {
		e.Postings = append(e.Postings,
			ledger.Posting{Account: ledger.VenueAvailable(ledger.Heropayments), Asset: "USDT", Amount: r.opts.heropay},
			ledger.Posting{Account: ledger.OpeningBalance(), Asset: "USDT", Amount: r.opts.heropay.Neg()})
	}
	if len(e.Postings) == 0 {
		return
	}
	if _, _, err := r.store.Post(r.ctx, e); err != nil {
		r.t.Fatal(err)
	}
}

// prices hands the loop every pair's price at the venue now, as the feed
// would.
func (r *rig) prices() {
	now := r.clock.Now()
	for _, p := range r.venue.Pairs() {
		q, err := r.venue.Quote(p.Symbol, p.MinSize)
		if err != nil {
			r.t.Fatal(err)
		}
		r.loop.Tick(r.ctx, market.Tick{Pair: p.Symbol, Size: q.Size, BuyPrice: q.BuyPrice, SellPrice: q.SellPrice, Time: now, Received: now})
	}
}

// restart is a crash and a new start on the same ledger file: the
// processor stops, the file is closed and reopened, and a new treasury
// recovers.
func (r *rig) restart() {
	r.t.Helper()
	r.shutdown()
	r.open()
	if err := r.tr.Recover(r.ctx); err != nil {
		r.t.Fatalf("Recover after restart: %v", err)
	}
}

func (r *rig) shutdown() {
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
	r.mu.Lock()
	r.tr = nil
	r.mu.Unlock()
	if r.store != nil {
		if err := r.store.Close(); err != nil {
			r.t.Errorf("close ledger: %v", err)
		}
		r.store = nil
	}
}

func (r *rig) sweep(name string) (treasury.Result, error) {
	r.t.Helper()
	r.prices()
	return r.tr.Sweep(r.ctx, name)
}

func (r *rig) poll() {
	r.t.Helper()
	r.prices()
	if err := r.tr.Poll(r.ctx); err != nil {
		r.t.Fatalf("Poll: %v", err)
	}
}

// credit deposits amount at the venue and delivers its webhook, so the
// books have it as the daemon's would.
func (r *rig) credit(asset market.Asset, amount decimal.Decimal) {
	r.t.Helper()
	tx, err := r.venue.Credit(asset, amount)
	if err != nil {
		r.t.Fatal(err)
	}
	r.webhook(webhook.EventDepositStatusUpdated, webhook.Transaction{ID: tx.ID, Status: hercle.BankingSuccess, Asset: string(asset), Amount: hercle.N(amount)})
	if n, err := r.confirm.Pass(r.ctx); err != nil || n != 1 {
		r.t.Fatalf("deposit confirmation: %d confirmed, %v; want the deposit", n, err)
	}
}

// whitelist adds an address to the venue's withdrawal whitelist, approved
// or left pending.
func (r *rig) whitelist(asset market.Asset, address, network string, approve bool, params map[string]string) string {
	r.t.Helper()
	w, err := r.venue.WhitelistAddress(sim.WhitelistRequest{Name: "test " + address, Asset: asset, Address: address, Network: network, Params: params})
	if err != nil {
		r.t.Fatal(err)
	}
	if approve {
		if err := r.venue.ApproveWhitelist(w.ID); err != nil {
			r.t.Fatal(err)
		}
	}
	return w.ID
}

// webhook stores a Hercle webhook in the ledger's inbox, as the verified
// handler would, and waits until the processor has applied it.
func (r *rig) webhook(typ webhook.EventType, data any) {
	r.t.Helper()
	body, err := json.Marshal(data)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.ids++
	id := fmt.Sprintf("evt-%d", r.ids)
	r.mu.Unlock()
	env, err := sim.WebhookFormat{}.Envelope(id, string(typ), r.clock.Now(), body)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, _, err := r.store.PutEvent(r.ctx, ledger.Event{Source: ledger.SourceHercleWebhook, ID: id, Type: string(typ), Body: env}); err != nil {
		r.t.Fatal(err)
	}
	r.proc.Notify()
	if err := r.proc.Sync(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	if q := r.proc.Quarantined(); len(q) > 0 {
		r.t.Fatalf("webhook quarantined: %v", q)
	}
}

func (r *rig) intent(cid string) ledger.Intent {
	r.t.Helper()
	in, err := r.store.Intent(r.ctx, cid)
	if err != nil {
		r.t.Fatal(err)
	}
	return in
}

func (r *rig) balance(a ledger.Account, asset market.Asset) decimal.Decimal {
	r.t.Helper()
	b, err := r.store.Balance(r.ctx, a, asset)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *rig) counter(k ledger.CounterKey) decimal.Decimal {
	r.t.Helper()
	v, err := r.store.Counter(r.ctx, k)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

func (r *rig) intents() []ledger.Intent {
	r.t.Helper()
	all, err := r.store.Intents(r.ctx, "")
	if err != nil {
		r.t.Fatal(err)
	}
	return all
}

// venueAvailable is the simulator's available balance of asset.
func (r *rig) venueAvailable(asset market.Asset) decimal.Decimal {
	for _, a := range r.venue.Balances().Assets {
		if a.Name == asset {
			return a.Available
		}
	}
	return decimal.Zero
}

// withdrawals returns every withdrawal the venue holds.
func (r *rig) withdrawals() []sim.Withdrawal {
	r.t.Helper()
	ws, err := r.venue.Withdrawals(sim.WithdrawalFilter{})
	if err != nil {
		r.t.Fatal(err)
	}
	return ws
}

// verify checks the ledger's invariants: balanced entries, balances equal
// to a rebuild from the journal.
func (r *rig) verify() {
	r.t.Helper()
	if err := r.store.Verify(r.ctx); err != nil {
		r.t.Fatalf("ledger Verify: %v", err)
	}
}

// metric returns the value of the counter or gauge name whose labels are
// exactly want, or 0.
func (r *rig) metric(name string, want map[string]string) float64 {
	r.t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(want) {
				continue
			}
			for _, l := range m.GetLabel() {
				if want[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return 0
}

func (r *rig) runs(policyName, outcome string) float64 {
	return r.metric("engine_treasury_runs_total", map[string]string{"policy": policyName, "outcome": outcome})
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// fault is what the wire does to a money-moving request.
type fault int

const (
	faultNone fault = iota
	// faultAfterApply forwards the request, lets the venue apply it,
	// and answers 500 instead of its answer: sim's ErrorAfterApply,
	// for one request.
	faultAfterApply
	// faultLost fails the request without forwarding it: the venue
	// never saw it, and the client cannot know.
	faultLost
)

// wire is the HTTP transport under both venue clients. For every
// money-moving request it checks that the intent is durable first (state
// submitted, transit posted) and records it; it can inject one fault.
type wire struct {
	base http.RoundTripper
	rig  *rig

	mu         sync.Mutex // guards the fields below
	moves      []string   // Client-Ids (externalOrderIds) of money-moving requests, in order
	violations []string
	faults     []fault // applied to the next money-moving requests, in order
	// unlisted makes the venue's lookup of withdrawals by Client-Id
	// answer an empty list, as a venue that does not echo the Client-Id
	// header into the withdrawal's clientId would.
	unlisted bool
	// statusBody, if set, is the answer to every Heropayments status
	// lookup.
	statusBody string
}

func (w *wire) answerStatus(body string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.statusBody = body
}

func okJSON(req *http.Request, body string) *http.Response {
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: req}
}

func (w *wire) hideLookups() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unlisted = true
}

// answer is the wire's own answer to a lookup, when hideLookups or
// answerStatus asked for one; nil lets the request through.
func (w *wire) answer(req *http.Request) *http.Response {
	w.mu.Lock()
	hide, status := w.unlisted, w.statusBody
	w.mu.Unlock()
	if req.Method != http.MethodGet {
		return nil
	}
	if status != "" && (req.URL.Path == heropayments.PathStatusV2 || req.URL.Path == heropayments.PathStatusCustody) {
		return okJSON(req, status)
	}
	rest, ok := strings.CutPrefix(req.URL.Path, "/api/v1/withdrawals/")
	if !hide || !ok || rest == "" || strings.Contains(rest, "/") {
		return nil
	}
	return okJSON(req, "[]")
}

func (w *wire) inject(f ...fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults = append(w.faults, f...)
}

func (w *wire) sent() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.moves...)
}

func (w *wire) problems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.violations...)
}

func moneyPath(method, path string) bool {
	if method != http.MethodPost {
		return false
	}
	switch path {
	case "/api/v1/withdrawals", "/api/v1/withdrawals/instant", "/api/v1/withdrawals/address",
		"/api/v1/lightning/withdrawals", "/api/v1/transfer", heropayments.PathWithdrawalV2, heropayments.PathWithdrawalCustody:
		return true
	}
	return false
}

func (w *wire) RoundTrip(req *http.Request) (*http.Response, error) {
	if resp := w.answer(req); resp != nil {
		return resp, nil
	}
	if !moneyPath(req.Method, req.URL.Path) {
		return w.base.RoundTrip(req)
	}
	cid := req.Header.Get("Client-Id")
	if cid == "" && req.Body != nil { // Heropayments: the externalOrderId in the body
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var b struct {
			ExternalOrderID string `json:"externalOrderId"`
		}
		_ = json.Unmarshal(body, &b)
		cid = b.ExternalOrderID
	}
	w.check(req.Context(), cid)
	w.mu.Lock()
	w.moves = append(w.moves, cid)
	f := faultNone
	if len(w.faults) > 0 {
		f, w.faults = w.faults[0], w.faults[1:]
	}
	w.mu.Unlock()
	switch f {
	case faultLost:
		return nil, errors.New("simulated network failure: the request never reached the venue")
	case faultAfterApply:
		resp, err := w.base.RoundTrip(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		body := `{"error":{"code":"internal_error","message":"internal error","type":"api_error"}}`
		return &http.Response{StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error", Proto: "HTTP/1.1",
			ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
	}
	return w.base.RoundTrip(req)
}

// check records a violation unless the movement's intent is durable and
// submitted and its transit entry posted before the request goes out.
func (w *wire) check(ctx context.Context, cid string) {
	fail := func(format string, a ...any) {
		w.mu.Lock()
		w.violations = append(w.violations, fmt.Sprintf("%s: ", cid)+fmt.Sprintf(format, a...))
		w.mu.Unlock()
	}
	store := w.rig.store
	in, err := store.Intent(ctx, cid)
	if err != nil {
		fail("no intent before the request: %v", err)
		return
	}
	if in.State != ledger.StateSubmitted {
		fail("intent is %s, want submitted, when the request goes out", in.State)
	}
	if _, err := store.Entry(ctx, cid+":sent"); err != nil {
		fail("no transit entry before the request: %v", err)
	}
}

// noViolations fails the test if a request went out before its intent.
func (r *rig) noViolations() {
	r.t.Helper()
	for _, v := range r.wire.problems() {
		r.t.Errorf("request before its intent: %s", v)
	}
}

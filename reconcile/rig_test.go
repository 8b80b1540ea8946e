package reconcile_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
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
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/sim/heropay"
	"github.com/otcdesk/engine/strategy"
)

// The simulator's seed; the webhook senders use seed+1, seed+2, ...
const seed = 90210

const (
	hpKey    = "hp-test-key"
	hpSecret = "hp-test-secret"
	grace    = 10 * time.Minute
)

// signer is made once per test binary: RSA key generation is slow.
var signer = sync.OnceValues(sim.GenerateWebhookSigner)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// rig is the engine's reconciliation surroundings as the daemon wires
// them, every venue behind its real protocol on loopback: the Hercle
// simulator and a REST client, the Heropayments simulator and client, a
// bbolt ledger with opening balances equal to the venue's, the webhook
// handler storing into the ledger inbox and the inbound processor applying
// it, the Heropayments callback handler storing into the inbox, the
// execution engine, and a Reconciler. One manual clock drives everything.
type rig struct {
	t        *testing.T
	ctx      context.Context
	clock    *clock.Manual
	start    time.Time
	srv      *sim.Server
	venue    *sim.Venue
	client   *hercle.Client
	store    *ledger.Store
	proc     *inbound.Processor
	hookURL  string
	hp       *heropay.Server
	hpClient *heropayments.Client
	hpCB     string
	exec     *execution.Executor
	pairs    map[string]market.Pair
	reg      *prometheus.Registry
	rec      *reconcile.Reconciler
	pauser   *pauser

	mu        sync.Mutex
	imported  []ledger.Entry
	senders   uint64
	whitelist map[string]bool
	clientIDs int
}

type rigOptions struct {
	pauseAbove int
	// venue, if set, wraps the client reconciliation reads the venue with.
	venue func(reconcile.Venue) reconcile.Venue
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	t.Logf("simulator seed %d", seed)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	start := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC) // a Monday, far from maintenance
	r := &rig{t: t, ctx: ctx, clock: clock.NewManual(start), start: start, pauser: &pauser{},
		pairs: map[string]market.Pair{}, whitelist: map[string]bool{}}

	var err error
	r.srv, err = sim.Start(ctx, sim.Options{Seed: seed, Clock: r.clock.Clock(), AutoApproveWhitelist: true,
		ConfirmAfter: 24 * time.Hour, SettleAfter: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.srv.Close() })
	r.venue = r.srv.Venue()
	r.client, err = hercle.NewClient(hercle.Config{BaseURL: r.srv.URL(), APIKey: r.srv.APIKey(), RateLimit: 1000, Burst: 100,
		MaxRetries: 2, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}

	r.store, err = ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{Clock: r.clock.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	for _, a := range r.venue.Balances().Assets {
		r.post(ledger.Entry{Key: "opening:hercle:" + string(a.Name), Kind: ledger.KindOpening, Time: start.Add(-2 * time.Hour),
			Postings: []ledger.Posting{
				{Account: ledger.VenueAvailable(ledger.Hercle), Asset: a.Name, Amount: a.Available},
				{Account: ledger.OpeningBalance(), Asset: a.Name, Amount: a.Available.Neg()},
			}})
	}

	// Hercle webhooks: handler -> ledger inbox -> processor.
	r.proc, err = inbound.New(inbound.Options{Ledger: r.store, Clock: r.clock.Clock(), Tick: make(chan time.Time)})
	if err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.proc.Run(pctx) }()
	t.Cleanup(func() {
		pcancel()
		if err := <-done; err != nil {
			t.Errorf("processor Run = %v", err)
		}
	})
	s, err := signer()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := webhook.ParseKeys(s.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	h, err := webhook.NewHandler(webhook.Config{Keys: keys, Clock: r.clock.Clock(),
		Inbox: inbound.NewWebhookInbox(r.store, r.proc.Notify, nil)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	r.hookURL = hs.URL

	// Heropayments: simulator, client, callbacks -> ledger inbox.
	r.hp, err = heropay.Start(ctx, heropay.Options{APIKey: hpKey, APISecret: hpSecret, Clock: r.clock.Clock(),
		Seed: seed, Balance: d("10000")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.hp.Close() })
	cbh, err := heropayments.NewCallbackHandler(heropayments.HandlerConfig{Secret: hpSecret, Flow: heropayments.FlowV2,
		Inbox: reconcile.NewCallbackInbox(r.store), Clock: r.clock.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	cbs := httptest.NewServer(cbh)
	t.Cleanup(cbs.Close)
	r.hpCB = cbs.URL
	r.hpClient, err = heropayments.NewClient(heropayments.Config{BaseURL: r.hp.URL(), APIKey: hpKey, APISecret: hpSecret,
		RateLimit: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}

	for _, p := range r.venue.Pairs() {
		r.pairs[p.Symbol] = p
	}
	r.exec, err = execution.New(execution.Options{
		Venue: r.client, Store: r.store, Clock: r.clock.Clock(),
		Pairs:       func(s string) (market.Pair, bool) { p, ok := r.pairs[s]; return p, ok },
		CheckQuote:  func(time.Time, strategy.Intent, risk.Quote) error { return nil },
		NewClientID: func() (string, error) { return r.clientID("T"), nil },
		Lookups:     1,
	})
	if err != nil {
		t.Fatal(err)
	}

	r.reg = prometheus.NewRegistry()
	var venue reconcile.Venue = r.client
	if o.venue != nil {
		venue = o.venue(venue)
	}
	r.rec, err = reconcile.New(reconcile.Config{Grace: grace, PauseAbove: o.pauseAbove}, reconcile.Deps{
		Ledger: r.store, Venue: venue, Payments: r.hpClient, Pauser: r.pauser, Metrics: r.reg, Clock: r.clock.Clock(),
		OnImport: func(e ledger.Entry) {
			r.mu.Lock()
			r.imported = append(r.imported, e)
			r.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) clientID(prefix string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clientIDs++
	return fmt.Sprintf("%s-%d", prefix, r.clientIDs)
}

func (r *rig) post(e ledger.Entry) ledger.Entry {
	r.t.Helper()
	got, _, err := r.store.Post(context.Background(), e)
	if err != nil {
		r.t.Fatal(err)
	}
	return got
}

// reconcile runs the Reconciler over the rig's whole history.
func (r *rig) reconcile() reconcile.Report {
	r.t.Helper()
	rep, err := r.rec.Run(r.ctx, r.start.Add(-time.Hour))
	if err != nil {
		r.t.Fatalf("Run = %v", err)
	}
	return rep
}

// hook is one webhook to deliver.
type hook struct {
	typ  webhook.EventType
	data any
}

// deliver sends the webhooks from a simulator sender, waits until every
// one is acknowledged, and until the processor has applied them.
func (r *rig) deliver(faults sim.WebhookFaults, hooks ...hook) []string {
	r.t.Helper()
	s, err := signer()
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.senders++
	n := r.senders
	r.mu.Unlock()
	snd, err := sim.NewWebhookSender(r.ctx, sim.WebhookSenderConfig{URL: r.hookURL, Signer: s, Seed: seed + n, Clock: r.clock.Clock(),
		Faults: faults, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		r.t.Fatal(err)
	}
	var ids []string
	for _, h := range hooks {
		id, err := snd.Send(r.ctx, string(h.typ), h.data)
		if err != nil {
			r.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := snd.Close(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	if st := snd.Stats(); st.Failed != 0 {
		r.t.Fatalf("webhook sender gave up on %d event(s): %+v", st.Failed, st)
	}
	if err := r.proc.Sync(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	return ids
}

// depositHook is the Banking.Deposit.StatusUpdated webhook of a venue
// transaction.
func depositHook(tx sim.Transaction, amount decimal.Decimal) hook {
	return hook{webhook.EventDepositStatusUpdated, map[string]any{"Id": tx.ID, "Type": "DEPOSIT", "Status": "SUCCESS",
		"Asset": string(tx.Asset), "Amount": hercle.N(amount), "ProcessedAt": tx.Time.UTC().Format(time.RFC3339Nano)}}
}

// withdrawalHook is a Banking.Withdrawal.StatusUpdated webhook.
func withdrawalHook(w sim.Withdrawal, status string) hook {
	return hook{webhook.EventWithdrawalStatusUpdated, map[string]any{"Id": w.ID, "ClientId": w.ClientID, "Asset": string(w.Asset),
		"Network": w.Network, "Destination": w.Destination, "Amount": hercle.N(w.Amount), "Fee": hercle.N(w.Fee), "Status": status}}
}

// balanceHook is the Balance.Updated webhook of the venue's current
// balances.
func (r *rig) balanceHook() hook {
	b := r.venue.Balances()
	assets := make([]map[string]any, 0, len(b.Assets))
	for _, a := range b.Assets {
		assets = append(assets, map[string]any{"Name": string(a.Name), "Available": hercle.N(a.Available), "Allocated": hercle.N(a.Allocated)})
	}
	return hook{webhook.EventBalanceUpdated, map[string]any{"UserId": b.UserID, "Sequence": b.Sequence, "Assets": assets}}
}

// trade buys or sells through the execution engine, as a strategy would.
func (r *rig) trade(side market.Side, size string) execution.Result {
	r.t.Helper()
	res := r.exec.Execute(r.ctx, strategy.Intent{Strategy: "test", Pair: "BTCUSDT", Side: side, Size: d(size),
		Path: strategy.OTC, MaxSlippage: d("1")})
	if res.Status != execution.Filled {
		r.t.Fatalf("trade = %+v, want filled", res)
	}
	return res
}

// tradeAtVenue executes a trade at the simulator directly, bypassing the
// engine (as when it is down, or someone trades in the venue's UI).
func (r *rig) tradeAtVenue(clientID string, side market.Side, size string) sim.Execution {
	r.t.Helper()
	q, err := r.venue.Quote("BTCUSDT", d(size))
	if err != nil {
		r.t.Fatal(err)
	}
	ex, err := r.venue.PlaceOrder(sim.OrderRequest{PriceID: q.ID, Side: side, Slippage: d("1"), ClientID: clientID})
	if err != nil || ex.Status != sim.StatusExecuted {
		r.t.Fatalf("PlaceOrder = %+v, %v", ex, err)
	}
	return ex
}

const btcAddress = "bc1qreconcile0000000000000000000000000000"

func (r *rig) whitelisted(asset market.Asset) {
	r.t.Helper()
	if r.whitelist[string(asset)] {
		return
	}
	if _, err := r.venue.WhitelistAddress(sim.WhitelistRequest{Name: "cold", Asset: asset, Address: btcAddress, Network: "BTC"}); err != nil {
		r.t.Fatal(err)
	}
	r.whitelist[string(asset)] = true
}

// withdraw sends a BTC withdrawal the way treasury does: the intent first,
// submitted, the request over REST, the amount into transit.
func (r *rig) withdraw(amount string) sim.Withdrawal {
	r.t.Helper()
	r.whitelisted("BTC")
	cid := r.clientID("W")
	ctx := r.ctx
	if _, _, err := r.store.CreateIntent(ctx, ledger.Intent{ClientID: cid, Kind: ledger.IntentWithdrawal, Venue: ledger.Hercle,
		Request: json.RawMessage(`{"asset":"BTC","amount":` + amount + `}`)}); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.store.Transition(ctx, cid, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		r.t.Fatal(err)
	}
	w, _, err := r.client.Withdraw(ctx, hercle.WithdrawalRequest{Asset: "BTC", Amount: hercle.N(d(amount)), Address: btcAddress, Network: "BTC"}, cid)
	if err != nil {
		r.t.Fatal(err)
	}
	r.post(ledger.Entry{Key: cid + ":sent", Kind: ledger.KindWithdrawal, ClientID: cid, Refs: map[string]string{"venue_id": w.ID},
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "BTC", Amount: d(amount).Neg()},
			{Account: ledger.Transit(ledger.TransitWithdrawal, cid), Asset: "BTC", Amount: d(amount)},
		}})
	for _, v := range r.venue.WithdrawalsByClientID(cid) {
		return v
	}
	r.t.Fatalf("the venue has no withdrawal %s", cid)
	return sim.Withdrawal{}
}

// payout sends a Heropayments withdrawal the way treasury does, with its
// intent (venue heropayments) submitted first.
func (r *rig) payout(amount string) (string, heropayments.Payment) {
	r.t.Helper()
	cid := r.clientID("P")
	if _, _, err := r.store.CreateIntent(r.ctx, ledger.Intent{ClientID: cid, Kind: ledger.IntentPayout, Venue: ledger.Heropayments}); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.store.Transition(r.ctx, cid, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		r.t.Fatal(err)
	}
	p, err := r.hpClient.CreateWithdrawal(r.ctx, heropayments.FlowV2, heropayments.WithdrawalRequest{ExternalOrderID: cid,
		CustomerID: "cust-1", Currency: "USDT", Amount: heropayments.A(d(amount)), Address: "TRX-customer-address",
		CallbackURL: r.hpCB}, heropayments.WithdrawalOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	return cid, p
}

// waitPayment advances the clock a step at a time until Heropayments
// reports the payment finished.
func (r *rig) waitPayment(cid string) {
	r.t.Helper()
	for range 10 {
		r.clock.Advance(time.Minute)
		st, err := r.hpClient.PaymentStatus(r.ctx, heropayments.FlowV2, heropayments.Ref{ExternalOrderID: cid})
		if err != nil {
			r.t.Fatal(err)
		}
		if heropayments.Classify(heropayments.FlowV2, heropayments.KindWithdrawal, st.Status).Final() {
			return
		}
	}
	r.t.Fatalf("payment %s never finished", cid)
}

// waitCallbacks polls the ledger inbox, with a deadline, until n callbacks
// of the payment are stored.
func (r *rig) waitCallbacks(cid string, n int) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := 0
		err := r.store.Events(r.ctx, ledger.SourceHeropaymentsCallback, func(ev ledger.Event) error {
			if strings.HasPrefix(ev.ID, cid+"/") {
				got++
			}
			return nil
		})
		if err != nil {
			r.t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d callback(s) of %s stored, want %d", got, cid, n)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

func (r *rig) balance(a ledger.Account, asset market.Asset) decimal.Decimal {
	r.t.Helper()
	b, err := r.store.Balance(context.Background(), a, asset)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *rig) importedEntries() []ledger.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ledger.Entry(nil), r.imported...)
}

// pauser records the Reconciler's calls.
type pauser struct {
	mu      sync.Mutex
	paused  bool
	reasons []string
	resumes int
}

func (p *pauser) Pause(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = true
	p.reasons = append(p.reasons, reason)
}

func (p *pauser) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = false
	p.resumes++
}

func (p *pauser) state() (bool, int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused, len(p.reasons), p.resumes
}

// only returns the findings of check and outcome, failing unless there is
// exactly one.
func only(t *testing.T, rep reconcile.Report, c reconcile.Check, o reconcile.Outcome) reconcile.Finding {
	t.Helper()
	fs := rep.Find(c, o)
	if len(fs) != 1 {
		t.Fatalf("%s/%s findings = %d, want 1; report:\n%s", c, o, len(fs), text(rep))
	}
	return fs[0]
}

// text renders a report for failure messages.
func text(rep reconcile.Report) string {
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		return err.Error()
	}
	return b.String()
}

// breaks lists the findings that are breaks.
func breaks(rep reconcile.Report) []reconcile.Finding {
	var out []reconcile.Finding
	for _, f := range rep.Findings {
		if f.Break {
			out = append(out, f)
		}
	}
	return out
}

func isNotFound(err error) bool { return errors.Is(err, ledger.ErrNotFound) }

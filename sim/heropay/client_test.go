package heropay_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/sim/heropay"
)

const (
	hpTestKey    = "hp-sim-key-not-real"
	hpTestSecret = "hp-sim-secret-not-real"
)

// hpInbox is a MemoryInbox that also reports every Store call, duplicates
// included, and can fail the first few.
type hpInbox struct {
	heropayments.MemoryInbox
	mu    sync.Mutex // guards fail
	fail  int
	calls chan hpStore // every Store call, in order
}

type hpStore struct {
	id     string
	dup    bool
	failed bool
}

func (b *hpInbox) Store(ctx context.Context, cb heropayments.Callback) (bool, error) {
	b.mu.Lock()
	fail := b.fail > 0
	if fail {
		b.fail--
	}
	b.mu.Unlock()
	if fail {
		b.report(hpStore{id: cb.ID, failed: true})
		return false, errors.New("inbox unavailable")
	}
	dup, err := b.MemoryInbox.Store(ctx, cb)
	b.report(hpStore{id: cb.ID, dup: dup})
	return dup, err
}

// report records a Store call; calls is buffered and a full buffer drops
// the report rather than block the handler.
func (b *hpInbox) report(s hpStore) {
	select {
	case b.calls <- s:
	default:
	}
}

type hpFixture struct {
	clock  *clock.Manual
	srv    *heropay.Server
	client *heropayments.Client
	inbox  *hpInbox
	cbURL  string
	limits *heropayments.Limits
	ctx    context.Context
}

func newHPFixture(t *testing.T, withLimits bool) *hpFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	const seed = 1
	t.Logf("simulator seed %d", seed)
	f := &hpFixture{clock: clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)), ctx: ctx,
		inbox: &hpInbox{calls: make(chan hpStore, 64)}}
	d := decimal.RequireFromString
	srv, err := heropay.Start(ctx, heropay.Options{APIKey: hpTestKey, APISecret: hpTestSecret, Clock: f.clock.Clock(),
		Seed: seed, Balance: d("1000"), MerchantDailyLimit: d("500"), CustomerDailyLimit: d("200")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f.srv = srv
	h, err := heropayments.NewCallbackHandler(heropayments.HandlerConfig{Secret: hpTestSecret, Flow: heropayments.FlowV2, Inbox: f.inbox})
	if err != nil {
		t.Fatal(err)
	}
	cb := httptest.NewServer(h)
	t.Cleanup(cb.Close)
	f.cbURL = cb.URL
	cfg := heropayments.Config{BaseURL: srv.URL(), APIKey: hpTestKey, APISecret: hpTestSecret, RateLimit: 1000, Burst: 100}
	if withLimits {
		f.limits, err = heropayments.NewLimits(heropayments.LimitsConfig{Currency: "USDT", MerchantDaily: d("500"), CustomerDaily: d("200"),
			Clock: f.clock.Clock(), Counters: &heropayments.MemoryCounters{}})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Limits = f.limits
	}
	if f.client, err = heropayments.NewClient(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

// waitFor waits until the inbox holds a callback with id.
func (f *hpFixture) waitFor(t *testing.T, id string) heropayments.Callback {
	t.Helper()
	return waitCallback(f.ctx, t, &f.inbox.MemoryInbox, id)
}

func hpIDs(cbs []heropayments.Callback) []string {
	var ids []string
	for _, cb := range cbs {
		ids = append(ids, cb.ID)
	}
	return ids
}

func TestHeropaymentsDepositCallbacksAndSequence(t *testing.T) {
	f := newHPFixture(t, false)
	ctx := f.ctx
	p, err := f.client.CreateDeposit(ctx, heropayments.FlowV2, heropayments.DepositRequest{ExternalOrderID: "dep-1",
		CustomerID: "alice", Currency: "BTC", CallbackURL: f.cbURL})
	if err != nil || p.Status != heropayments.StatusWaiting || p.PayAddress == "" {
		t.Fatalf("CreateDeposit = %+v, %v; want a waiting deposit with an address", p, err)
	}
	if _, err := f.srv.Pay(p.PayAddress, "BTC", decimal.RequireFromString("0.01")); err != nil {
		t.Fatal(err)
	}
	if cb := f.waitFor(t, "dep-1/original/confirming"); cb.Outcome != heropayments.OutcomeInProgress {
		t.Errorf("confirming outcome %s, want in progress", cb.Outcome)
	}
	f.clock.Advance(time.Minute)
	f.waitFor(t, "dep-1/original/exchanging")
	f.clock.Advance(time.Minute)
	cb := f.waitFor(t, "dep-1/original/finished")
	if cb.Outcome != heropayments.OutcomeSuccess || cb.Payment.MerchantAmount.String() != "600" {
		t.Errorf("finished callback %+v; want success crediting 600 USDT", cb.Payment)
	}
	bal, err := f.client.Balance(ctx, heropayments.FlowV2)
	if err != nil || bal.Amount.String() != "1600" {
		t.Fatalf("Balance = %+v, %v; want 1600 USDT", bal, err)
	}

	// A second payment to the same address is a payment of its own.
	id2, err := f.srv.Pay(p.PayAddress, "BTC", decimal.RequireFromString("0.02"))
	if err != nil {
		t.Fatal(err)
	}
	var second heropay.Payment
	for _, x := range f.srv.Payments() {
		if x.ID == id2 {
			second = x
		}
	}
	if second.ExternalOrderID != "dep-1" || second.Sequence == heropayments.SequenceOriginal || len(second.Sequence) != 32 {
		t.Fatalf("second payment %+v; want externalOrderId dep-1 and a new 32-hex sequence", second)
	}
	f.waitFor(t, "dep-1/"+second.Sequence+"/confirming") // sent to the first payment's callbackUrl
	st, err := f.client.PaymentStatus(ctx, heropayments.FlowV2, heropayments.Ref{ExternalOrderID: "dep-1", Sequence: second.Sequence})
	if err != nil || st.ID != id2 || st.PaidAmount.String() != "0.02" {
		t.Fatalf("PaymentStatus(second) = %+v, %v", st, err)
	}
	orig, err := f.client.PaymentStatus(ctx, heropayments.FlowV2, heropayments.Ref{ExternalOrderID: "dep-1"})
	if err != nil || orig.ID != p.ID || orig.Status != heropayments.StatusFinished {
		t.Fatalf("PaymentStatus(original) = %+v, %v; want the first payment, finished", orig, err)
	}
}

func TestHeropaymentsExpiryRefundAndCustody(t *testing.T) {
	f := newHPFixture(t, false)
	ctx := f.ctx
	p, err := f.client.CreateDeposit(ctx, heropayments.FlowV2, heropayments.DepositRequest{ExternalOrderID: "dep-exp",
		CustomerID: "bob", Currency: "ETH", CallbackURL: f.cbURL})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(4*time.Hour - time.Second)
	if st, err := f.client.PaymentStatus(ctx, heropayments.FlowV2, heropayments.Ref{ID: p.ID}); err != nil || st.Status != heropayments.StatusWaiting {
		t.Fatalf("just before the TTL: %+v, %v; want waiting", st, err)
	}
	f.clock.Advance(time.Second)
	if cb := f.waitFor(t, "dep-exp/original/expired"); cb.Outcome != heropayments.OutcomeFailed {
		t.Errorf("expired deposit outcome %s, want failed", cb.Outcome)
	}
	// A late payment to the expired address becomes a multi-deposit, which
	// can then be refunded.
	id, err := f.srv.Pay(p.PayAddress, "ETH", decimal.RequireFromString("1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Refund(id); err != nil {
		t.Fatal(err)
	}
	st, err := f.client.PaymentStatus(ctx, heropayments.FlowV2, heropayments.Ref{ID: id})
	if err != nil || st.Status != heropayments.StatusRefunded || st.Sequence == heropayments.SequenceOriginal {
		t.Fatalf("refunded multi-deposit = %+v, %v", st, err)
	}
	if b := f.srv.Balance(); !b.Equal(decimal.RequireFromString("1000")) {
		t.Errorf("balance %s after an expiry and a refund, want 1000", b)
	}

	// Custody: its own statuses, and no refund of a deposit.
	c, err := f.client.CreateDeposit(ctx, heropayments.FlowCustody, heropayments.DepositRequest{ExternalOrderID: "cus-1",
		CustomerID: "carol", Currency: "USDT"})
	if err != nil || c.Status != heropayments.StatusNew {
		t.Fatalf("custody deposit = %+v, %v; want status new", c, err)
	}
	cid, _ := f.srv.Pay(c.PayAddress, "USDT", decimal.RequireFromString("5"))
	if err := f.srv.Refund(cid); err == nil {
		t.Error("Refund(custody deposit) = nil, want an error: custody deposits have no refunded status")
	}
	f.clock.Advance(2 * time.Minute)
	if st, err := f.client.PaymentStatus(ctx, heropayments.FlowCustody, heropayments.Ref{ExternalOrderID: "cus-1"}); err != nil || st.Status != heropayments.StatusFinished {
		t.Fatalf("custody deposit after two steps = %+v, %v; want finished", st, err)
	}
	if _, err := f.client.PaymentStatus(ctx, heropayments.FlowV2, heropayments.Ref{ExternalOrderID: "cus-1"}); !errors.Is(err, heropayments.ErrNotFound) {
		t.Errorf("custody payment through the V2 status route = %v, want ErrNotFound", err)
	}
}

func TestHeropaymentsWithdrawalLimits(t *testing.T) {
	f := newHPFixture(t, true)
	ctx := f.ctx
	w := func(id, customer, amount string) heropayments.WithdrawalRequest {
		return heropayments.WithdrawalRequest{ExternalOrderID: id, CustomerID: customer, Currency: "USDT",
			Amount: heropayments.MustAmount(amount), Address: "T" + customer, CallbackURL: f.cbURL}
	}
	var le *heropayments.LimitError
	p, err := f.client.CreateWithdrawal(ctx, heropayments.FlowV2, w("wd-1", "alice", "150"), heropayments.WithdrawalOptions{})
	if err != nil || p.Status != heropayments.StatusWaiting {
		t.Fatalf("withdrawal within both limits = %+v, %v", p, err)
	}
	before := len(f.srv.Payments())
	if _, err := f.client.CreateWithdrawal(ctx, heropayments.FlowV2, w("wd-2", "alice", "60"), heropayments.WithdrawalOptions{}); !errors.As(err, &le) || le.Scope != heropayments.ScopeCustomer {
		t.Fatalf("alice over her daily limit = %v, want a customer LimitError", err)
	}
	bob, err := f.client.CreateWithdrawal(ctx, heropayments.FlowV2, w("wd-3", "bob", "200"), heropayments.WithdrawalOptions{})
	if err != nil {
		t.Fatalf("bob within both limits = %v", err)
	}
	if _, err := f.client.CreateWithdrawal(ctx, heropayments.FlowV2, w("wd-4", "carol", "151"), heropayments.WithdrawalOptions{}); !errors.As(err, &le) || le.Scope != heropayments.ScopeMerchant {
		t.Fatalf("carol over the merchant limit = %v, want a merchant LimitError", err)
	}
	if n := len(f.srv.Payments()); n != before+1 {
		t.Fatalf("simulator holds %d payments, want %d: refused withdrawals must not be sent", n, before+1)
	}
	// The simulator enforces the same limits for a client that does not.
	bare, err := heropayments.NewClient(heropayments.Config{BaseURL: f.srv.URL(), APIKey: hpTestKey, APISecret: hpTestSecret})
	if err != nil {
		t.Fatal(err)
	}
	var ae *heropayments.APIError
	if _, err := bare.CreateWithdrawal(ctx, heropayments.FlowV2, w("wd-5", "carol", "151"), heropayments.WithdrawalOptions{}); !errors.As(err, &ae) || ae.Code != "MERCHANT_DAILY_LIMIT" {
		t.Fatalf("server-side merchant limit = %v, want APIError MERCHANT_DAILY_LIMIT", err)
	}
	if _, err := bare.CreateWithdrawal(ctx, heropayments.FlowV2, w("wd-6", "alice", "51"), heropayments.WithdrawalOptions{}); !errors.As(err, &ae) || ae.Code != "CUSTOMER_DAILY_LIMIT" {
		t.Fatalf("server-side customer limit = %v, want APIError CUSTOMER_DAILY_LIMIT", err)
	}
	if _, err := bare.CreateWithdrawal(ctx, heropayments.FlowV2, w("wd-1", "dave", "1"), heropayments.WithdrawalOptions{}); !errors.Is(err, heropayments.ErrConflict) {
		t.Fatalf("reused externalOrderId = %v, want ErrConflict", err)
	}
	if b := f.srv.Balance(); !b.Equal(decimal.RequireFromString("650")) {
		t.Fatalf("balance %s after withdrawing 350, want 650", b)
	}
	if err := f.srv.Fail(bob.ID); err != nil {
		t.Fatal(err)
	}
	if cb := f.waitFor(t, "wd-3/original/failed"); cb.Outcome != heropayments.OutcomeFailed {
		t.Errorf("failed withdrawal outcome %s, want failed", cb.Outcome)
	}
	if b := f.srv.Balance(); !b.Equal(decimal.RequireFromString("850")) {
		t.Fatalf("balance %s after bob's withdrawal failed, want 850 (200 returned)", b)
	}
	f.clock.Advance(2 * time.Minute)
	if cb := f.waitFor(t, "wd-1/original/finished"); cb.Outcome != heropayments.OutcomeSuccess {
		t.Errorf("withdrawal finished outcome %s, want success", cb.Outcome)
	}
	f.waitFor(t, "wd-1/original/sending")
	// The next day both limits start again.
	f.clock.Advance(24 * time.Hour)
	if _, err := f.client.CreateWithdrawal(ctx, heropayments.FlowV2, w("wd-7", "alice", "200"), heropayments.WithdrawalOptions{}); err != nil {
		t.Fatalf("next day, alice's full limit = %v", err)
	}
}

func TestHeropaymentsLostAndDuplicatedCallbacks(t *testing.T) {
	f := newHPFixture(t, false)
	ctx := f.ctx
	// Lost: every callback of this deposit is dropped; polling recovers it.
	f.srv.DropCallbacks(3)
	p, err := f.client.CreateDeposit(ctx, heropayments.FlowV2, heropayments.DepositRequest{ExternalOrderID: "dep-lost",
		CustomerID: "erin", Currency: "USDT", CallbackURL: f.cbURL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Pay(p.PayAddress, "USDT", decimal.RequireFromString("25.5")); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)
	st, err := f.client.PaymentStatus(ctx, heropayments.FlowV2, heropayments.Ref{ExternalOrderID: "dep-lost"})
	if err != nil || st.Status != heropayments.StatusFinished || st.MerchantAmount.String() != "25.5" {
		t.Fatalf("polled status = %+v, %v; want finished with 25.5 USDT", st, err)
	}
	if got := hpIDs(f.inbox.Callbacks()); len(got) != 0 {
		t.Fatalf("stored %v, want nothing: all three callbacks were dropped", got)
	}

	// Retried: the inbox fails once, the handler answers 500, and the
	// simulator delivers again after its backoff.
	f.inbox.mu.Lock()
	f.inbox.fail = 1
	f.inbox.mu.Unlock()
	q, err := f.client.CreateDeposit(ctx, heropayments.FlowV2, heropayments.DepositRequest{ExternalOrderID: "dep-dup",
		CustomerID: "erin", Currency: "USDT", CallbackURL: f.cbURL})
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.srv.Pay(q.PayAddress, "USDT", decimal.RequireFromString("1"))
	if err != nil {
		t.Fatal(err)
	}
	// The first delivery is refused; the retry is due 30s later on the
	// simulator's clock, counted from before that delivery.
	f.inbox.next(t, ctx, hpStore{id: "dep-dup/original/confirming", failed: true})
	if n := f.srv.Delivered(); n != 0 {
		t.Fatalf("Delivered = %d after a refused callback, want 0", n)
	}
	f.clock.Advance(30 * time.Second)
	f.inbox.next(t, ctx, hpStore{id: "dep-dup/original/confirming"})
	f.waitFor(t, "dep-dup/original/confirming")

	// Duplicated: the same callback again is acknowledged and stored once.
	if err := f.srv.Resend(id); err != nil {
		t.Fatal(err)
	}
	f.inbox.next(t, ctx, hpStore{id: "dep-dup/original/confirming", dup: true})
	n := 0
	for _, cb := range f.inbox.Callbacks() {
		if cb.ID == "dep-dup/original/confirming" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("dep-dup/original/confirming stored %d times, want once", n)
	}
}

// next waits for the next Store call and checks it is want.
func (b *hpInbox) next(t *testing.T, ctx context.Context, want hpStore) {
	t.Helper()
	select {
	case got := <-b.calls:
		if got != want {
			t.Fatalf("Store call %+v, want %+v", got, want)
		}
	case <-ctx.Done():
		t.Fatalf("Store call %+v never came", want)
	}
}

// TestHeropaymentsUnknownOutcome: a withdrawal applied upstream but
// answered 502 is reported as unknown with its externalOrderId, is not
// sent again, and is found by a status lookup with that id.
func TestHeropaymentsUnknownOutcome(t *testing.T) {
	f := newHPFixture(t, true)
	ctx := f.ctx
	f.srv.ErrorAfterApply(1)
	req := heropayments.WithdrawalRequest{ExternalOrderID: "wd-unknown", CustomerID: "frank", Currency: "USDT",
		Amount: heropayments.MustAmount("120"), Address: "Tfrank"}
	_, err := f.client.CreateWithdrawal(ctx, heropayments.FlowCustody, req, heropayments.WithdrawalOptions{})
	var ue *heropayments.UnknownOutcomeError
	if !errors.As(err, &ue) || ue.ExternalOrderID != "wd-unknown" {
		t.Fatalf("CreateWithdrawal answered 502 = %v, want an UnknownOutcomeError for wd-unknown", err)
	}
	if n := len(f.srv.Payments()); n != 1 {
		t.Fatalf("simulator holds %d payments, want exactly 1: never resent", n)
	}
	st, err := f.client.PaymentStatus(ctx, heropayments.FlowCustody, heropayments.Ref{ExternalOrderID: ue.ExternalOrderID})
	if err != nil || st.Status != heropayments.StatusPending || st.MerchantAmount.String() != "120" {
		t.Fatalf("lookup by externalOrderId = %+v, %v; want the pending withdrawal", st, err)
	}
	// The unknown outcome stayed counted against frank's limit (120 of 200).
	req.ExternalOrderID, req.Amount = "wd-next", heropayments.MustAmount("81")
	var le *heropayments.LimitError
	if _, err := f.client.CreateWithdrawal(ctx, heropayments.FlowCustody, req, heropayments.WithdrawalOptions{}); !errors.As(err, &le) {
		t.Fatalf("after an unknown outcome, 81 more = %v; want a LimitError (120 still counted)", err)
	}
}

func TestHeropaymentsRefusesBadSignatures(t *testing.T) {
	f := newHPFixture(t, false)
	ctx := f.ctx
	wrong, err := heropayments.NewClient(heropayments.Config{BaseURL: f.srv.URL(), APIKey: hpTestKey, APISecret: "not-the-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Balance(ctx, heropayments.FlowV2); !errors.Is(err, heropayments.ErrUnauthorized) {
		t.Errorf("GET with a bad signature = %v, want ErrUnauthorized", err)
	}
	if _, err := wrong.CreateDeposit(ctx, heropayments.FlowV2, heropayments.DepositRequest{ExternalOrderID: "x", CustomerID: "c", Currency: "BTC"}); !errors.Is(err, heropayments.ErrUnauthorized) {
		t.Errorf("POST with a bad signature = %v, want ErrUnauthorized", err)
	}
	if n := len(f.srv.Payments()); n != 0 {
		t.Errorf("%d payments after refused requests, want 0", n)
	}
	est, err := f.client.EstimatedPrice(ctx, heropayments.EstimateRequest{From: "BTC", To: "USDT", Amount: heropayments.MustAmount("0.5")})
	if err != nil || est.EstimatedAmount.String() != "30000" {
		t.Errorf("EstimatedPrice = %+v, %v; want 30000", est, err)
	}
	if m, err := f.client.MinAmount(ctx, "BTC"); err != nil || !m.MinAmount.IsPositive() {
		t.Errorf("MinAmount = %+v, %v", m, err)
	}
}

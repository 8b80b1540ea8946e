package inbound_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// The tests in this file run the whole path as paper mode wires it: the
// simulated venue changes state, its webhook emitter signs and posts the
// matching webhook over loopback to the webhookd endpoint, which verifies
// it and stores it in the bbolt inbox before answering; the processor then
// applies it. Synchronisation is the emitter's Flush (every state change so
// far acknowledged) followed by the processor's Sync.

const simSeed = 5150

// venueSim is a simulator whose webhooks go to e's endpoint, signed with
// the key e trusts, on a manual venue clock.
type venueSim struct {
	srv   *sim.Server
	v     *sim.Venue
	clock *clock.Manual
}

func (e *env) startSim(ctx context.Context, wo sim.WebhookOptions) *venueSim {
	e.t.Helper()
	clk := clock.NewManual(time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC))
	wo.URL, wo.Signer = e.srv.URL(), e.signer
	wo.MinBackoff, wo.MaxBackoff = time.Millisecond, 20*time.Millisecond
	srv, err := sim.Start(ctx, sim.Options{Seed: simSeed, Clock: clk.Clock(), AutoApproveWhitelist: true, Webhooks: wo})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { srv.Close() })
	return &venueSim{srv: srv, v: srv.Venue(), clock: clk}
}

// settle delivers every webhook of the state changes so far and waits
// for the processor to apply them.
func (e *env) settle(ctx context.Context, s *venueSim) {
	e.t.Helper()
	if err := s.srv.Webhooks().Flush(ctx); err != nil {
		e.t.Fatal(err)
	}
	if st := s.srv.Webhooks().Stats(); st.Failed != 0 {
		e.t.Fatalf("the simulator gave up on %d webhooks: %+v", st.Failed, st)
	}
	e.sync(ctx)
}

// advance moves the venue clock and applies what is due.
func (s *venueSim) advance(d time.Duration) {
	s.clock.Advance(d)
	s.v.Advance()
}

func (e *env) intentState(ctx context.Context, cid string) ledger.Intent {
	e.t.Helper()
	in, err := e.store.Intent(ctx, cid)
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

// withdraw records the intent and its transit as treasury does, then
// makes the withdrawal at the venue with the same Client-Id.
func (e *env) withdraw(ctx context.Context, s *venueSim, cid, amount string) sim.Withdrawal {
	e.t.Helper()
	sendingIntent(e.t, e.store, cid, ledger.IntentWithdrawal, ledger.TransitWithdrawal, "BTC", amount)
	if _, err := s.v.WhitelistAddress(sim.WhitelistRequest{Name: "cold " + cid, Asset: "BTC", Address: "bc1q" + cid, Network: "BTC"}); err != nil {
		e.t.Fatal(err)
	}
	w, err := s.v.Withdraw(sim.WithdrawalRequest{Asset: "BTC", Amount: d(amount), Address: "bc1q" + cid, Network: "BTC", ClientID: cid})
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// TestSimWithdrawalSettlesOnce: a simulated withdrawal's Created and
// status updates (CONFIRMING, then SUCCESS when the venue confirms it)
// move the intent and its in-transit posting exactly once.
func TestSimWithdrawalSettlesOnce(t *testing.T) {
	t.Logf("seed %d", simSeed)
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	s := e.startSim(ctx, sim.WebhookOptions{})
	transit := ledger.Transit(ledger.TransitWithdrawal, "wd-e2e")

	w := e.withdraw(ctx, s, "wd-e2e", "0.25")
	e.settle(ctx, s)
	if in := e.intentState(ctx, "wd-e2e"); in.State != ledger.StateSubmitted {
		t.Fatalf("after Created: intent %s, want submitted", in.State)
	}
	if n := e.outcome(webhook.EventWithdrawalCreated, inbound.OutcomeRecorded); n != 1 {
		t.Fatalf("Created recorded %d times, want 1", n)
	}

	s.advance(sim.DefaultConfirmAfter)
	e.settle(ctx, s)
	if in := e.intentState(ctx, "wd-e2e"); in.State != ledger.StateSubmitted || !balance(t, e.store, transit, "BTC").Equal(d("0.25")) {
		t.Fatalf("after CONFIRMING: intent %s, transit %s; want submitted, 0.25 in transit", in.State, balance(t, e.store, transit, "BTC"))
	}

	s.advance(sim.DefaultSettleAfter)
	e.settle(ctx, s)
	in := e.intentState(ctx, "wd-e2e")
	if in.State != ledger.StateSucceeded || in.VenueRef != w.ID {
		t.Fatalf("after SUCCESS: intent %+v, want succeeded with venue ref %s", in, w.ID)
	}
	if got := balance(t, e.store, transit, "BTC"); !got.IsZero() {
		t.Errorf("transit = %s, want 0", got)
	}
	if got := balance(t, e.store, ledger.ExternalAddress("BTC", "bc1qwd-e2e"), "BTC"); !got.Equal(d("0.25")) {
		t.Errorf("destination = %s, want 0.25", got)
	}
	if _, err := e.store.Entry(ctx, "wd-e2e:failed"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("wd-e2e:failed = %v, want none", err)
	}
	if n := e.outcome(webhook.EventWithdrawalStatusUpdated, inbound.OutcomeSettled); n != 1 {
		t.Errorf("settled %d times, want 1", n)
	}
	// Balance.Updated reached the registry with the venue's sequence.
	if snap, ok := e.proc.Registry().Balance("BTC"); !ok || snap.Sequence != int64(s.v.Balances().Sequence) {
		t.Errorf("registry BTC balance %+v (found %v), want sequence %d", snap, ok, s.v.Balances().Sequence)
	}
	mustVerify(t, e.store)
}

// TestSimWithdrawalFailureReverses: a withdrawal the venue fails puts the
// money back at the venue once and fails the intent.
func TestSimWithdrawalFailureReverses(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	s := e.startSim(ctx, sim.WebhookOptions{Faults: sim.WebhookFaults{Duplicate: 1}, Format: sim.WebhookFormat{CamelCase: true, EmbeddedData: true}})
	w := e.withdraw(ctx, s, "wd-fail", "0.5")
	if err := s.v.CompleteWithdrawal(w.ID, false); err != nil {
		t.Fatal(err)
	}
	e.settle(ctx, s)
	if in := e.intentState(ctx, "wd-fail"); in.State != ledger.StateFailed {
		t.Fatalf("intent %s, want failed", in.State)
	}
	if got := balance(t, e.store, ledger.VenueAvailable(ledger.Hercle), "BTC"); !got.Equal(d("0.5")) {
		t.Errorf("venue available = %s, want 0.5 back once", got)
	}
	if n := e.outcome(webhook.EventWithdrawalStatusUpdated, inbound.OutcomeFailed); n != 1 {
		t.Errorf("failed outcomes = %d, want 1", n)
	}
	mustVerify(t, e.store)
}

// TestSimDepositCreditsOnce: a pay-in to a virtual account and a crypto
// deposit, every webhook delivered twice, credit the venue account once
// each; the virtual account is registered.
func TestSimDepositCreditsOnce(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	s := e.startSim(ctx, sim.WebhookOptions{Faults: sim.WebhookFaults{Duplicate: 1}})
	acct, err := s.v.CreateDepositAccount(sim.DepositAccountRequest{Asset: "EUR", Network: "SEPA", FiatAccountID: "fac_1"})
	if err != nil {
		t.Fatal(err)
	}
	payIn, err := s.v.SimulatePayIn(sim.PayInRequest{Amount: d("1250.40"), ToAddress: acct.RefAccountID, FromType: "PERSON",
		PaymentScheme: "SCT", Reference: "inv-7", From: sim.Account{AccountHolderName: "Client", IBAN: "DE89370400440532013000"}})
	if err != nil {
		t.Fatal(err)
	}
	crypto, err := s.v.Credit("ETH", d("3.000000000000000001"))
	if err != nil {
		t.Fatal(err)
	}
	e.settle(ctx, s)

	for _, c := range []struct {
		tx, asset, amount string
	}{{payIn.Transaction.ID, "EUR", "1250.40"}, {crypto.ID, "ETH", "3.000000000000000001"}} {
		if _, err := e.store.Entry(ctx, ledger.DepositKey(c.tx)); err != nil {
			t.Errorf("deposit %s: %v", c.tx, err)
		}
		if got := balance(t, e.store, ledger.VenuePending(ledger.Hercle), marketAsset(c.asset)); !got.Equal(d(c.amount)) {
			t.Errorf("venue pending %s = %s, want %s", c.asset, got, c.amount)
		}
	}
	if got := balance(t, e.store, ledger.ExternalBank("DE89370400440532013000"), "EUR"); !got.Equal(d("-1250.40")) {
		t.Errorf("debtor bank = %s, want -1250.40", got)
	}
	if n := e.nDeposit.Load(); n != 2 {
		t.Errorf("deposit notifications = %d, want 2", n)
	}
	st := s.srv.Webhooks().Stats()
	if dup := series(t, e.hreg, "engine_hercle_webhooks_total", map[string]string{"outcome": "duplicate"}); dup == 0 || int64(dup) != st.Duplicates {
		t.Errorf("duplicates acknowledged = %v, sender duplicated %d", dup, st.Duplicates)
	}
	if va, ok := e.proc.Registry().VirtualAccount(acct.ID); !ok || va.Network != "SEPA" {
		t.Errorf("virtual account %+v (found %v)", va, ok)
	}
	mustVerify(t, e.store)
}

// TestSimOutOfOrderNeverMovesBackwards: the final status of a withdrawal
// overtakes its CONFIRMING (every event held back behind the next), and
// balance updates arrive out of sequence: the withdrawal settles once, the
// late CONFIRMING changes nothing, and the registry keeps the highest
// balance sequence. Every delivery is also duplicated.
func TestSimOutOfOrderNeverMovesBackwards(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	faults := sim.WebhookFaults{Reorder: 1, Duplicate: 1}
	s := e.startSim(ctx, sim.WebhookOptions{Faults: faults,
		Types: []string{sim.WebhookWithdrawalCreated, sim.WebhookWithdrawalStatusUpdated}})
	w := e.withdraw(ctx, s, "wd-ooo", "1")
	e.settle(ctx, s) // Created, held and released by the flush
	// CONFIRMING is held back behind SUCCESS.
	if err := s.v.CompleteWithdrawal(w.ID, true); err != nil {
		t.Fatal(err)
	}
	e.settle(ctx, s)
	if st := s.srv.Webhooks().Stats(); st.Reordered < 2 {
		t.Fatalf("reordered %d events, want CONFIRMING held behind SUCCESS: %+v", st.Reordered, st)
	}
	if in := e.intentState(ctx, "wd-ooo"); in.State != ledger.StateSucceeded {
		t.Fatalf("intent %s, want succeeded", in.State)
	}
	if n := e.outcome(webhook.EventWithdrawalStatusUpdated, inbound.OutcomeSettled); n != 1 {
		t.Errorf("settled %d times, want 1", n)
	}
	if n := e.outcome(webhook.EventWithdrawalStatusUpdated, inbound.OutcomeStale); n != 1 {
		t.Errorf("stale outcomes = %d, want 1 (CONFIRMING after SUCCESS)", n)
	}
	if got := balance(t, e.store, ledger.Transit(ledger.TransitWithdrawal, "wd-ooo"), "BTC"); !got.IsZero() {
		t.Errorf("transit = %s, want 0", got)
	}

	// Balance updates, pairwise swapped.
	b := e.startSim(ctx, sim.WebhookOptions{Faults: faults, Types: []string{sim.WebhookBalanceUpdated}})
	for range 5 {
		if _, err := b.v.Credit("USDT", d("10")); err != nil {
			t.Fatal(err)
		}
	}
	e.settle(ctx, b)
	snap, ok := e.proc.Registry().Balance("USDT")
	if want := b.v.Balances(); !ok || snap.Sequence != int64(want.Sequence) || !snap.Available.Equal(d("1000050")) {
		t.Errorf("registry USDT %+v (found %v), want sequence %d, available 1000050", snap, ok, want.Sequence)
	}
	if n := e.outcome(webhook.EventBalanceUpdated, inbound.OutcomeStale); n == 0 {
		t.Errorf("no balance update was stale: the reordering was not exercised")
	}
	mustVerify(t, e.store)
}

// TestSimForgedAndStaleRefused: the first delivery of every webhook has a
// bad signature (then a stale timestamp): each is refused with 400 and
// stores nothing; the retry is stored once and applied once.
func TestSimForgedAndStaleRefused(t *testing.T) {
	for _, c := range []struct {
		name    string
		faults  sim.WebhookFaults
		outcome string
	}{
		{"bad signature", sim.WebhookFaults{BadSignature: 1}, "bad_signature"},
		{"stale timestamp", sim.WebhookFaults{StaleTimestamp: 1}, "stale_timestamp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := deadline(t, 30*time.Second)
			e := newEnv(t, envOptions{})
			s := e.startSim(ctx, sim.WebhookOptions{Faults: c.faults, Types: []string{sim.WebhookDepositStatusUpdated}})
			for range 3 {
				if _, err := s.v.Credit("EUR", d("5")); err != nil {
					t.Fatal(err)
				}
			}
			e.settle(ctx, s)
			st := s.srv.Webhooks().Stats()
			refused := series(t, e.hreg, "engine_hercle_webhooks_total", map[string]string{"outcome": c.outcome})
			if st.Delivered != 3 || int64(refused) != 3 || st.Refused != 3 {
				t.Errorf("delivered %d, refused %d by the sender's count and %v by the receiver's; want 3, 3, 3", st.Delivered, st.Refused, refused)
			}
			var stored int
			if err := e.store.Events(ctx, ledger.SourceHercleWebhook, func(ev ledger.Event) error {
				stored++
				if ev.Deliveries != 1 {
					t.Errorf("event %s stored with %d deliveries, want 1: the refused attempt stored nothing", ev.ID, ev.Deliveries)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if stored != 3 {
				t.Errorf("stored %d events, want 3", stored)
			}
			if got := balance(t, e.store, ledger.VenuePending(ledger.Hercle), "EUR"); !got.Equal(d("15")) {
				t.Errorf("venue pending = %s, want 15", got)
			}
		})
	}
}

// TestChecklist is the webhook document's test checklist against the
// endpoint, the ledger inbox and the processor: 200 for a valid webhook,
// 400 for a bad signature, 400 for an expired timestamp, duplicates
// applied once; a refused request stores nothing.
func TestChecklist(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	now := time.Now()
	valid := e.signedDeposit(t, "evt-check-1", "tx-check-1", now)
	forged := e.signedDeposit(t, "evt-check-2", "tx-check-2", now)
	forged.sig = e.signedDeposit(t, "evt-check-2", "tx-check-other", now).sig
	expired := e.signedDeposit(t, "evt-check-3", "tx-check-3", now.Add(-6*time.Minute))

	for _, step := range []struct {
		name string
		r    signedRequest
		code int
	}{
		{"valid", valid, 200},
		{"bad signature", forged, 400},
		{"expired timestamp", expired, 400},
		{"duplicate", valid, 200},
	} {
		if got := e.post(t, ctx, c, step.r); got != step.code {
			t.Errorf("%s: %d, want %d", step.name, got, step.code)
		}
	}
	e.sync(ctx)
	var ids []string
	if err := e.store.Events(ctx, ledger.SourceHercleWebhook, func(ev ledger.Event) error {
		ids = append(ids, ev.ID)
		if ev.Deliveries != 2 {
			t.Errorf("%s: %d deliveries recorded, want 2", ev.ID, ev.Deliveries)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != "evt-check-1" {
		t.Errorf("stored %v, want only evt-check-1", ids)
	}
	entries, err := e.store.Entries(ctx, ledger.Filter{Kind: ledger.KindDeposit})
	if err != nil || len(entries) != 1 {
		t.Fatalf("deposit entries %d, %v; want 1", len(entries), err)
	}
	if n := e.nDeposit.Load(); n != 1 {
		t.Errorf("deposit applied %d times, want 1", n)
	}
}

// TestSimOverTLS: the endpoint serves HTTPS with a certificate generated
// for the test; the simulator, trusting it, delivers a deposit that is
// credited once.
func TestSimOverTLS(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	certFile, keyFile, cert := testCert(t)
	e := newEnv(t, envOptions{tlsCert: certFile, tlsKey: keyFile})
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	t.Cleanup(client.CloseIdleConnections)
	s := e.startSim(ctx, sim.WebhookOptions{Client: client, Types: []string{sim.WebhookDepositStatusUpdated}})
	if _, err := s.v.Credit("EUR", d("42")); err != nil {
		t.Fatal(err)
	}
	e.settle(ctx, s)
	if got := balance(t, e.store, ledger.VenuePending(ledger.Hercle), "EUR"); !got.Equal(d("42")) {
		t.Errorf("venue pending = %s, want 42", got)
	}
}

// TestSimPayeeAndEndUserRegistry: payee address reviews and end-user
// status changes made at the venue become queryable in the registry.
func TestSimPayeeAndEndUserRegistry(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	s := e.startSim(ctx, sim.WebhookOptions{})
	p, err := s.v.RegisterPayee(sim.Payee{Type: sim.PayeeCompany, Company: "Acme", Name: "Acme", Country: "IT"})
	if err != nil {
		t.Fatal(err)
	}
	pa, err := s.v.RegisterPayeeAddress(sim.PayeeAddress{PayeeID: p.ID, Name: "Acme EUR", Asset: "EUR",
		Address: "IT60X0542811101000000123456", Network: "SEPA", Params: map[string]string{"bic": "AABCDEFX"}})
	if err != nil {
		t.Fatal(err)
	}
	e.settle(ctx, s)
	if a, ok := e.proc.Registry().PayeeAddress(pa.ID); !ok || a.Approved() {
		t.Fatalf("new payee address %+v (found %v), want known and not approved", a, ok)
	}
	if _, err := s.v.SetPayeeAddressStatus(pa.ID, sim.PayeeAddressStatusApproved, "ok"); err != nil {
		t.Fatal(err)
	}
	u, err := s.v.RegisterEndUser(sim.Individual, map[string]json.RawMessage{"person": json.RawMessage(`{"firstName":"Ada","lastName":"Lovelace"}`)}, "10.0.0.1", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.v.SetEndUserStatus(u.ID, sim.EndUserSuspended); err != nil {
		t.Fatal(err)
	}
	e.settle(ctx, s)
	if a, ok := e.proc.Registry().PayeeAddress(pa.ID); !ok || !a.Approved() {
		t.Errorf("payee address %+v, want approved", a)
	}
	if got := e.proc.Registry().ApprovedPayeeAddresses(); len(got) != 1 || got[0].ID != pa.ID {
		t.Errorf("approved addresses %+v, want %s", got, pa.ID)
	}
	if pe, ok := e.proc.Registry().Payee(p.ID); !ok || pe.Company != "Acme" {
		t.Errorf("payee %+v (found %v)", pe, ok)
	}
	if eu, ok := e.proc.Registry().EndUser(u.ID); !ok || eu.Status != webhook.RegistrationSuspended || eu.Name != "Ada Lovelace" {
		t.Errorf("end user %+v (found %v), want Ada Lovelace, SUSPENDED", eu, ok)
	}
}

// testCert writes a self-signed certificate for 127.0.0.1, made now, and
// its key.
func testCert(t testing.TB) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "webhook"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "webhook.crt"), filepath.Join(dir, "webhook.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

func marketAsset(s string) market.Asset { return market.Asset(s) }

// signedRequest is one webhook signed with the simulator's key.
type signedRequest struct {
	body    []byte
	ts, sig string
}

// signedDeposit signs a successful deposit of 10 EUR at time at.
func (e *env) signedDeposit(t *testing.T, eventID, txID string, at time.Time) signedRequest {
	t.Helper()
	data, err := json.Marshal(deposit(txID, "SUCCESS", "10"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := sim.WebhookFormat{}.Envelope(eventID, string(webhook.EventDepositStatusUpdated), at, data)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	sig, err := e.signer.Sign(ts, body)
	if err != nil {
		t.Fatal(err)
	}
	return signedRequest{body: body, ts: ts, sig: sig}
}

// post sends r to the endpoint and returns the status.
func (e *env) post(t *testing.T, ctx context.Context, c *http.Client, r signedRequest) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL(), bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.HeaderTimestamp, r.ts)
	req.Header.Set(webhook.HeaderSignature, r.sig)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

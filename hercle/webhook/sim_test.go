package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/sim"
)

// The handler and the decoder are tested end to end against the
// simulator's webhook sender and emitter (package sim) on 127.0.0.1.

const seed = 42

// newClock is the venue's manual clock, at Wednesday 2025-12-03 09:00 UTC.
func newClock() *clock.Manual {
	return clock.NewManual(time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC))
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// signer is generated once per test binary (2048-bit generation is slow).
var signer = sync.OnceValues(sim.GenerateWebhookSigner)

func testSigner(t *testing.T) *sim.WebhookSigner {
	t.Helper()
	s, err := signer()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// inbox is a webhook.Inbox in memory that records the order of first
// stores. failFirst makes the first n Store calls fail.
type inbox struct {
	mu        sync.Mutex // guards the fields below
	order     []string
	bodies    map[string][]byte
	failFirst int
	calls     int
}

func (in *inbox) Store(ctx context.Context, w webhook.Received) (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls++
	if in.calls <= in.failFirst {
		return false, errors.New("store unavailable")
	}
	if in.bodies == nil {
		in.bodies = map[string][]byte{}
	}
	if _, ok := in.bodies[w.EventID]; ok {
		return true, nil
	}
	in.bodies[w.EventID] = w.Body
	in.order = append(in.order, w.EventID)
	return false, nil
}

func (in *inbox) stored() ([]string, map[string][]byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.order), in.bodies
}

// receiver is hercle's WebhookHandler on loopback, trusting the key the
// simulator wrote to a PEM file.
type receiver struct {
	srv   *httptest.Server
	inbox *inbox
	reg   *prometheus.Registry
}

func newReceiver(t *testing.T, s *sim.WebhookSigner, in *inbox) *receiver {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hercle-webhook.pem")
	if err := s.WritePublicKeyPEM(path); err != nil {
		t.Fatal(err)
	}
	keys, err := webhook.LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{inbox: in, reg: prometheus.NewRegistry()}
	h, err := webhook.NewHandler(webhook.Config{Keys: keys, Inbox: in, Metrics: r.reg})
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count(t *testing.T, outcome string) int64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "engine_hercle_webhooks_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == outcome {
				return int64(m.GetCounter().GetValue())
			}
		}
	}
	return 0
}

func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// webhookEvents are one per documented type, built as plain maps (the sender
// takes any JSON-marshallable data).
func webhookEvents() []struct {
	typ  webhook.EventType
	data any
} {
	return []struct {
		typ  webhook.EventType
		data any
	}{
		{webhook.EventDepositStatusUpdated, map[string]any{"Id": "tx1", "Type": "DEPOSIT", "Status": "SUCCESS", "Asset": "EUR", "Amount": hercle.MustNumber("1000.10")}},
		{webhook.EventWithdrawalCreated, map[string]any{"Id": "w1", "ClientId": "c1", "Amount": hercle.MustNumber("0.000000000000000001"), "Status": "CREATED"}},
		{webhook.EventWithdrawalStatusUpdated, map[string]any{"Id": "w1", "ClientId": "c1", "Status": "SUCCESS"}},
		{webhook.EventPayoutCreated, map[string]any{"Id": "p1", "Status": "CREATED", "Debtor": map[string]any{"Amount": 100, "Fee": 1.5}}},
		{webhook.EventPayoutStatusUpdated, map[string]any{"Id": "p1", "Status": "SUCCESS"}},
		{webhook.EventVirtualAccountRegistered, map[string]any{"Id": "ia1", "RefAccountType": "VIRTUAL_ACCOUNT"}},
		{webhook.EventBalanceUpdated, map[string]any{"UserId": "u", "Sequence": 7, "Assets": []any{map[string]any{"Name": "EUR", "Available": hercle.MustNumber("1500.5")}}}},
		{webhook.EventEndUserCreated, map[string]any{"Id": "eus1", "Person": map[string]any{"FirstName": "Mario"}}},
		{webhook.EventEndUserStatusUpdated, map[string]any{"Id": "eus2", "Business": map[string]any{"CompanyName": "Acme"}, "RegistrationStatus": "ACTIVE"}},
		{webhook.EventPayeeCreated, map[string]any{"Id": "payee1", "Type": "PERSON"}},
		{webhook.EventPayeeStatusUpdated, map[string]any{"Id": "pa1", "Status": 4}},
		{"Something.Undocumented", map[string]any{"x": 1}},
	}
}

// TestWebhookSenderEndToEnd posts every event type in each envelope form,
// with every fault injected, to hercle's real handler over loopback, and
// checks that each event is stored exactly once, decodes to its model, and
// that every injected fault was seen and refused by the receiver.
func TestWebhookSenderEndToEnd(t *testing.T) {
	const seed = 20250115
	t.Logf("seed %d", seed)
	var first *sim.WebhookSenderStats
	for _, format := range []sim.WebhookFormat{{}, {EmbeddedData: true}, {CamelCase: true}, {CamelCase: true, EmbeddedData: true}} {
		t.Run(fmt.Sprintf("camel=%v,embedded=%v", format.CamelCase, format.EmbeddedData), func(t *testing.T) {
			ctx := deadline(t)
			rc := newReceiver(t, testSigner(t), &inbox{})
			s, err := sim.NewWebhookSender(ctx, sim.WebhookSenderConfig{
				URL: rc.srv.URL + "/webhooks/hercle", Signer: testSigner(t), Format: format, Seed: seed,
				MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
				Faults: sim.WebhookFaults{Duplicate: 0.3, Reorder: 0.3, Delay: 0.3, BadSignature: 0.25, StaleTimestamp: 0.25, MaxDelay: 5 * time.Millisecond},
			})
			if err != nil {
				t.Fatal(err)
			}
			var sent []string
			types := map[string]webhook.EventType{}
			for round := range 3 {
				for _, e := range webhookEvents() {
					id, err := s.Send(ctx, string(e.typ), e.data)
					if err != nil {
						t.Fatalf("round %d: Send(%s): %v", round, e.typ, err)
					}
					sent = append(sent, id)
					types[id] = e.typ
				}
			}
			if err := s.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if _, err := s.Send(ctx, "Balance.Updated", map[string]any{}); !errors.Is(err, sim.ErrSenderClosed) {
				t.Errorf("Send after Close = %v, want ErrSenderClosed", err)
			}

			st := s.Stats()
			t.Logf("stats %+v", st)
			if first == nil {
				first = &st
			} else if st != *first {
				t.Errorf("same seed, other faults: %+v, first run %+v", st, *first)
			}
			order, bodies := rc.inbox.stored()
			if st.Queued != int64(len(sent)) || st.Delivered != int64(len(sent)) || st.Failed != 0 || len(order) != len(sent) {
				t.Fatalf("sent %d, stats %+v, stored %d", len(sent), st, len(order))
			}
			for _, id := range sent {
				body, ok := bodies[id]
				if !ok {
					t.Fatalf("event %s not stored", id)
				}
				ev, err := webhook.DecodeEvent(body)
				if err != nil {
					t.Fatalf("stored %s does not decode: %v", id, err)
				}
				if ev.EventID != id || ev.EventType != types[id] || ev.DataWasString == format.EmbeddedData || ev.EventType.Known() != (ev.Payload != nil) {
					t.Errorf("stored %s = %+v", id, ev.Envelope)
				}
			}
			// Every injected fault happened and the receiver saw it.
			if st.Duplicates == 0 || st.Reordered == 0 || st.Delayed == 0 || st.BadSignatures == 0 || st.StaleTimestamps == 0 {
				t.Errorf("a fault was never injected: %+v (raise the rates or change the seed)", st)
			}
			for outcome, want := range map[string]int64{
				"stored": int64(len(sent)), "duplicate": st.Duplicates,
				"bad_signature": st.BadSignatures, "stale_timestamp": st.StaleTimestamps,
			} {
				if got := rc.count(t, outcome); got != want {
					t.Errorf("receiver counted %d %s, want %d", got, outcome, want)
				}
			}
			if st.Attempts != int64(len(sent))+st.Duplicates+st.BadSignatures+st.StaleTimestamps || st.Refused != st.BadSignatures+st.StaleTimestamps {
				t.Errorf("attempts %d, refused %d: do not add up (%+v)", st.Attempts, st.Refused, st)
			}
			if slices.Equal(order, sent) {
				t.Errorf("%d events reordered by the sender, but stored in send order", st.Reordered)
			}
		})
	}
}

func TestWebhookSenderRetriesUntilStored(t *testing.T) {
	ctx := deadline(t)
	rc := newReceiver(t, testSigner(t), &inbox{failFirst: 3})
	s, err := sim.NewWebhookSender(ctx, sim.WebhookSenderConfig{
		URL: rc.srv.URL, Signer: testSigner(t), Seed: 1, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Send(ctx, string(webhook.EventBalanceUpdated), map[string]any{"UserId": "u", "Sequence": 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	order, _ := rc.inbox.stored()
	if st.Delivered != 1 || st.Attempts != 4 || st.Refused != 3 || !slices.Equal(order, []string{id}) {
		t.Errorf("stats %+v, stored %v; want delivered on the 4th attempt", st, order)
	}
	if got := rc.count(t, "store_failed"); got != 3 {
		t.Errorf("receiver store_failed = %d, want 3", got)
	}
}

func TestWebhookSigner(t *testing.T) {
	s := testSigner(t)
	keys, err := webhook.ParseKeys(s.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"EventId":"e","EventType":"Balance.Updated","Data":"{}"}`)
	sig, err := s.Sign("1705329000", body)
	if err != nil {
		t.Fatal(err)
	}
	v := webhook.Verifier{Keys: keys}
	if _, err := v.VerifySignature("1705329000", sig, body); err != nil {
		t.Errorf("hercle refuses the simulator's signature: %v", err)
	}
	if _, err := v.VerifySignature("1705329001", sig, body); !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("signature accepted for another timestamp: %v", err)
	}
	path := filepath.Join(t.TempDir(), "k.pem")
	if err := s.WritePublicKeyPEM(path); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != string(s.PublicKeyPEM()) {
		t.Errorf("written PEM differs: %v", err)
	}
	if _, err := sim.ParseWebhookSigner(s.PublicKeyPEM()); err == nil {
		t.Error("ParseWebhookSigner accepted a public key")
	}
	if _, err := sim.NewWebhookSender(context.Background(), sim.WebhookSenderConfig{Signer: s}); err == nil {
		t.Error("NewWebhookSender without a URL succeeded")
	}
}

package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/sim"
)

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

func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// inbox is a plain webhook receiver: it answers 200 to every POST and
// keeps each body by its envelope's event id, in the order first
// received. It does not verify signatures: the simulator's tests check
// what the simulator sends, and package hercle/webhook's tests verify it
// with the engine's handler.
type inbox struct {
	mu     sync.Mutex // guards the fields below
	order  []string
	bodies map[string][]byte
}

func (in *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var env struct {
		EventID string `json:"EventId"` // either casing: encoding/json matches keys without regard to case
	}
	if err != nil || json.Unmarshal(body, &env) != nil || env.EventID == "" {
		http.Error(w, "not a webhook envelope", http.StatusBadRequest)
		return
	}
	in.mu.Lock()
	if in.bodies == nil {
		in.bodies = map[string][]byte{}
	}
	if _, ok := in.bodies[env.EventID]; !ok {
		in.bodies[env.EventID] = body
		in.order = append(in.order, env.EventID)
	}
	in.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// webhookData reads a stored body's event type and data, unwrapping data
// sent as a JSON string.
func webhookData(t *testing.T, body []byte) (string, json.RawMessage) {
	t.Helper()
	var env struct {
		EventType string          `json:"EventType"`
		Data      json.RawMessage `json:"Data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("webhook body %s: %v", body, err)
	}
	if len(env.Data) > 0 && env.Data[0] == '"' {
		var s string
		if err := json.Unmarshal(env.Data, &s); err != nil {
			t.Fatalf("webhook data %s: %v", env.Data, err)
		}
		env.Data = json.RawMessage(s)
	}
	return env.EventType, env.Data
}

func (in *inbox) stored() ([]string, map[string][]byte) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.order), in.bodies
}

// emitFixture is a simulator sending webhooks to a plain receiver on
// loopback, whose listener is bound before the simulator starts so that
// the URL is known.
type emitFixture struct {
	sim   *sim.Server
	venue *sim.Venue
	clock *clock.Manual
	in    *inbox
	code  atomic.Int32 // if not 0, the receiver answers this instead
}

func startEmitting(t *testing.T, wo sim.WebhookOptions) *emitFixture {
	t.Helper()
	f := &emitFixture{clock: newClock(), in: &inbox{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := f.code.Load(); c != 0 {
			w.WriteHeader(int(c))
			return
		}
		f.in.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	wo.URL = ts.URL + "/webhooks/hercle"
	wo.PublicKeyFile = filepath.Join(t.TempDir(), "sim-webhook.pem")
	wo.MinBackoff, wo.MaxBackoff = time.Millisecond, 10*time.Millisecond
	srv, err := sim.Start(deadline(t), sim.Options{Seed: seed, Clock: f.clock.Clock(), AutoApproveWhitelist: true, Webhooks: wo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f.sim, f.venue = srv, srv.Venue()
	return f
}

func (f *emitFixture) flush(t *testing.T) {
	t.Helper()
	if err := f.sim.Webhooks().Flush(deadline(t)); err != nil {
		t.Fatal(err)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestWebhookSenderGivesUp(t *testing.T) {
	ctx := deadline(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	s, err := sim.NewWebhookSender(ctx, sim.WebhookSenderConfig{
		URL: srv.URL, Signer: testSigner(t), Seed: 1, MaxAttempts: 4, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, "Balance.Updated", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Failed != 1 || st.Delivered != 0 || st.Attempts != 4 {
		t.Errorf("stats %+v, want 1 failed after 4 attempts", st)
	}
}

// TestWebhookSenderCloseAbandons shows that Close returns when its context
// ends even while a delivery hangs, and that the goroutine has stopped.
func TestWebhookSenderCloseAbandons(t *testing.T) {
	ctx := deadline(t)
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // no answer until the client gives up or the test ends
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	s, err := sim.NewWebhookSender(ctx, sim.WebhookSenderConfig{URL: srv.URL, Signer: testSigner(t), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, "Balance.Updated", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("request never arrived")
	}
	closeCtx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Close(closeCtx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want context.Canceled", err)
	}
	if st := s.Stats(); st.Delivered != 0 || st.Failed != 1 {
		t.Errorf("stats %+v, want the hanging event failed", st)
	}
}

func TestWebhookSenderSeededIDs(t *testing.T) {
	ctx := deadline(t)
	rc := httptest.NewServer(&inbox{})
	defer rc.Close()
	ids := func() []string {
		s, err := sim.NewWebhookSender(ctx, sim.WebhookSenderConfig{URL: rc.URL, Signer: testSigner(t), Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(ctx)
		var out []string
		for range 3 {
			id, err := s.Send(ctx, "Balance.Updated", map[string]any{"UserId": "u"})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	a, b := ids(), ids()
	if !slices.Equal(a, b) || len(a[0]) != 36 || a[0] == a[1] {
		t.Errorf("seeded ids %v and %v, want equal, distinct, UUID-shaped", a, b)
	}
}

func TestWebhookEnvelopeForms(t *testing.T) {
	at := time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC)
	data := []byte(`{ "Amount": 1000.0 }`)
	for _, c := range []struct {
		f    sim.WebhookFormat
		want string
	}{
		{sim.WebhookFormat{}, `{"EventId":"e","EventType":"T","Timestamp":"2025-01-15T14:30:00Z","Data":"{\"Amount\":1000.0}"}`},
		{sim.WebhookFormat{CamelCase: true, EmbeddedData: true}, `{"eventId":"e","eventType":"T","timestamp":"2025-01-15T14:30:00Z","data":{"Amount":1000.0}}`},
	} {
		got, err := c.f.Envelope("e", "T", at, data)
		if err != nil || string(got) != c.want {
			t.Errorf("Envelope(%+v) = %s, %v; want %s", c.f, got, err, c.want)
		}
	}
	if _, err := (sim.WebhookFormat{}).Envelope("e", "T", at, []byte("{")); err == nil {
		t.Error("Envelope accepted invalid data")
	}
}

func TestWebhookEmitterOptionsAndClose(t *testing.T) {
	ctx := deadline(t)
	if _, err := sim.Start(ctx, sim.Options{Webhooks: sim.WebhookOptions{URL: "http://127.0.0.1:1/x", Signer: testSigner(t),
		Types: []string{"Balance.Updatd"}}}); err == nil || !strings.Contains(err.Error(), `unknown event type "Balance.Updatd"`) {
		t.Fatalf("Start with an unknown webhook type = %v, want an error naming it", err)
	}
	if _, err := sim.NewWebhookEmitter(ctx, sim.NewVenue(sim.Options{}), sim.WebhookOptions{}); err == nil {
		t.Fatal("NewWebhookEmitter without a URL succeeded")
	}
	srv, err := sim.Start(ctx, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Webhooks() != nil {
		t.Error("Webhooks() without Options.Webhooks is not nil")
	}
	srv.Close()

	f := startEmitting(t, sim.WebhookOptions{Signer: testSigner(t)})
	e := f.sim.Webhooks()
	if e.Signer() != testSigner(t) || e.PublicKeyFile() == "" {
		t.Errorf("Signer() or PublicKeyFile() do not report the options")
	}
	must[sim.Transaction](t)(f.venue.Credit("ETH", d("1")))
	f.flush(t)
	f.sim.Close()
	if err := e.Flush(ctx); !errors.Is(err, sim.ErrSenderClosed) {
		t.Errorf("Flush after Close = %v, want ErrSenderClosed", err)
	}
	// The venue keeps working after its emitter stopped.
	must[sim.Transaction](t)(f.venue.Credit("ETH", d("1")))

	// A standalone emitter stops with its context.
	ectx, cancel := context.WithCancel(ctx)
	v := sim.NewVenue(sim.Options{Seed: seed})
	em, err := sim.NewWebhookEmitter(ectx, v, sim.WebhookOptions{URL: "http://127.0.0.1:9/none", Signer: testSigner(t)})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	must[sim.Transaction](t)(v.Credit("ETH", d("1")))
	if err := em.Flush(ctx); !errors.Is(err, sim.ErrSenderClosed) {
		t.Errorf("Flush after the context ended = %v, want ErrSenderClosed", err)
	}
	em.Close()
}

func TestBankingHooks(t *testing.T) {
	v := sim.NewVenue(sim.Options{Seed: seed})
	u := must[sim.EndUser](t)(v.RegisterEndUser(sim.Individual, map[string]json.RawMessage{"person": json.RawMessage(`{"firstName":"A"}`)}, "1.2.3.4", ""))
	sub := v.Subscribe()
	defer sub.Close()
	ctx := deadline(t)

	if _, err := v.UpdateEndUser("eus_missing", sim.EndUserUpdate{IPAddress: "x"}); !errors.Is(err, sim.ErrNotFound) {
		t.Errorf("UpdateEndUser(missing) = %v, want ErrNotFound", err)
	}
	if _, err := v.UpdateEndUser(u.ID, sim.EndUserUpdate{}); !errors.Is(err, sim.ErrInvalid) {
		t.Errorf("UpdateEndUser(nothing) = %v, want ErrInvalid", err)
	}
	if _, err := v.UpdateEndUser(u.ID, sim.EndUserUpdate{Profile: map[string]json.RawMessage{"person": json.RawMessage(`{`)}}); !errors.Is(err, sim.ErrInvalid) {
		t.Errorf("UpdateEndUser(bad JSON) = %v, want ErrInvalid", err)
	}
	up := must[sim.EndUser](t)(v.UpdateEndUser(u.ID, sim.EndUserUpdate{Profile: map[string]json.RawMessage{"person": json.RawMessage(`{"firstName":"B"}`)}}))
	if string(up.Profile["person"]) != `{"firstName":"B"}` || up.IPAddress != "1.2.3.4" {
		t.Errorf("updated end user %+v", up)
	}
	if _, err := v.SetEndUserStatus(u.ID, "ACTIVE"); !errors.Is(err, sim.ErrConflict) {
		t.Errorf("SetEndUserStatus(same) = %v, want ErrConflict", err)
	}
	if _, err := v.SetEndUserStatus(u.ID, "FROZEN"); !errors.Is(err, sim.ErrInvalid) {
		t.Errorf("SetEndUserStatus(FROZEN) = %v, want ErrInvalid", err)
	}
	must[sim.EndUser](t)(v.SetEndUserStatus(u.ID, "suspended"))

	p := must[sim.Payee](t)(v.RegisterPayee(sim.Payee{Type: sim.PayeeIndividual, Name: "A", Country: "IT"}))
	pa := must[sim.PayeeAddress](t)(v.RegisterPayeeAddress(sim.PayeeAddress{PayeeID: p.ID, Asset: "USDT", Address: "0xabc", Network: "ETH"}))
	for _, c := range []struct {
		id     string
		status int
		want   error
	}{{"missing", 1, sim.ErrNotFound}, {pa.ID, 6, sim.ErrInvalid}, {pa.ID, -1, sim.ErrInvalid}, {pa.ID, 0, sim.ErrConflict}} {
		if _, err := v.SetPayeeAddressStatus(c.id, c.status, ""); !errors.Is(err, c.want) {
			t.Errorf("SetPayeeAddressStatus(%s, %d) = %v, want %v", c.id, c.status, err, c.want)
		}
	}
	must[sim.PayeeAddress](t)(v.SetPayeeAddressStatus(pa.ID, sim.PayeeAddressStatusDeleted, "closed"))
	if _, err := v.SetPayeeAddressStatus(pa.ID, sim.PayeeAddressStatusApproved, ""); !errors.Is(err, sim.ErrConflict) {
		t.Errorf("status change after deletion = %v, want ErrConflict", err)
	}

	var kinds []string
	for range 5 {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch e := ev.(type) {
		case sim.EndUserUpdated:
			kinds = append(kinds, "updated")
		case sim.EndUserStatusChanged:
			kinds = append(kinds, "status "+e.Previous+">"+e.EndUser.RegistrationStatus)
		case sim.PayeeCreated:
			kinds = append(kinds, "payee")
		case sim.PayeeAddressCreated:
			kinds = append(kinds, "address")
		case sim.PayeeAddressChanged:
			if !e.PayeeAddress.Deleted || e.PayeeAddress.Comment != "closed" {
				t.Errorf("deleted address %+v", e.PayeeAddress)
			}
			kinds = append(kinds, "address "+string(rune('0'+e.Previous))+">"+string(rune('0'+e.PayeeAddress.Status)))
		}
	}
	want := []string{"updated", "status ACTIVE>SUSPENDED", "payee", "address", "address 0>5"}
	if !slices.Equal(kinds, want) {
		t.Errorf("events %q, want %q", kinds, want)
	}
}

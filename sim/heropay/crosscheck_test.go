package heropay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/sim/heropay"
)

// TestClientClassifiesEveryStatusAsTheSimulator walks every status the
// simulator can give a payment of each flow and kind (its own reading of
// the document's lists) and checks, over the wire, that the client
// classes it the same: in the callback its handler stores, and in
// heropayments.Classify of the payment its status check returns. A status
// list misread by the client fails here, naming flow, kind and status.
func TestClientClassifiesEveryStatusAsTheSimulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const seed = 11
	t.Logf("simulator seed %d", seed)
	srv, err := heropay.Start(ctx, heropay.Options{APIKey: hpTestKey, APISecret: hpTestSecret, Seed: seed,
		Clock: clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)).Clock(), Balance: decimal.NewFromInt(1_000_000)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client, err := heropayments.NewClient(heropayments.Config{BaseURL: srv.URL(), APIKey: hpTestKey, APISecret: hpTestSecret,
		RateLimit: 1000, Burst: 100})
	if err != nil {
		t.Fatal(err)
	}
	inboxes := map[heropay.Flow]*heropayments.MemoryInbox{}
	mux := http.NewServeMux()
	for _, flow := range []heropay.Flow{heropay.FlowV2, heropay.FlowCustody} {
		inboxes[flow] = &heropayments.MemoryInbox{}
		h, err := heropayments.NewCallbackHandler(heropayments.HandlerConfig{Secret: hpTestSecret,
			Flow: heropayments.Flow(flow), Inbox: inboxes[flow]})
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle("/"+string(flow), h)
	}
	cb := httptest.NewServer(mux)
	defer cb.Close()

	outcome := map[heropay.Class]heropayments.Outcome{heropay.InProgress: heropayments.OutcomeInProgress,
		heropay.Failed: heropayments.OutcomeFailed, heropay.Succeeded: heropayments.OutcomeSuccess}
	n := 0
	for _, flow := range []heropay.Flow{heropay.FlowV2, heropay.FlowCustody} {
		for _, kind := range []heropay.Kind{heropay.KindDeposit, heropay.KindWithdrawal} {
			for _, st := range heropay.Statuses(flow, kind) {
				n++
				order := fmt.Sprintf("walk-%d", n)
				p := createPayment(ctx, t, client, flow, kind, order, cb.URL+"/"+string(flow))
				if err := srv.SetStatus(p.ID, st); err != nil {
					t.Fatalf("SetStatus(%s %s, %s): %v", flow, kind, st, err)
				}
				want := outcome[heropay.ClassOf(flow, kind, st)]
				got := waitCallback(ctx, t, inboxes[flow], order+"/original/"+string(st))
				if got.Outcome != want {
					t.Errorf("%s %s %q: the client's callback handler says %s, the simulator's list %s", flow, kind, st, got.Outcome, want)
				}
				polled, err := client.PaymentStatus(ctx, heropayments.Flow(flow), heropayments.Ref{ExternalOrderID: order})
				if err != nil {
					t.Fatal(err)
				}
				if o := heropayments.Classify(heropayments.Flow(flow), polled.Type, polled.Status); o != want || string(polled.Status) != string(st) {
					t.Errorf("%s %s %q: polled as %q, which the client classes %s; the simulator's list says %s", flow, kind, st, polled.Status, o, want)
				}
			}
		}
	}
	if n != 9+9+7+6 {
		t.Errorf("walked %d statuses, want the document's 31", n)
	}
}

// createPayment creates a deposit or a withdrawal through the client.
func createPayment(ctx context.Context, t *testing.T, c *heropayments.Client, flow heropay.Flow, kind heropay.Kind, order, cbURL string) heropayments.Payment {
	t.Helper()
	var p heropayments.Payment
	var err error
	if kind == heropay.KindDeposit {
		p, err = c.CreateDeposit(ctx, heropayments.Flow(flow), heropayments.DepositRequest{ExternalOrderID: order,
			CustomerID: "walker", Currency: "USDT", CallbackURL: cbURL})
	} else {
		p, err = c.CreateWithdrawal(ctx, heropayments.Flow(flow), heropayments.WithdrawalRequest{ExternalOrderID: order,
			CustomerID: "walker", Currency: "USDT", Amount: heropayments.MustAmount("2"), Address: "Twalker", CallbackURL: cbURL},
			heropayments.WithdrawalOptions{})
	}
	if err != nil {
		t.Fatalf("create %s %s: %v", flow, kind, err)
	}
	return p
}

// waitCallback waits until inbox holds the callback with id.
func waitCallback(ctx context.Context, t *testing.T, inbox *heropayments.MemoryInbox, id string) heropayments.Callback {
	t.Helper()
	var got heropayments.Callback
	err := inbox.Wait(ctx, func(cbs []heropayments.Callback) bool {
		for _, cb := range cbs {
			if cb.ID == id {
				got = cb
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("callback %s never stored (%v); stored: %v", id, err, hpIDs(inbox.Callbacks()))
	}
	return got
}

package merchant_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/merchant"
)

// FuzzApplyStoredEvent: whatever body a stored event holds (a verified
// callback's, or one read back from disk), applying it never panics, never
// unbalances the ledger, never takes a payout's transit below zero, and
// ends with the event processed or quarantined, never stuck failing.
func FuzzApplyStoredEvent(f *testing.F) {
	for _, s := range []string{
		`{"externalOrderId":"d1","type":"deposit","status":"finished","currency":"USDT","merchantAmount":10}`,
		`{"externalOrderId":"d1","sequence":"4fb7defa35a056ecc64fc74ea97ef90f","type":"deposit","status":"sending","currency":"BTC","paidAmount":0.01,"merchantAmount":600}`,
		`{"externalOrderId":"d1","type":"deposit","status":"finished","currency":"BTC","amount":1e-7}`,
		`{"externalOrderId":"d1","type":"deposit","status":"finished","currency":"usdt","merchantAmount":-5}`,
		`{"externalOrderId":"d1","type":"deposit","status":"finished","currency":"USDT","merchantAmount":1e300}`,
		`{"externalOrderId":"d1","type":"deposit","status":"finished","currency":"US DT","paidAmount":0.0000000000000000001}`,
		`{"externalOrderId":"` + strings.Repeat("x", 2000) + `","type":"deposit","status":"finished","currency":"USDT","merchantAmount":1}`,
		`{"externalOrderId":"po-f","type":"withdrawal","status":"finished","currency":"BTC","amount":0.001,"address":"bc1q x"}`,
		`{"externalOrderId":"po-f","type":"withdrawal","status":"refunded","currency":"USDT","amount":10}`,
		`{"externalOrderId":"po-f","status":"finished"}`,
		`{"externalOrderId":"po-f","type":"WITHDRAWAL","status":"finished","network":"\u0000"}`,
		`{"externalOrderId":"d2","status":"finished","Type":"deposit"}`,
		`{"externalOrderId":"d3","sequence":"","type":"deposit","status":"expired"}`,
		`{"externalOrderId":"d1","sequence":"original","type":"deposit"}`,
		`[1,2]`, `not json`, ``,
	} {
		f.Add([]byte(s), false, byte(0))
	}
	f.Add([]byte(`{"externalOrderId":"t1","sequence":"original","type":"deposit","customerId":"c","currency":"BTC"}`), true, byte(1))
	f.Add([]byte(`{"sequence":"original"}`), true, byte(0))
	f.Fuzz(func(t *testing.T, body []byte, track bool, flowByte byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		clk := clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
		store, err := ledger.Open(filepath.Join(t.TempDir(), "l.db"), ledger.Options{Clock: clk.Clock()})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		// The client is never called: the clock does not reach PollAfter.
		client, err := heropayments.NewClient(heropayments.Config{BaseURL: "http://127.0.0.1:9", APIKey: testKey, APISecret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		p, err := merchant.New(merchant.Options{Ledger: store, Client: client, Secret: testSecret, Flow: heropayments.FlowV2, Clock: clk.Clock()})
		if err != nil {
			t.Fatal(err)
		}
		transit := ledger.Transit(ledger.TransitWithdrawal, "po-f")
		if _, _, err := store.CreateIntent(ctx, ledger.Intent{ClientID: "po-f", Kind: ledger.IntentPayout, Venue: ledger.Heropayments}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := store.Post(ctx, ledger.Entry{Key: "po-f:sent", Kind: ledger.KindWithdrawal, Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(ledger.Heropayments), Asset: "USDT", Amount: d("-10")},
			{Account: transit, Asset: "USDT", Amount: d("10")},
		}}); err != nil {
			t.Fatal(err)
		}
		flow := heropayments.FlowV2
		if flowByte%2 == 1 {
			flow = heropayments.FlowCustody
		}
		origin := merchant.OriginCallback
		if track {
			origin = merchant.OriginTracked
		}
		if _, _, err := store.PutEvent(ctx, ledger.Event{Source: ledger.SourceHeropaymentsCallback, ID: "fuzz", Body: body,
			Meta: map[string]string{merchant.MetaOrigin: origin, merchant.MetaFlow: string(flow)}}); err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- p.Run(rctx) }()
		if err := p.Sync(ctx); err != nil {
			t.Fatalf("Sync = %v", err)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		if err := store.Verify(ctx); err != nil {
			t.Fatalf("Verify after %q: %v", body, err)
		}
		ev, err := store.GetEvent(ctx, ledger.SourceHeropaymentsCallback, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if _, q := p.Quarantined()["fuzz"]; ev.Processed.IsZero() && !q {
			t.Fatalf("event %q neither processed nor quarantined", body)
		}
		for _, a := range []string{"USDT", "BTC"} {
			if b, err := store.Balance(ctx, transit, market.Asset(a)); err != nil || b.IsNegative() {
				t.Fatalf("transit %s = %s, %v after %q", a, b, err, body)
			}
		}
	})
}

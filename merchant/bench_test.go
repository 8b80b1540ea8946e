package merchant_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/merchant"
)

// BenchmarkCallbackToCredit measures one successful deposit callback from
// the handler (verify, store durably, acknowledge) to its credit in the
// journal (apply, mark processed), on a real bbolt ledger.
func BenchmarkCallbackToCredit(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	store, err := ledger.Open(filepath.Join(b.TempDir(), "l.db"), ledger.Options{Clock: clk.Clock()})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	client, err := heropayments.NewClient(heropayments.Config{BaseURL: "http://127.0.0.1:9", APIKey: testKey, APISecret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	p, err := merchant.New(merchant.Options{Ledger: store, Client: client, Secret: testSecret, Flow: heropayments.FlowV2, Clock: clk.Clock()})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	h := p.Handler()
	b.ResetTimer()
	for i := range b.N {
		body, sig, err := heropayments.SignBody(testSecret, []byte(fmt.Sprintf(
			`{"externalOrderId":"b-%d","type":"deposit","status":"finished","currency":"BTC","paidAmount":0.01,"merchantAmount":600}`, i)))
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/callbacks/heropayments", bytes.NewReader(body))
		req.Header.Set(heropayments.SignHeader, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		if err := p.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := len(p.Payments()); n != b.N {
		b.Fatalf("%d payments applied, want %d", n, b.N)
	}
	cancel()
	<-done
}

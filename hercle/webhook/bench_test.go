package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"
)

// BenchmarkWebhookHandlerLoopback posts signed events to a Handler
// from 64 concurrent senders over loopback HTTP (keep-alive connections)
// and reports events per second and the 99th percentile of the time from
// sending a request to reading its 200. The inbox is in memory, so this
// measures the receiver (parse, verify, envelope, answer) and the HTTP
// stack; a durable inbox adds its own commit latency.
//
// Signing is done before the timer starts: a pool of 512 distinct events
// is reused, so later rounds are duplicates, which take the same path
// through the handler and the inbox.
//
//	go test ./hercle/webhook/ -run '^$' -bench BenchmarkWebhookHandlerLoopback -benchtime 20000x -count 3
func BenchmarkWebhookHandlerLoopback(b *testing.B) {
	const senders, pool = 64, 512
	now := time.Unix(1760000000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	inbox := newMemInbox()
	h, err := NewHandler(Config{
		Keys: []Key{testWebhookKey(b)}, Inbox: inbox, Clock: clock.NewManual(now).Clock(),
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: senders, MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	type signed struct {
		body []byte
		sig  string
	}
	data := []byte(`{"Id":"987e6543-e21b-12d3-a456-426614174000","ClientId":"client_001","Amount":500.0,"Fee":1.5,"Asset":"EUR","Status":"SUCCESS","Network":"SEPA"}`)
	events := make([]signed, pool)
	for i := range events {
		body := envelopeA(b, fmt.Sprintf("evt_%06d", i), EventWithdrawalStatusUpdated, data)
		events[i] = signed{body, signWebhook(b, testSigner(), ts, body)}
	}

	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for range senders {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				ev := events[i%pool]
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, bytes.NewReader(ev.body))
				if err != nil {
					b.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(HeaderTimestamp, ts)
				req.Header.Set(HeaderSignature, ev.sig)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat[i] = time.Since(t0)
				if res.StatusCode != http.StatusOK {
					b.Errorf("status %d", res.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds())/1000, "p99-ms")
	if stored, _ := inbox.snapshot(); len(stored) != min(pool, b.N) {
		b.Errorf("inbox holds %d events, want %d", len(stored), min(pool, b.N))
	}
}

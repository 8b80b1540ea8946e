package webhookd_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/webhookd"
)

// floodSecondsEnv makes TestWebhookFlood run for that many seconds (the
// soak version); BenchmarkWebhookFlood runs it for 20 seconds.
const floodSecondsEnv = "WEBHOOK_FLOOD_SECONDS"

// flood describes one run: attackers connections posting forged webhooks
// of bodySize bytes (signed by a key the endpoint does not trust) as fast
// as they are answered, for d, while one client posts a validly signed
// webhook every legitEvery.
type flood struct {
	attackers  int
	bodySize   int
	d          time.Duration
	legitEvery time.Duration
}

// floodResult is what a run measured.
type floodResult struct {
	forged      int64         // forged requests answered
	forgedCodes map[int]int64 // their statuses
	forgedErrs  int64         // forged requests that got no answer (connection closed mid-body)
	legit       int           // legitimate webhooks posted
	legitOK     int           // answered 200
	legitMax    time.Duration // slowest legitimate answer
	logBytes    int           // everything the endpoint logged
	logLines    int           //
	refused     float64       // engine_webhookd_refused_total, all reasons
	peakHeap    uint64        // largest heap (objects) sampled during the flood
	peakRSS     uint64        // largest VmRSS sampled during the flood
	hwm         uint64        // VmHWM at the end: the process's peak RSS so far
	logTail     string        // the last lines of the log, for a failure message
}

// runFlood starts an endpoint with the default limits and floods it.
func runFlood(tb testing.TB, f flood) floodResult {
	tb.Helper()
	ctx := deadline(tb, f.d+2*time.Minute)
	good, forger := mustSigner(tb, signerA), mustSigner(tb, signerB)
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	srv, err := webhookd.Start(ctx, enabled(keyFile(tb, good)), newInbox(), slogJSON(logs), reg)
	if err != nil {
		tb.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			srv.Close()
		}
	}()

	// One forged body, shared by every attacker: the endpoint, not the
	// test, should be what holds memory.
	now := time.Now()
	forged := signed(tb, forger, "evt-forged", now)
	if pad := f.bodySize - len(forged.body); pad > 0 {
		forged.body = append(forged.body[:len(forged.body)-1], []byte(`,"pad":"`+strings.Repeat("x", max(0, pad-10))+`"}`)...)
		if forged.sig, err = forger.Sign(forged.ts, forged.body); err != nil {
			tb.Fatal(err)
		}
	}

	var res floodResult
	res.forgedCodes = map[int]int64{}
	var codesMu sync.Mutex
	var forgedN, forgedErrs atomic.Int64
	stop := time.Now().Add(f.d)
	attackers := &http.Transport{MaxIdleConnsPerHost: f.attackers, DisableCompression: true}
	defer attackers.CloseIdleConnections()
	var wg sync.WaitGroup
	for range f.attackers {
		wg.Go(func() {
			codes := map[int]int64{}
			for time.Now().Before(stop) && ctx.Err() == nil {
				code, _, err := send(ctx, attackers, srv.URL(), forged)
				if err != nil {
					forgedErrs.Add(1)
					continue
				}
				forgedN.Add(1)
				codes[code]++
			}
			codesMu.Lock()
			for c, n := range codes {
				res.forgedCodes[c] += n
			}
			codesMu.Unlock()
		})
	}

	// Memory, sampled while the flood lasts.
	sampled := make(chan struct{})
	sampleCtx, stopSampling := context.WithCancel(ctx)
	go func() {
		defer close(sampled)
		heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(heap)
			res.peakHeap = max(res.peakHeap, heap[0].Value.Uint64())
			res.peakRSS = max(res.peakRSS, procStatus(tb, "VmRSS"))
			select {
			case <-sampleCtx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	legit := &http.Transport{}
	defer legit.CloseIdleConnections()
	tick := time.NewTicker(f.legitEvery)
	for i := 0; time.Now().Before(stop); i++ {
		r := signed(tb, good, fmt.Sprintf("evt-legit-%d", i), time.Now())
		start := time.Now()
		code, _, err := send(ctx, legit, srv.URL(), r)
		res.legitMax = max(res.legitMax, time.Since(start))
		res.legit++
		if err == nil && code == http.StatusOK {
			res.legitOK++
		} else {
			tb.Errorf("legitimate webhook %d during the flood: %d %v, want 200", i, code, err)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
	tick.Stop()
	wg.Wait()
	stopSampling()
	<-sampled
	res.hwm = procStatus(tb, "VmHWM")
	if err := srv.Close(); err != nil {
		tb.Fatal(err)
	}
	closed = true
	res.forged, res.forgedErrs = forgedN.Load(), forgedErrs.Load()
	out := logs.String()
	lines := strings.SplitAfter(out, "\n")
	res.logBytes, res.logLines = len(out), strings.Count(out, "\n")
	res.logTail = strings.Join(lines[max(0, len(lines)-12):], "")
	for _, n := range counts(tb, reg, "engine_webhookd_refused_total", "reason") {
		res.refused += n
	}
	return res
}

// send posts r with its headers and reads the answer: its status, and
// whether the server closes the connection after it.
func send(ctx context.Context, rt http.RoundTripper, url string, r request) (code int, closed bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.body))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", r.contentType)
	req.Header.Set(webhook.HeaderTimestamp, r.ts)
	req.Header.Set(webhook.HeaderSignature, r.sig)
	res, err := rt.RoundTrip(req)
	if err != nil {
		return 0, false, err
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Close, err
}

// procStatus reads a "kB" field of /proc/self/status, in bytes; 0 where
// there is no such file.
func procStatus(tb testing.TB, field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				tb.Fatalf("/proc/self/status %s: %v", field, err)
			}
			return kb << 10
		}
	}
	return 0
}

// check asserts what a flood must never cost, and reports the figures.
func (r floodResult) check(tb testing.TB, f flood) {
	tb.Helper()
	tb.Logf("flood: %d attackers, %d-byte forged bodies, %s: %d forged answered %v, %d cut off; legitimate %d/%d answered 200, slowest %s; "+
		"log %d bytes in %d lines; engine_webhookd_refused_total %v; peak heap %.1f MiB, peak RSS during the flood %.1f MiB, VmHWM %.1f MiB",
		f.attackers, f.bodySize, f.d, r.forged, r.forgedCodes, r.forgedErrs, r.legitOK, r.legit, r.legitMax.Round(time.Millisecond),
		r.logBytes, r.logLines, r.refused, mib(r.peakHeap), mib(r.peakRSS), mib(r.hwm))
	if r.legit == 0 || r.legitOK != r.legit {
		tb.Errorf("legitimate webhooks answered 200: %d of %d, want all", r.legitOK, r.legit)
	}
	if r.forgedCodes[http.StatusBadRequest] == 0 {
		tb.Errorf("no forged webhook was refused as such (answers %v): the flood did not reach the handler", r.forgedCodes)
	}
	for code := range r.forgedCodes {
		if code != http.StatusBadRequest && code != http.StatusServiceUnavailable {
			tb.Errorf("forged webhooks answered %d (%v), want only 400 and 503", code, r.forgedCodes)
		}
	}
	if r.refused < float64(r.forged) || r.refused > float64(r.forged+r.forgedErrs) {
		tb.Errorf("engine_webhookd_refused_total = %v, want the %d forged requests answered (and at most the %d cut off)",
			r.refused, r.forged, r.forgedErrs)
	}
	if r.logBytes >= 1<<20 {
		tb.Errorf("the flood logged %d bytes in %d lines, want under 1 MiB; last lines:\n%s", r.logBytes, r.logLines, r.logTail)
	}
	// One line per legitimate webhook, the start and stop lines, the
	// samples and the summaries: nothing per forged request.
	if maxLines := r.legit + 2 + 6*(int(f.d/time.Minute)+1); r.logLines > maxLines {
		tb.Errorf("the flood logged %d lines, want at most %d; last lines:\n%s", r.logLines, maxLines, r.logTail)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// TestWebhookFlood: 200 connections post forged webhooks, small ones and
// 1 MiB ones, while a legitimate webhook is posted every 20 ms: each
// legitimate one is answered 200, the log stays small, and the memory
// figures are reported. It runs about a second per variant (less with
// -short); set WEBHOOK_FLOOD_SECONDS for a soak.
func TestWebhookFlood(t *testing.T) {
	d := 1500 * time.Millisecond
	if testing.Short() {
		d = 500 * time.Millisecond
	}
	if s := os.Getenv(floodSecondsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q, want a number of seconds", floodSecondsEnv, s)
		}
		d = time.Duration(n) * time.Second
	}
	for _, size := range []int{512, 1 << 20} {
		t.Run(fmt.Sprintf("body=%d", size), func(t *testing.T) {
			f := flood{attackers: 200, bodySize: size, d: d, legitEvery: 20 * time.Millisecond}
			runFlood(t, f).check(t, f)
		})
	}
}

// BenchmarkWebhookFlood is the 20-second version of TestWebhookFlood,
// reporting the figures as metrics:
//
//	go test -run '^$' -bench WebhookFlood ./webhookd/
func BenchmarkWebhookFlood(b *testing.B) {
	for _, size := range []int{512, 1 << 20} {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			f := flood{attackers: 200, bodySize: size, d: 20 * time.Second, legitEvery: 20 * time.Millisecond}
			var r floodResult
			for range b.N {
				r = runFlood(b, f)
				r.check(b, f)
			}
			b.ReportMetric(float64(r.forged)/f.d.Seconds(), "forged/s")
			b.ReportMetric(float64(r.legitMax.Milliseconds()), "legit-max-ms")
			b.ReportMetric(float64(r.logBytes), "log-bytes")
			b.ReportMetric(mib(r.peakHeap), "peak-heap-MiB")
			b.ReportMetric(mib(r.peakRSS), "peak-RSS-MiB")
			b.ReportMetric(mib(r.hwm), "VmHWM-MiB")
		})
	}
}

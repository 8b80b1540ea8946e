package webhookd_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/webhookd"
)

// gauge reads a gauge without labels from reg.
func gauge(tb testing.TB, reg *prometheus.Registry, name string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	tb.Fatalf("no gauge %s", name)
	return 0
}

// waitFor polls cond until it holds, failing the test when ctx ends.
func waitFor(tb testing.TB, ctx context.Context, what string, cond func() bool) {
	tb.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			tb.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// rawPost writes the head of a webhook POST declaring length bytes of
// body, and the first part of its body, on a connection of its own.
func rawPost(tb testing.TB, addr, path string, r request, length int, part []byte) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	_, err = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s: %s\r\n%s: %s\r\nContent-Length: %d\r\n\r\n%s",
		path, webhook.HeaderTimestamp, r.ts, webhook.HeaderSignature, r.sig, length, part)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// readStatus reads the status line and headers of the answer on c.
func readStatus(tb testing.TB, c net.Conn) *http.Response {
	tb.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		tb.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		tb.Fatalf("reading the answer: %v", err)
	}
	res.Body.Close()
	return res
}

// TestBodyBudget: a request whose body does not fit in what is left of
// max_inflight_bytes waits inflight_wait, then gets 503 with Retry-After
// (counted as busy) without its handler running; once the body holding
// the budget is done, requests fit again. A body declared over the limit
// is refused without being reserved or read.
func TestBodyBudget(t *testing.T) {
	noLeak(t)
	ctx := deadline(t, 30*time.Second)
	s := mustSigner(t, signerA)
	in := newInbox()
	reg := prometheus.NewRegistry()
	cfg := enabled(keyFile(t, s))
	cfg.BodyLimit = 4096
	cfg.MaxInflightBytes = 4096
	cfg.InflightWait = tomlval.Dur(20 * time.Millisecond)
	srv, err := webhookd.Start(ctx, cfg, in, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	path := webhookd.DefaultPath

	// A sender that declares the whole budget and sends part of it.
	holder := signed(t, s, "evt-holder", time.Now())
	held := rawPost(t, srv.Addr().String(), path, holder, 4096, holder.body[:10])
	waitFor(t, ctx, "the first body to reserve the budget", func() bool {
		return gauge(t, reg, "engine_webhookd_inflight_bytes") == 4096
	})

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL(), strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "1" || !res.Close {
		t.Errorf("request while the budget is taken: %d Retry-After %q close %v %s, want 503, Retry-After 1, connection closed",
			res.StatusCode, res.Header.Get("Retry-After"), res.Close, b)
	}
	if n := counts(t, reg, "engine_webhookd_refused_total", "reason")["busy"]; n != 1 {
		t.Errorf("refused{busy} = %v, want 1", n)
	}
	// The handler never saw it: it counted nothing.
	if n := testutil.CollectAndCount(reg, "engine_hercle_webhooks_total"); n != 0 {
		t.Errorf("the handler counted %d outcomes, want none while only the budget refused", n)
	}

	// The rest of the held body arrives (padded to its declared length:
	// the signature then fails), its handler answers, and the budget is free.
	if _, err := held.Write(append(holder.body[10:], []byte(strings.Repeat(" ", 4096-len(holder.body)))...)); err != nil {
		t.Fatal(err)
	}
	if res := readStatus(t, held); res.StatusCode != http.StatusBadRequest || !res.Close {
		t.Errorf("held request = %d (close %v), want 400 and the connection closed", res.StatusCode, res.Close)
	}
	waitFor(t, ctx, "the budget to be released", func() bool {
		return gauge(t, reg, "engine_webhookd_inflight_bytes") == 0
	})
	if code, _ := post(t, ctx, c, srv.URL(), signed(t, s, "evt-after", time.Now())); code != http.StatusOK {
		t.Errorf("webhook after the budget was released = %d, want 200", code)
	}

	// Declared over the limit: 413 at once, nothing reserved.
	over := rawPost(t, srv.Addr().String(), path, signed(t, s, "evt-over", time.Now()), 1<<30, nil)
	if res := readStatus(t, over); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("body declared at 1 GiB = %d, want 413", res.StatusCode)
	}
	if g := gauge(t, reg, "engine_webhookd_inflight_bytes"); g != 0 {
		t.Errorf("inflight bytes after a refused 1 GiB declaration = %v, want 0", g)
	}
	if n := in.count(); n != 1 {
		t.Errorf("stored %d events, want only evt-after", n)
	}
}

// TestConnectionLimit: with max_connections connections open, the next
// one is not served until one of them closes.
func TestConnectionLimit(t *testing.T) {
	noLeak(t)
	ctx := deadline(t, 30*time.Second)
	s := mustSigner(t, signerA)
	reg := prometheus.NewRegistry()
	cfg := enabled(keyFile(t, s))
	cfg.MaxConnections = 2
	srv, err := webhookd.Start(ctx, cfg, newInbox(), nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	waitFor(t, ctx, "two connections to be accepted", func() bool {
		return gauge(t, reg, "engine_webhookd_connections") == 2
	})

	r := signed(t, s, "evt-third", time.Now())
	third := rawPost(t, srv.Addr().String(), webhookd.DefaultPath, r, len(r.body), r.body)
	if err := third.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n, err := third.Read(make([]byte, 1)); n != 0 || err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("third connection read %d bytes (%v) with two already open, want no answer while the limit holds", n, err)
	}
	if g := gauge(t, reg, "engine_webhookd_connections"); g != 2 {
		t.Errorf("connections = %v, want 2", g)
	}

	idle[0].Close()
	if res := readStatus(t, third); res.StatusCode != http.StatusOK {
		t.Errorf("third connection, once one closed: %d, want 200", res.StatusCode)
	}
}

// TestRefusalsAggregated: a burst of refused requests of several kinds
// costs a handful of log lines (the first few in detail, then one
// summary with the counts by reason and path, written at the latest on
// shutdown), never a body or a signature; accepted webhooks keep their
// line; every refusal is counted by reason and closes its connection.
func TestRefusalsAggregated(t *testing.T) {
	noLeak(t)
	ctx := deadline(t, 30*time.Second)
	s, forger := mustSigner(t, signerA), mustSigner(t, signerB)
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	srv, err := webhookd.Start(ctx, enabled(keyFile(t, s)), newInbox(), slogJSON(logs), reg)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)

	const forged, probes, stale = 150, 40, 10
	forgedReq := signed(t, forger, "evt-forged", time.Now())
	for i := range forged + probes + stale {
		url, r := srv.URL(), forgedReq
		switch {
		case i >= forged+probes:
			r = signed(t, s, "evt-stale", time.Now().Add(-time.Hour))
		case i >= forged:
			url = fmt.Sprintf("%s/probe-%d", srv.BaseURL(), i)
		}
		code, closed, err := send(ctx, c.Transport, url, r)
		if err != nil {
			t.Fatal(err)
		}
		if code < 400 || !closed {
			t.Fatalf("refused request %d: %d, connection closed %v; want 4xx and closed", i, code, closed)
		}
	}
	if code, _ := post(t, ctx, c, srv.URL(), signed(t, s, "evt-good", time.Now())); code != http.StatusOK {
		t.Fatalf("good webhook = %d, want 200", code)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	byReason := counts(t, reg, "engine_webhookd_refused_total", "reason")
	if byReason["bad_signature"] != forged || byReason["not_found"] != probes || byReason["stale_timestamp"] != stale {
		t.Errorf("engine_webhookd_refused_total = %v, want bad_signature %d, not_found %d, stale_timestamp %d",
			byReason, forged, probes, stale)
	}

	var details, summaries, stored int
	var summary map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch rec["msg"] {
		case "webhook request refused":
			details++
		case "webhook request refusals":
			summaries++
			summary = rec
		case "webhook stored":
			stored++
		}
	}
	if details != 5 || summaries != 1 || stored != 1 {
		t.Errorf("log has %d detail lines, %d summaries, %d stored lines; want 5, 1, 1:\n%s", details, summaries, stored, logs.String())
	}
	if summary["total"] != float64(forged+probes+stale) {
		t.Errorf("summary total = %v, want %d", summary["total"], forged+probes+stale)
	}
	byPath, _ := summary["by_path"].(map[string]any)
	hercleCounts, _ := byPath[webhookd.DefaultPath].(map[string]any)
	if hercleCounts["bad_signature"] != float64(forged) || hercleCounts["stale_timestamp"] != float64(stale) {
		t.Errorf("summary by_path[%s] = %v, want bad_signature %d, stale_timestamp %d", webhookd.DefaultPath, hercleCounts, forged, stale)
	}
	for _, secret := range []string{forgedReq.sig, string(forgedReq.body)} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a signature or a body:\n%s", logs.String())
		}
	}
}

// TestSmallBodiesDoNotQueue: while large bodies hold what they may of the
// budget and another waits for room, a small webhook is served at once.
func TestSmallBodiesDoNotQueue(t *testing.T) {
	noLeak(t)
	ctx := deadline(t, 30*time.Second)
	s := mustSigner(t, signerA)
	reg := prometheus.NewRegistry()
	cfg := enabled(keyFile(t, s))
	cfg.BodyLimit = 256 << 10
	cfg.MaxInflightBytes = 384 << 10
	cfg.InflightWait = tomlval.Dur(20 * time.Second) // longer than the test: nothing may time out
	srv, err := webhookd.Start(ctx, cfg, newInbox(), nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr, path := srv.Addr().String(), webhookd.DefaultPath
	const large = 256 << 10
	r := signed(t, s, "evt-large", time.Now())
	padded := append(r.body, []byte(strings.Repeat(" ", large-len(r.body)))...)

	first := rawPost(t, addr, path, r, large, padded[:10])
	waitFor(t, ctx, "the first large body to reserve", func() bool {
		return gauge(t, reg, "engine_webhookd_inflight_bytes") == large
	})
	second := rawPost(t, addr, path, r, large, padded[:10])
	waitFor(t, ctx, "the second large body to wait", func() bool {
		return gauge(t, reg, "engine_webhookd_inflight_waiting") == 1
	})

	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	if code, _ := post(t, ctx, c, srv.URL(), signed(t, s, "evt-small", time.Now())); code != http.StatusOK {
		t.Errorf("small webhook while a large body waits = %d, want 200 at once", code)
	}
	if w := gauge(t, reg, "engine_webhookd_inflight_waiting"); w != 1 {
		t.Errorf("waiting = %v after the small webhook, want the second large body still waiting", w)
	}

	// The first finishes (the padding breaks its signature); the second gets its room.
	for _, conn := range []net.Conn{first, second} {
		if _, err := conn.Write(padded[10:]); err != nil {
			t.Fatal(err)
		}
		if res := readStatus(t, conn); res.StatusCode != http.StatusBadRequest {
			t.Errorf("large body = %d, want 400", res.StatusCode)
		}
	}
	waitFor(t, ctx, "the budget to be released", func() bool {
		return gauge(t, reg, "engine_webhookd_inflight_bytes") == 0 && gauge(t, reg, "engine_webhookd_inflight_waiting") == 0
	})
}

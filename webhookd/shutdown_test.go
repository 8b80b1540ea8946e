package webhookd_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/otcdesk/engine/webhookd"
)

// waitRefused polls until nothing accepts connections on addr.
func waitRefused(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		select {
		case <-ctx.Done():
			t.Fatalf("%s still accepts connections", addr)
		case <-tick.C:
		}
	}
}

type result struct {
	code int
	err  error
}

// TestGracefulShutdown: a request whose event is being stored when the
// shutdown starts finishes and gets its 200; the listener closes at once.
func TestGracefulShutdown(t *testing.T) {
	noLeak(t)
	ctx := deadline(t, 30*time.Second)
	s := mustSigner(t, signerA)
	in := blockingInbox()
	srv, err := webhookd.Start(ctx, enabled(keyFile(t, s)), in, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)

	r := signed(t, s, "evt-inflight", time.Now())
	answered := make(chan result, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL(), bytesReader(r.body))
		req.Header.Set("Content-Type", r.contentType)
		req.Header.Set("X-Webhook-Timestamp", r.ts)
		req.Header.Set("X-Webhook-Signature", r.sig)
		res, err := c.Do(req)
		if err != nil {
			answered <- result{err: err}
			return
		}
		res.Body.Close()
		answered <- result{code: res.StatusCode}
	}()
	<-in.entered

	stopped := make(chan error, 1)
	go func() { stopped <- srv.Shutdown(ctx) }()
	waitRefused(t, ctx, srv.Addr().String())
	select {
	case <-srv.Done():
		t.Fatal("server stopped with a request in flight")
	default:
	}
	close(in.release)
	if got := <-answered; got.err != nil || got.code != http.StatusOK {
		t.Fatalf("in-flight request: %+v, want 200", got)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Shutdown() = %v", err)
	}
	<-srv.Done()
	if srv.Err() != nil || srv.Close() != nil {
		t.Errorf("Err() = %v, Close() after Shutdown = %v; want nil", srv.Err(), srv.Close())
	}
	if in.count() != 1 {
		t.Errorf("stored %d, want the in-flight event", in.count())
	}
}

// TestShutdownDeadline: a request still storing at the deadline is cut
// off without a 200 (so the sender retries it), and Shutdown says so.
func TestShutdownDeadline(t *testing.T) {
	noLeak(t)
	ctx := deadline(t, 30*time.Second)
	s := mustSigner(t, signerA)
	in := blockingInbox()
	srv, err := webhookd.Start(ctx, enabled(keyFile(t, s)), in, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	answered := make(chan result, 1)
	go func() {
		r := signed(t, s, "evt-stuck", time.Now())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL(), bytesReader(r.body))
		req.Header.Set("Content-Type", r.contentType)
		req.Header.Set("X-Webhook-Timestamp", r.ts)
		req.Header.Set("X-Webhook-Signature", r.sig)
		res, err := c.Do(req)
		if err != nil {
			answered <- result{err: err}
			return
		}
		res.Body.Close()
		answered <- result{code: res.StatusCode}
	}()
	<-in.entered
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown() = %v, want the deadline", err)
	}
	if got := <-answered; got.code == http.StatusOK {
		t.Fatalf("request cut off by the shutdown got 200")
	}
	<-srv.Done()
}

// TestContextEndStops: ending Start's context shuts the server down.
func TestContextEndStops(t *testing.T) {
	noLeak(t)
	ctx, cancel := context.WithCancel(deadline(t, 30*time.Second))
	srv, err := webhookd.Start(ctx, enabled(keyFile(t, mustSigner(t, signerA))), newInbox(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server still serving 10s after its context ended")
	}
	waitRefused(t, deadline(t, 10*time.Second), srv.Addr().String())
}

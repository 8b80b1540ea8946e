package webhookd_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/webhookd"
)

// TestTLS serves HTTPS with a certificate generated for the test: a client
// trusting it gets 200; a plain-HTTP request to the port and a client that
// does not trust the certificate store nothing. Failed handshakes are
// refusals: counted, and logged in aggregate, not a line each.
func TestTLS(t *testing.T) {
	noLeak(t)
	ctx := deadline(t, 30*time.Second)
	s := mustSigner(t, signerA)
	now := time.Now()
	certFile, keyFile_, cert := testCert(t, "webhook", now.Add(-time.Hour), now.Add(24*time.Hour))
	_, _, stranger := testCert(t, "stranger", now.Add(-time.Hour), now.Add(24*time.Hour))
	cfg := enabled(keyFile(t, s))
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile_
	in := newInbox()
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	srv, err := webhookd.Start(ctx, cfg, in, slogJSON(logs), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL() = %q, want https://127.0.0.1:…", srv.URL())
	}

	c := tlsClient(cert)
	t.Cleanup(c.CloseIdleConnections)
	if code, body := post(t, ctx, c, srv.URL(), signed(t, s, "evt-tls", time.Now())); code != http.StatusOK {
		t.Fatalf("HTTPS webhook: %d %s, want 200", code, body)
	}

	plain := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	t.Cleanup(plain.CloseIdleConnections)
	const plainRequests = 20
	for range plainRequests {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http"+strings.TrimPrefix(srv.URL(), "https"),
			bytes.NewReader(signed(t, s, "evt-plain", time.Now()).body))
		if res, err := plain.Do(req); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				t.Errorf("plain HTTP to the HTTPS port: 200, want a refusal")
			}
		}
	}

	untrusting := tlsClient(stranger)
	t.Cleanup(untrusting.CloseIdleConnections)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL(), bytes.NewReader(signed(t, s, "evt-mitm", time.Now()).body))
	if res, err := untrusting.Do(req); err == nil {
		res.Body.Close()
		t.Errorf("client not trusting the certificate: %d, want a handshake error", res.StatusCode)
	}
	if n := in.count(); n != 1 {
		t.Errorf("stored %d events, want 1 (the HTTPS one)", n)
	}

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if n := counts(t, reg, "engine_webhookd_refused_total", "reason")["tls_handshake"]; n != plainRequests+1 {
		t.Errorf("refused{tls_handshake} = %v, want %d", n, plainRequests+1)
	}
	out := logs.String()
	if n := strings.Count(out, "TLS handshake error"); n != 0 {
		t.Errorf("%d failed handshakes were logged one by one:\n%s", n, out)
	}
	if n := strings.Count(out, `"msg":"webhook request refused"`); n != 5 {
		t.Errorf("%d failed handshakes logged in detail, want the first 5:\n%s", n, out)
	}
	if !strings.Contains(out, fmt.Sprintf(`"by_reason":{"tls_handshake":%d}`, plainRequests+1)) {
		t.Errorf("no summary of %d failed handshakes:\n%s", plainRequests+1, out)
	}
}

// TestTLSCertificateReload replaces the certificate files under a running
// server: the next handshake serves the new certificate; a pair that does
// not load leaves the last good one in use.
func TestTLSCertificateReload(t *testing.T) {
	noLeak(t)
	ctx := deadline(t, 30*time.Second)
	s := mustSigner(t, signerA)
	now := time.Now()
	certFile, keyFile_, first := testCert(t, "first", now.Add(-time.Hour), now.Add(24*time.Hour))
	cfg := enabled(keyFile(t, s))
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile_
	srv, err := webhookd.Start(ctx, cfg, newInbox(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	newCert, newKey, second := testCert(t, "second", now.Add(-time.Hour), now.Add(48*time.Hour))
	c := tlsClient(first, second)
	t.Cleanup(c.CloseIdleConnections)
	served := func() string {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL(), nil)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.TLS.PeerCertificates[0].Subject.CommonName
	}
	if got := served(); got != "first" {
		t.Fatalf("serving %q, want first", got)
	}

	replace := func(dst, src string, mod time.Time) {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(dst, mod, mod); err != nil { // a distinct stamp whatever the file system's resolution
			t.Fatal(err)
		}
	}
	replace(certFile, newCert, now.Add(time.Minute))
	replace(keyFile_, newKey, now.Add(time.Minute))
	if got := served(); got != "second" {
		t.Fatalf("after renewal serving %q, want second", got)
	}

	if err := os.WriteFile(keyFile_, []byte("truncated"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(keyFile_, now.Add(2*time.Minute), now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := served(); got != "second" {
		t.Fatalf("after a broken key file serving %q, want the last good certificate", got)
	}
	if err := os.Remove(certFile); err != nil {
		t.Fatal(err)
	}
	if got := served(); got != "second" {
		t.Fatalf("after the certificate file went missing serving %q, want the last good certificate", got)
	}
}

package webhookd_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/webhookd"
)

// signers are generated once per test binary (2048-bit generation is slow).
var (
	signerA = sync.OnceValues(sim.GenerateWebhookSigner)
	signerB = sync.OnceValues(sim.GenerateWebhookSigner)
)

func mustSigner(t testing.TB, f func() (*sim.WebhookSigner, error)) *sim.WebhookSigner {
	t.Helper()
	s, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// keyFile writes s's public key PEM into a temporary directory.
func keyFile(t testing.TB, s *sim.WebhookSigner) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hercle-webhook.pem")
	if err := s.WritePublicKeyPEM(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// memInbox is a webhook.Inbox in memory. With block set, Store
// announces itself on entered and waits for release (or its context).
type memInbox struct {
	block   bool
	entered chan string
	release chan struct{}

	mu         sync.Mutex // guards bodies and deliveries
	bodies     map[string][]byte
	deliveries map[string]int
}

func newInbox() *memInbox {
	return &memInbox{bodies: map[string][]byte{}, deliveries: map[string]int{}}
}

func blockingInbox() *memInbox {
	in := newInbox()
	in.block, in.entered, in.release = true, make(chan string, 16), make(chan struct{})
	return in
}

func (in *memInbox) Store(ctx context.Context, w webhook.Received) (bool, error) {
	if in.block {
		in.entered <- w.EventID
		select {
		case <-in.release:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.deliveries[w.EventID]++
	if _, ok := in.bodies[w.EventID]; ok {
		return true, nil
	}
	in.bodies[w.EventID] = w.Body
	return false, nil
}

func (in *memInbox) delivered(id string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.deliveries[id]
}

func (in *memInbox) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.bodies)
}

// enabled is a valid enabled section on loopback trusting keys.
func enabled(keys ...string) webhookd.Config {
	return webhookd.Config{Enabled: true, Addr: "127.0.0.1:0", PublicKeys: keys}
}

func deadline(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// request is one signed delivery.
type request struct {
	body        []byte
	ts, sig     string
	contentType string
}

// signed builds a deposit webhook signed by s at now.
func signed(t testing.TB, s *sim.WebhookSigner, eventID string, now time.Time) request {
	t.Helper()
	data := fmt.Appendf(nil, `{"Id":"tx-%s","Type":"DEPOSIT","Status":"SUCCESS","Asset":"EUR","Amount":10.5}`, eventID)
	body, err := sim.WebhookFormat{}.Envelope(eventID, "Banking.Deposit.StatusUpdated", now, data)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	sig, err := s.Sign(ts, body)
	if err != nil {
		t.Fatal(err)
	}
	return request{body: body, ts: ts, sig: sig, contentType: "application/json"}
}

// post sends r and returns the status and answer body.
func post(t testing.TB, ctx context.Context, c *http.Client, url string, r request) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", r.contentType)
	if r.ts != "" {
		req.Header.Set(webhook.HeaderTimestamp, r.ts)
	}
	if r.sig != "" {
		req.Header.Set(webhook.HeaderSignature, r.sig)
	}
	req.Header.Set(webhook.HeaderID, "delivery-1")
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// testCert makes a self-signed ECDSA certificate for 127.0.0.1 valid over
// [notBefore, notAfter] and writes it and its key as PEM files.
func testCert(t testing.TB, cn string, notBefore, notAfter time.Time) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "webhook.crt"), filepath.Join(dir, "webhook.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

// tlsClient trusts exactly the given certificates and opens a new
// connection for every request, so each one makes a handshake.
func tlsClient(certs ...*x509.Certificate) *http.Client {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true,
	}}
}

// noLeak fails if the goroutine count does not come back to what it was
// when noLeak was called, within a deadline.
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		end := time.After(5 * time.Second)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			select {
			case <-end:
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines left running, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
				return
			case <-tick.C:
			}
		}
	})
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// slogJSON logs every level, DEBUG included, as JSON lines to w.
func slogJSON(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// counts returns the values of the metric name on reg by the value of
// label.
func counts(tb testing.TB, reg *prometheus.Registry, name, label string) map[string]float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					out[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// syncBuffer collects what the server logs; it is safe for its goroutines.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

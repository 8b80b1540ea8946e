package webhookd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/webhookd"
)

func TestStartRefusesBadConfiguration(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	good := keyFile(t, mustSigner(t, signerA))

	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	shortDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	short := writeFile(t, "short.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: shortDER}))
	privDER := x509.MarshalPKCS1PrivateKey(rsaKey)
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: privDER})
	private := writeFile(t, "private.pem", privPEM)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	ec := writeFile(t, "ec.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}))
	garbage := writeFile(t, "garbage.pem", []byte("not a key\n"))

	now := time.Now()
	certFile, keyFileTLS, _ := testCert(t, "ok", now.Add(-time.Hour), now.Add(time.Hour))
	otherCert, _, _ := testCert(t, "other", now.Add(-time.Hour), now.Add(time.Hour))
	expiredCert, expiredKey, _ := testCert(t, "expired", now.Add(-2*time.Hour), now.Add(-time.Hour))
	futureCert, futureKey, _ := testCert(t, "future", now.Add(time.Hour), now.Add(2*time.Hour))
	missing := "/nonexistent/webhook.pem"

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	with := func(f func(*webhookd.Config)) webhookd.Config {
		c := enabled(good)
		f(&c)
		return c
	}
	tests := []struct {
		name  string
		cfg   webhookd.Config
		inbox bool
		is    error
		want  []string
	}{
		{"disabled", webhookd.Config{Addr: "127.0.0.1:0", PublicKeys: []string{good}}, true, webhookd.ErrDisabled, nil},
		{"invalid section", with(func(c *webhookd.Config) { c.Path = "hook" }), true, nil, []string{"webhook: 1 problem(s):\n  path: must start with /"}},
		{"no inbox", enabled(good), false, nil, []string{"no inbox"}},
		{"no keys", enabled(), true, nil, []string{"webhook.public_keys is empty"}},
		{"missing key file", enabled(missing), true, nil, []string{"webhook.public_keys", missing, "no such file"}},
		{"garbage key file", enabled(garbage), true, webhook.ErrKey, []string{"webhook.public_keys", garbage, "no PEM public key found"}},
		{"private key file", enabled(private), true, webhook.ErrKey, []string{private, "a private key where a public key belongs"}},
		{"short key", enabled(short), true, webhook.ErrKey, []string{short, "1024 bits, want at least 2048"}},
		{"EC key", enabled(ec), true, webhook.ErrKey, []string{ec, "is not an RSA key"}},
		{"one bad among good", enabled(good, garbage), true, webhook.ErrKey, []string{garbage}},
		{"cert file missing", with(func(c *webhookd.Config) { c.TLSCert, c.TLSKey = missing, keyFileTLS }), true, os.ErrNotExist, []string{"webhook.tls_cert", missing}},
		{"key file missing", with(func(c *webhookd.Config) { c.TLSCert, c.TLSKey = certFile, missing }), true, os.ErrNotExist, []string{"webhook.tls_key", missing}},
		{"cert not PEM", with(func(c *webhookd.Config) { c.TLSCert, c.TLSKey = garbage, keyFileTLS }), true, nil, []string{"webhook.tls_cert " + garbage, "failed to find any PEM data"}},
		{"key does not match", with(func(c *webhookd.Config) { c.TLSCert, c.TLSKey = otherCert, keyFileTLS }), true, nil, []string{"webhook.tls_key " + keyFileTLS, "private key does not match public key"}},
		{"cert expired", with(func(c *webhookd.Config) { c.TLSCert, c.TLSKey = expiredCert, expiredKey }), true, nil, []string{expiredCert, "certificate expired at"}},
		{"cert not yet valid", with(func(c *webhookd.Config) { c.TLSCert, c.TLSKey = futureCert, futureKey }), true, nil, []string{futureCert, "not valid before"}},
		{"address in use", with(func(c *webhookd.Config) { c.Addr = busy.Addr().String() }), true, nil, []string{"webhook.addr: listen on " + busy.Addr().String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in webhook.Inbox
			if tt.inbox {
				in = newInbox()
			}
			s, err := webhookd.Start(ctx, tt.cfg, in, nil, nil)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded, want an error")
			}
			if s != nil {
				t.Errorf("Start returned a server with error %v", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Start() = %v, want errors.Is %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Start() = %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "BEGIN") || strings.Contains(err.Error(), string(privPEM[40:80])) {
				t.Errorf("Start() error carries key material: %q", err)
			}
		})
	}
}

// TestEndpoint is the document's checklist and the handler's refusals,
// over the listening server: 200 for a valid webhook (stored once, a
// duplicate acknowledged and not stored again), 400 for a bad signature
// and for an expired or future timestamp, 405, 415, 413 and 404; nothing
// refused is stored.
func TestEndpoint(t *testing.T) {
	noLeak(t)
	ctx := deadline(t, 30*time.Second)
	s := mustSigner(t, signerA)
	in := newInbox()
	reg := prometheus.NewRegistry()
	cfg := enabled(keyFile(t, s))
	cfg.MaxSkew = tomlval.Dur(30 * time.Second)
	cfg.BodyLimit = 2048
	srv, err := webhookd.Start(ctx, cfg, in, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if want := "http://" + srv.Addr().String() + webhookd.DefaultPath; srv.URL() != want {
		t.Fatalf("URL() = %q, want %q", srv.URL(), want)
	}
	if ids := srv.KeyIDs(); len(ids) != 1 || len(ids[0]) != 16 {
		t.Errorf("KeyIDs() = %v, want one fingerprint", ids)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	now := time.Now()

	valid := signed(t, s, "evt-1", now)
	if code, body := post(t, ctx, c, srv.URL(), valid); code != http.StatusOK || body != `{"success":true}` {
		t.Fatalf("valid webhook: %d %s, want 200 {\"success\":true}", code, body)
	}
	if code, _ := post(t, ctx, c, srv.URL(), valid); code != http.StatusOK {
		t.Fatalf("duplicate webhook: %d, want 200", code)
	}

	badSig := signed(t, s, "evt-2", now)
	badSig.sig = signed(t, s, "evt-other", now).sig
	tooBig := signed(t, s, "evt-big", now)
	tooBig.body = append(tooBig.body[:len(tooBig.body)-1], []byte(`,"pad":"`+strings.Repeat("x", 4096)+`"}`)...)
	wrongType := signed(t, s, "evt-3", now)
	wrongType.contentType = "text/plain"
	for _, c2 := range []struct {
		name string
		r    request
		url  string
		code int
		body string
	}{
		{"bad signature", badSig, srv.URL(), 400, "Invalid signature"},
		{"expired timestamp", signed(t, s, "evt-4", now.Add(-time.Minute)), srv.URL(), 400, "Timestamp too old or invalid"},
		{"future timestamp", signed(t, s, "evt-5", now.Add(time.Minute)), srv.URL(), 400, "Timestamp too old or invalid"},
		{"missing signature", request{body: valid.body, ts: valid.ts, contentType: "application/json"}, srv.URL(), 400, "Invalid signature"},
		{"body over the limit", tooBig, srv.URL(), 413, "Body too large"},
		{"wrong content type", wrongType, srv.URL(), 415, "Content-Type"},
		{"other path", signed(t, s, "evt-6", now), strings.TrimSuffix(srv.URL(), "/hercle"), 404, "Not found"},
	} {
		code, body := post(t, ctx, c, c2.url, c2.r)
		if code != c2.code || !strings.Contains(body, c2.body) {
			t.Errorf("%s: %d %s, want %d with %q", c2.name, code, body, c2.code, c2.body)
		}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL(), nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != http.MethodPost {
		t.Errorf("GET: %d Allow %q, want 405 Allow POST", res.StatusCode, res.Header.Get("Allow"))
	}

	if n, d := in.count(), in.delivered("evt-1"); n != 1 || d != 2 {
		t.Errorf("stored %d events (evt-1 delivered %d times), want only evt-1, twice", n, d)
	}
	// The registerer was handed to the handler.
	if n, err := testutil.GatherAndCount(reg, "engine_hercle_webhooks_total"); err != nil || n == 0 {
		t.Errorf("handler metrics = %d series, %v; want them registered", n, err)
	}
}

// TestKeyRotation accepts webhooks signed by any listed key, from one file
// per key or one file holding both, and refuses a key not listed.
func TestKeyRotation(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	a, b := mustSigner(t, signerA), mustSigner(t, signerB)
	both := writeFile(t, "both.pem", append(a.PublicKeyPEM(), b.PublicKeyPEM()...))
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	for _, tt := range []struct {
		name   string
		keys   []string
		accept map[string]bool // signer name -> accepted
	}{
		{"old only", []string{keyFile(t, a)}, map[string]bool{"a": true, "b": false}},
		{"old and new files", []string{keyFile(t, a), keyFile(t, b)}, map[string]bool{"a": true, "b": true}},
		{"one file, two keys", []string{both}, map[string]bool{"a": true, "b": true}},
		{"new only", []string{keyFile(t, b)}, map[string]bool{"a": false, "b": true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := newInbox()
			srv, err := webhookd.Start(ctx, enabled(tt.keys...), in, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			for _, sg := range []struct {
				name string
				s    *sim.WebhookSigner
			}{{"a", a}, {"b", b}} {
				name := sg.name
				r := signed(t, sg.s, "evt-"+name, time.Now())
				code, _ := post(t, ctx, c, srv.URL(), r)
				if want := map[bool]int{true: 200, false: 400}[tt.accept[name]]; code != want {
					t.Errorf("signed by %s: %d, want %d", name, code, want)
				}
			}
		})
	}
}

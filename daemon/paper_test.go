package daemon_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// startEnv is start with more environment than the admin token.
func startEnv(t *testing.T, cfg config.Config, o daemon.Options, env map[string]string) *harness {
	t.Helper()
	env["ADMIN_TOKEN"] = adminToken
	secrets, err := config.LoadSecrets(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return startWith(t, cfg, o, secrets)
}

// TestPaperModeUsesTheConfiguredVenue: with hercle.base_url set, paper
// mode trades at that venue (a standalone simulator here) instead of
// starting its own, so the run reconciles against it afterwards: every
// venue trade is in the books once, and reconciliation is clean.
func TestPaperModeUsesTheConfiguredVenue(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := paperConfig(t.TempDir())
	cfg.Hercle.BaseURL = srv.URL()
	cfg.Webhook.Enabled = false // the standalone simulator posts none here
	cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always("buy", "BTCEUR", "0.001", "otc")}}
	h := startEnv(t, cfg, daemon.Options{}, map[string]string{"HERCLE_API_KEY": srv.APIKey()})
	if h.info.Sim != nil || h.info.VenueURL != srv.URL() {
		t.Fatalf("paper mode started its own simulator (%v) or talks to %s, want %s", h.info.Sim != nil, h.info.VenueURL, srv.URL())
	}
	h.waitMetric("engine_intents_total", map[string]string{"outcome": "filled"}, 2)
	h.stop()
	store, err := ledger.Open(cfg.Ledger.Path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	checkOneToOne(t, srv.Venue(), store)
	reconcileClean(t, store, srv.URL(), srv.APIKey())
}

// reconcileClean reconciles the books against the venue over its REST
// API, as `engine reconcile` does, and fails on any break.
func reconcileClean(t *testing.T, store *ledger.Store, baseURL, key string) {
	t.Helper()
	client, err := hercle.NewClient(hercle.Config{BaseURL: baseURL, APIKey: key, MaxRetries: 10})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := reconcile.New(reconcile.Config{Grace: time.Nanosecond, DryRun: true}, reconcile.Deps{Ledger: store, Venue: client})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rec.Run(context.Background(), time.Now().Add(-24*time.Hour))
	var b strings.Builder
	_ = rep.WriteText(&b)
	if err != nil || !rep.Clean() {
		t.Fatalf("reconciliation against the venue: %v\n%s", err, b.String())
	}
	t.Logf("reconciliation against the venue: CLEAN (%d breaks)", rep.Breaks)
}

// nodeSign runs Node's crypto as the desk's own tooling would: it makes a
// key pair, writes the public key to dir, and signs body at timestamp the
// way Hercle's documented Node sample verifies (RSA-SHA256 over
// SHA-256(timestamp + "." + body)). It returns the key file and signature.
func nodeSign(t *testing.T, dir, timestamp, body string) (pemFile, signature string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	pemFile = filepath.Join(dir, "desk-webhook.pem")
	script := `
const crypto = require('node:crypto'); const fs = require('node:fs');
const [pemFile, ts, body] = process.argv.slice(1);
const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
fs.writeFileSync(pemFile, publicKey.export({ type: 'spki', format: 'pem' }));
const digest = crypto.createHash('sha256').update(ts + '.' + body, 'utf8').digest();
process.stdout.write(crypto.createSign('RSA-SHA256').update(digest).sign(privateKey, 'base64'));`
	out, err := exec.Command("node", "-e", script, pemFile, timestamp, body).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	return pemFile, string(out)
}

// TestPaperModeTrustsTheDesksOwnKeys: a paper engine configured with the
// desk's webhook public key and Heropayments secret accepts webhooks and
// callbacks the desk signs with them (made by Node's crypto), beside what
// its simulators sign; nothing is silently replaced.
func TestPaperModeTrustsTheDesksOwnKeys(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC()
	ts := strconv.FormatInt(now.Unix(), 10) // X-Webhook-Timestamp: Unix seconds
	body := `{"EventId":"desk-evt-1","EventType":"Balance.Updated","CreatedAt":"` + now.Format(time.RFC3339) + `","Data":"{\"Assets\":[]}"}`
	pem, sig := nodeSign(t, dir, ts, body)
	cfg := paperConfig(dir)
	cfg.Webhook.PublicKeys = []string{pem}
	cfg.Heropayments.Enabled = true
	const hpSecret = "desk-heropayments-secret-0123456789"
	h := startEnv(t, cfg, daemon.Options{}, map[string]string{"HEROPAYMENTS_API_KEY": "desk-key", "HEROPAYMENTS_API_SECRET": hpSecret})

	req, err := http.NewRequest(http.MethodPost, h.info.WebhookURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Webhook-Timestamp", ts)
	req.Header.Set("X-Webhook-Signature", sig)
	req.Header.Set("X-Webhook-Id", "desk-evt-1")
	req.Header.Set("Content-Type", "application/json")
	if code, text := do(t, req); code != http.StatusOK {
		t.Fatalf("webhook signed with the desk's key: %d %s", code, text)
	}

	cb := `{"externalOrderId":"desk-order-1","sequence":"original","type":"deposit","status":"waiting","customerId":"c","currency":"USDT"}`
	// Heropayments' documented signature: HMAC-SHA512 (hex) of the body in
	// JSON.stringify form, made by Node as the desk's own code would.
	sign := `const c = require('node:crypto'); const [s, b] = process.argv.slice(1);
process.stdout.write(c.createHmac('sha512', s).update(JSON.stringify(JSON.parse(b))).digest('hex'));`
	mac, err := exec.Command("node", "-e", sign, hpSecret, cb).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	req, err = http.NewRequest(http.MethodPost, callbackURL(t, h.info.WebhookURL, cfg.Heropayments.CallbackPath), strings.NewReader(cb))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", "desk-key")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-sign", string(mac))
	if code, text := do(t, req); code != http.StatusOK {
		t.Fatalf("callback signed with the desk's secret: %d %s", code, text)
	}
	if _, err := os.Stat(filepath.Join(dir, "sim-webhook-key.pem")); err != nil {
		t.Fatalf("the simulator's own key is not trusted beside the desk's: %v", err)
	}
}

// callbackURL is the Heropayments callback endpoint beside the webhook one.
func callbackURL(t *testing.T, webhookURL, path string) string {
	t.Helper()
	u, err := url.Parse(webhookURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = path
	return u.String()
}

package sim_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
)

// TestShippedSectionIsTheDefault: config.toml documents the [sim]
// section with DefaultConfig's values, so the file and a file that leaves
// the section out behave alike.
func TestShippedSectionIsTheDefault(t *testing.T) {
	cfg, err := config.Load("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if want := sim.DefaultConfig(); !reflect.DeepEqual(cfg.Sim, want) {
		t.Errorf("config.toml [sim] = %+v\nDefaultConfig()   = %+v", cfg.Sim, want)
	}
	if ps := sim.DefaultConfig().Problems(); len(ps) != 0 {
		t.Errorf("DefaultConfig().Problems() = %v", ps)
	}
}

func TestConfigProblems(t *testing.T) {
	for _, tt := range []struct {
		change func(*sim.Config)
		key    string
	}{
		{func(c *sim.Config) { c.WhitelistApproval = "yes" }, "whitelist_approval"},
		{func(c *sim.Config) { c.PayeeApproval = "" }, "payee_approval"},
		{func(c *sim.Config) { c.Hub.Envelope = "json" }, "hub.envelope"},
		{func(c *sim.Config) { c.Hub.DropEvery = tomlval.Dur(time.Millisecond) }, "hub.drop_every"},
		{func(c *sim.Config) { c.Webhooks.Duplicate = 1.5 }, "webhooks.duplicate"},
		{func(c *sim.Config) { c.Webhooks.BadSignature = -0.1 }, "webhooks.bad_signature"},
		{func(c *sim.Config) { c.Webhooks.StaleBy = tomlval.Dur(4 * time.Minute) }, "webhooks.stale_by"},
		{func(c *sim.Config) { c.Webhooks.MaxDelay = tomlval.Dur(0) }, "webhooks.max_delay"},
		{func(c *sim.Config) { c.Customers.Every = tomlval.Dur(time.Millisecond) }, "customers.every"},
		{func(c *sim.Config) { c.Customers.Count = 0 }, "customers.count"},
		{func(c *sim.Config) { c.Customers.Currency = "XRP" }, "customers.currency"},
		{func(c *sim.Config) { c.Customers.MaxAmount = tomlval.MustDec("1") }, "customers.max_amount"},
		{func(c *sim.Config) { c.Customers.MinAmount = tomlval.MustDec("0") }, "customers.min_amount"},
		{func(c *sim.Config) { c.Customers.Repeat = 2 }, "customers.repeat"},
	} {
		c := sim.DefaultConfig()
		tt.change(&c)
		ps := c.Problems()
		if len(ps) != 1 || ps[0].Key != tt.key {
			t.Errorf("Problems() = %v, want one for %s", ps, tt.key)
		}
	}
	c := sim.DefaultConfig()
	c.Hub.DropEvery, c.Customers.Every = tomlval.Dur(0), tomlval.Dur(0)
	if ps := c.Problems(); len(ps) != 0 {
		t.Errorf("drop_every and customers.every of 0s (off): Problems() = %v", ps)
	}
}

func TestConfigOptions(t *testing.T) {
	c := sim.DefaultConfig()
	if o := c.Options(); !o.AutoApproveWhitelist || !o.AutoApprovePayees || o.Hub.Envelope != sim.EnvelopeString || o.Hub.DropEvery != 0 {
		t.Errorf("default Options() = approvals %v %v, hub %+v; want automatic, the string envelope, no drops",
			o.AutoApproveWhitelist, o.AutoApprovePayees, o.Hub)
	}
	c.WhitelistApproval, c.PayeeApproval = sim.ApprovalManual, sim.ApprovalManual
	c.Hub = sim.HubConfig{Envelope: "embedded", DropEvery: tomlval.Dur(90 * time.Second)}
	c.Webhooks = sim.WebhookFaultsConfig{Duplicate: 0.1, BadSignature: 0.2, StaleTimestamp: 0.3, Delay: 0.4, Reorder: 0.5,
		MaxDelay: tomlval.Dur(time.Second), StaleBy: tomlval.Dur(time.Hour)}
	o := c.Options()
	want := sim.WebhookFaults{Duplicate: 0.1, BadSignature: 0.2, StaleTimestamp: 0.3, Delay: 0.4, Reorder: 0.5,
		MaxDelay: time.Second, StaleBy: time.Hour}
	if o.AutoApproveWhitelist || o.AutoApprovePayees || o.Hub.Envelope != sim.EnvelopeEmbedded || o.Hub.DropEvery != 90*time.Second ||
		o.Webhooks.Faults != want || o.Webhooks.URL != "" {
		t.Errorf("Options() = approvals %v %v, hub %+v, webhooks %+v", o.AutoApproveWhitelist, o.AutoApprovePayees, o.Hub, o.Webhooks)
	}
}

// TestMaintenanceWindowFromTheSection: the venue's window is the
// section's weekly window without the engine's margins, plus its extra
// windows; off unless maintenance = true.
func TestMaintenanceWindowFromTheSection(t *testing.T) {
	m := scheduler.DefaultMaintenance() // Wednesday 10:00-11:00 UTC+01:00, 5 min margins
	extra := time.Date(2026, 12, 24, 22, 0, 0, 0, time.UTC)
	m.Extra = []scheduler.MaintenanceWindow{{From: extra, To: extra.Add(time.Hour)}}
	off, err := sim.DefaultConfig().MaintenanceWindow(m)
	if err != nil || off != nil {
		t.Fatalf("MaintenanceWindow with maintenance = false: %v, %v; want none", off != nil, err)
	}
	c := sim.DefaultConfig()
	c.Maintenance = true
	in, err := c.MaintenanceWindow(m)
	if err != nil || in == nil {
		t.Fatalf("MaintenanceWindow: %v", err)
	}
	wed := time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC) // a Wednesday
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{wed.Add(8*time.Hour + 57*time.Minute), false}, // 09:57 UTC+1: the engine's margin, not the venue's window
		{wed.Add(9 * time.Hour), true},                 // 10:00 UTC+1
		{wed.Add(9*time.Hour + 59*time.Minute), true},
		{wed.Add(10 * time.Hour), false}, // 11:00 UTC+1
		{wed.Add(24*time.Hour + 9*time.Hour), false},
		{extra.Add(30 * time.Minute), true},
	} {
		if got := in(tt.at); got != tt.want {
			t.Errorf("in window at %s = %v, want %v", tt.at.Format(time.RFC3339), got, tt.want)
		}
	}
	m.Zone = "Mars/Olympus"
	if _, err := c.MaintenanceWindow(m); err == nil {
		t.Error("MaintenanceWindow with an unknown zone = nil error")
	}
}

// verifier receives webhooks as the document's sample does: it refuses
// (400) a timestamp more than 5 minutes off and a signature that does not
// verify, and counts the deliveries it accepted per event id.
type verifier struct {
	pub *rsa.PublicKey

	mu       sync.Mutex // guards the maps
	accepted map[string]int
	refused  map[string]int
}

func newVerifier(t *testing.T, s *sim.WebhookSigner) *verifier {
	t.Helper()
	b, _ := pem.Decode(s.PublicKeyPEM())
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return &verifier{pub: k.(*rsa.PublicKey), accepted: map[string]int{}, refused: map[string]int{}}
}

func (v *verifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var env struct{ EventID string }
	_ = json.Unmarshal(body, &env)
	ts := r.Header.Get("X-Webhook-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	ok := err == nil && time.Since(time.Unix(secs, 0)).Abs() <= 5*time.Minute
	if sig, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Webhook-Signature")); ok && err == nil {
		digest := sha256.Sum256([]byte(ts + "." + string(body)))
		hashed := sha256.Sum256(digest[:])
		ok = rsa.VerifyPKCS1v15(v.pub, crypto.SHA256, hashed[:], sig) == nil
	} else {
		ok = false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if !ok {
		v.refused[env.EventID]++
		http.Error(w, "bad signature or timestamp", http.StatusBadRequest)
		return
	}
	v.accepted[env.EventID]++
}

// TestWebhookFaultsFromTheSection: each [sim.webhooks] fault, at rate 1,
// does to the webhooks what it says, seen by a receiver that verifies
// them as the document's sample does.
func TestWebhookFaultsFromTheSection(t *testing.T) {
	for _, tt := range []struct {
		name             string
		set              func(*sim.WebhookFaultsConfig)
		accepted, refuse int // per event
		stat             func(sim.WebhookSenderStats) int64
	}{
		{"none", func(*sim.WebhookFaultsConfig) {}, 1, 0, func(s sim.WebhookSenderStats) int64 { return s.Delivered }},
		{"duplicate", func(w *sim.WebhookFaultsConfig) { w.Duplicate = 1 }, 2, 0, func(s sim.WebhookSenderStats) int64 { return s.Duplicates }},
		{"bad_signature", func(w *sim.WebhookFaultsConfig) { w.BadSignature = 1 }, 1, 1, func(s sim.WebhookSenderStats) int64 { return s.BadSignatures }},
		{"stale_timestamp", func(w *sim.WebhookFaultsConfig) { w.StaleTimestamp = 1 }, 1, 1, func(s sim.WebhookSenderStats) int64 { return s.StaleTimestamps }},
		{"delay", func(w *sim.WebhookFaultsConfig) { w.Delay, w.MaxDelay = 1, tomlval.Dur(20*time.Millisecond) }, 1, 0,
			func(s sim.WebhookSenderStats) int64 { return s.Delayed }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := sim.DefaultConfig()
			c.Seed = seed
			tt.set(&c.Webhooks)
			if ps := c.Problems(); len(ps) != 0 {
				t.Fatal(ps)
			}
			signer := testSigner(t)
			rx := newVerifier(t, signer)
			ts := httptest.NewServer(rx)
			defer ts.Close()
			o := c.Options()
			o.Webhooks.URL, o.Webhooks.Signer, o.Webhooks.Types = ts.URL, signer, []string{sim.WebhookDepositStatusUpdated}
			o.Webhooks.MinBackoff, o.Webhooks.MaxBackoff = time.Millisecond, time.Millisecond
			srv, _ := startServer(t, o)
			for range 3 {
				if _, err := srv.Venue().Credit("BTC", d("0.5")); err != nil {
					t.Fatal(err)
				}
			}
			if err := srv.Webhooks().Flush(deadline(t)); err != nil {
				t.Fatal(err)
			}
			rx.mu.Lock()
			defer rx.mu.Unlock()
			if len(rx.accepted) != 3 {
				t.Fatalf("accepted events %v, want 3", rx.accepted)
			}
			for id, n := range rx.accepted {
				if n != tt.accepted || rx.refused[id] != tt.refuse {
					t.Errorf("event %s: accepted %d times, refused %d; want %d and %d", id, n, rx.refused[id], tt.accepted, tt.refuse)
				}
			}
			if n := tt.stat(srv.Webhooks().Stats()); n != 3 {
				t.Errorf("sender counted %d %s, want 3: %+v", n, strings.ReplaceAll(tt.name, "_", " "), srv.Webhooks().Stats())
			}
		})
	}
}

package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/ha"
	"github.com/otcdesk/engine/ha/hatest"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/sim/heropay"
)

// With [ha], the Heropayments rail's requests are fenced as Hercle's are:
// a node that cannot prove it leads (here a standby that never campaigned;
// a deposed leader is the same to the fence) sends no withdrawal, even one
// whose intent it had recorded, while it still reads. Without the fence
// the withdrawal below would reach the simulator.
func TestHeropaymentsRequestsAreFenced(t *testing.T) {
	cluster := hatest.Start(t, 1)
	const key, secret = "desk-key", "desk-heropayments-secret-0123456789"
	venue, err := heropay.Start(context.Background(), heropay.Options{APIKey: key, APISecret: secret, Balance: decimal.NewFromInt(1000)})
	if err != nil {
		t.Fatal(err)
	}
	defer venue.Close()
	cfg := config.Default()
	cfg.Mode = config.ModeLive                // a pair shares its venues
	cfg.Hercle.BaseURL = "http://127.0.0.1:1" // not reached before the rail starts
	cfg.Ledger.Path = filepath.Join(t.TempDir(), "ledger.db")
	cfg.Metrics.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0"
	signer, err := sim.GenerateWebhookSigner()
	if err != nil {
		t.Fatal(err)
	}
	pem := filepath.Join(t.TempDir(), "hercle-webhook.pem")
	if err := signer.WritePublicKeyPEM(pem); err != nil {
		t.Fatal(err)
	}
	cfg.Webhook.Enabled, cfg.Webhook.Addr, cfg.Webhook.PublicKeys = true, "127.0.0.1:0", []string{pem}
	cfg.Heropayments.Enabled, cfg.Heropayments.BaseURL = true, venue.URL()
	cfg.HA.Enabled, cfg.HA.Endpoints, cfg.HA.Node = true, cluster.Endpoints, "a"
	env := map[string]string{"HERCLE_API_KEY": "k", "HEROPAYMENTS_API_KEY": key, "HEROPAYMENTS_API_SECRET": secret}
	secrets, err := config.LoadSecrets(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(cfg, secrets, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &run{d: d, g: newGroup(d.log, d.o.Clock)}
	defer r.g.stop()
	for _, s := range r.steps() { // start-up as far as the rail, as standby
		if err := s.fn(ctx); err != nil {
			t.Fatalf("start-up step %s: %v", s.name, err)
		}
		if s.name == "heropayments" {
			break
		}
	}
	if r.ha == nil || r.hp.client == nil {
		t.Fatal("start-up did not join the pair or start the Heropayments rail")
	}

	if _, err := r.hp.client.Balance(ctx, r.hp.flow); err != nil {
		t.Fatalf("a read on a standby: %v, want it to pass the fence", err)
	}
	w := heropayments.WithdrawalRequest{ExternalOrderID: "wd-fenced", CustomerID: "alice", Currency: "USDT",
		Amount: heropayments.Amount{Decimal: decimal.RequireFromString("10")}, Address: "0x00000000000000000000000000000000000000a1"}
	_, err = r.hp.client.CreateWithdrawal(ctx, r.hp.flow, w, heropayments.WithdrawalOptions{})
	if !errors.Is(err, ha.ErrNotLeader) {
		t.Fatalf("withdrawal from a standby: %v, want it refused with ha.ErrNotLeader", err)
	}
	if ps := venue.Payments(); len(ps) != 0 {
		t.Fatalf("the simulator holds %d payments (%+v), want none: the withdrawal left", len(ps), ps)
	}
}

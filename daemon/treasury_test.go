package daemon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
)

const sweepTOML = `
[destinations.cold-btc]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qcoldcoldcoldcoldcoldcoldcoldcoldcold0"
daily_cap = "8"

[policies.btc-cold]
kind = "sweep"
asset = "BTC"
schedule = "* * * * * *"
min = "1"
target = "4"
max = "5"
destination = "cold-btc"
min_sweep = "0.01"
dry_run = false
`

// TestTreasurySweepInDaemon: a sweep policy runs on the daemon's scheduler
// and sends the excess once, to the allowlisted address, only after the
// venue has it whitelisted; the movement is an intent in the ledger.
func TestTreasurySweepInDaemon(t *testing.T) {
	cfg := sweepConfig(t, "10000000")
	// The Heropayments rail (simulator, client, callbacks on the webhook
	// listener) comes up beside it.
	cfg.Heropayments.Enabled = true
	cfg.Heropayments.MerchantDailyLimit = tomlval.Dec(decimal.RequireFromString("50000"))
	cfg.Heropayments.CustomerDailyLimit = tomlval.Dec(decimal.RequireFromString("5000"))
	// Paper mode whitelists the destination in the simulator; with manual
	// approval it waits there until approved, and nothing is sent.
	cfg.Sim.WhitelistApproval = sim.ApprovalManual
	h := start(t, cfg, daemon.Options{Sim: func(o *sim.Options) { o.ConfirmAfter, o.SettleAfter = 200*time.Millisecond, 400*time.Millisecond }})
	h.waitMetric("engine_treasury_runs_total", map[string]string{"policy": "btc-cold", "outcome": "refused"}, 1)
	v := h.info.Sim.Venue()
	pending := v.PendingApprovals().Whitelist
	if len(pending) != 1 || pending[0].Address != "bc1qcoldcoldcoldcoldcoldcoldcoldcoldcold0" {
		t.Fatalf("pending whitelist entries %+v, want the cold destination", pending)
	}
	if err := v.ApproveWhitelist(pending[0].ID); err != nil {
		t.Fatal(err)
	}
	h.waitMetric("engine_treasury_runs_total", map[string]string{"policy": "btc-cold", "outcome": "sent"}, 1)
	h.waitMetric("engine_treasury_runs_total", map[string]string{"policy": "btc-cold", "outcome": "none"}, 1)
	// The simulator settles the withdrawal and says so by webhook; the
	// processor applies it to the intent and its transit postings.
	h.waitMetric("engine_inbound_events_total", map[string]string{"type": "Banking.Withdrawal.StatusUpdated"}, 2)
	h.stop()
	if n := len(mustWithdrawals(t, v)); n != 1 {
		t.Fatalf("venue has %d withdrawals, want exactly 1", n)
	}
	store, err := ledger.Open(cfg.Ledger.Path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ws, err := store.Intents(context.Background(), ledger.StateSucceeded)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Kind != ledger.IntentWithdrawal {
		t.Fatalf("ledger intents succeeded = %+v, want the one withdrawal, settled by its webhook", ws)
	}
	if err := store.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// sweepConfig is a paper configuration with the btc-cold sweep and risk's
// daily transfer cap for cold-btc of capEUR.
func sweepConfig(t *testing.T, capEUR string) config.Config {
	t.Helper()
	cfg := paperConfig(t.TempDir())
	if _, err := toml.Decode(sweepTOML, &cfg.Treasury); err != nil {
		t.Fatal(err)
	}
	cfg.Risk.Transfers.MaxDaily = tomlval.Dec(decimal.RequireFromString("10000000"))
	cfg.Risk.Transfers.Destinations = map[string]tomlval.Decimal{"cold-btc": tomlval.Dec(decimal.RequireFromString(capEUR))}
	return cfg
}

// TestTreasurySweepWithinRiskCaps: risk's daily transfer cap for the
// destination, in the reference currency at the feed's price, refuses a
// sweep above it; nothing reaches the venue and no intent is written.
func TestTreasurySweepWithinRiskCaps(t *testing.T) {
	cfg := sweepConfig(t, "100") // EUR: far below one BTC
	h := start(t, cfg, daemon.Options{})
	v := h.info.Sim.Venue()
	w, err := v.WhitelistAddress(sim.WhitelistRequest{Name: "cold", Asset: "BTC", Address: "bc1qcoldcoldcoldcoldcoldcoldcoldcoldcold0", Network: "Bitcoin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ApproveWhitelist(w.ID); err != nil {
		t.Fatal(err)
	}
	h.waitMetric("engine_risk_rejections_total", map[string]string{"reason": "destination_cap"}, 1)
	h.stop()
	if n := len(mustWithdrawals(t, v)); n != 0 {
		t.Fatalf("venue has %d withdrawals, want none", n)
	}
	store, err := ledger.Open(cfg.Ledger.Path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if ins, err := store.Intents(context.Background(), ""); err != nil || len(ins) != 0 {
		t.Fatalf("intents = %+v, %v; want none", ins, err)
	}
}

// A sending policy whose destination has no risk cap is refused before
// the daemon starts, naming the missing setting.
func TestTreasuryDestinationWithoutRiskCap(t *testing.T) {
	cfg := sweepConfig(t, "100")
	cfg.Risk.Transfers.Destinations = nil
	_, err := daemon.New(cfg, config.Secrets{}, daemon.Options{})
	if err == nil || !strings.Contains(err.Error(), "risk.transfers.destinations.cold-btc: missing") {
		t.Fatalf("New = %v, want the missing risk cap named", err)
	}
}

func mustWithdrawals(t *testing.T, v *sim.Venue) []sim.Withdrawal {
	t.Helper()
	ws, err := v.Withdrawals(sim.WithdrawalFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

const convertTOML = `
[policies.btc-to-eur]
kind = "convert"
asset = "BTC"
to = "EUR"
pair = "BTCEUR"
path = "otc"
max_slippage = "1"
schedule = "* * * * * *"
min = "1"
target = "4"
max = "4.5"
dry_run = false
`

// TestTreasuryConversionPassesRisk: a treasury conversion is checked by
// risk as a strategy's trade is: above max_order_notional it is refused
// and nothing reaches the venue; within the limits it converts and counts
// toward the daily notional.
func TestTreasuryConversionPassesRisk(t *testing.T) {
	t.Run("refused above max_order_notional", func(t *testing.T) {
		cfg := paperConfig(t.TempDir())
		if _, err := toml.Decode(convertTOML, &cfg.Treasury); err != nil {
			t.Fatal(err)
		}
		cfg.Risk.MaxOrderNotional = tomlval.Dec(decimal.RequireFromString("100"))
		h := start(t, cfg, daemon.Options{})
		h.waitMetric("engine_risk_rejections_total", map[string]string{"reason": "order_notional"}, 1)
		h.waitMetric("engine_treasury_runs_total", map[string]string{"policy": "btc-to-eur", "outcome": "refused"}, 1)
		h.stop()
		if n := len(venueTrades(t, h.info.Sim.Venue())); n != 0 {
			t.Fatalf("venue has %d trades, want none", n)
		}
	})
	t.Run("converted within the limits", func(t *testing.T) {
		cfg := paperConfig(t.TempDir())
		if _, err := toml.Decode(convertTOML, &cfg.Treasury); err != nil {
			t.Fatal(err)
		}
		cfg.Risk.MaxOrderNotional = tomlval.Dec(decimal.RequireFromString("10000000"))
		cfg.Risk.MaxDailyNotional = tomlval.Dec(decimal.RequireFromString("10000000"))
		h := start(t, cfg, daemon.Options{})
		h.waitMetric("engine_treasury_runs_total", map[string]string{"policy": "btc-to-eur", "outcome": "converted"}, 1)
		h.stop()
		if n := len(venueTrades(t, h.info.Sim.Venue())); n == 0 {
			t.Fatal("venue has no trade, want the conversion")
		}
	})
}

package daemon_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

func dec(s string) tomlval.Decimal { return tomlval.Dec(decimal.RequireFromString(s)) }

// TestBuiltinStrategiesTrade runs each built-in strategy in the daemon
// against the simulator over REST and SignalR until it has filled.
func TestBuiltinStrategiesTrade(t *testing.T) {
	cases := []struct {
		kind   string
		params map[string]any
		fills  float64
	}{
		{"rebalance", map[string]any{
			"reference": "EUR", "weights": map[string]any{"BTC": "0.32", "ETH": "0.15", "EUR": "0.53"},
			"band": "0.01", "min_trade": "500", "every": "100ms", "path": "rfq", "max_slippage": "0.5",
		}, 1},
		{"twap", map[string]any{
			"pair": "ETHEUR", "side": "buy", "amount": "3000", "start": time.Now().Add(-time.Second).UTC().Truncate(time.Second),
			"period": "10s", "every": "200ms", "path": "otc", "max_slippage": "1",
		}, 2},
		{"threshold", always("buy", "BTCEUR", "0.001", "otc"), 2},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			cfg := paperConfig(t.TempDir())
			cfg.Strategies = []strategy.Spec{{Kind: c.kind, Name: "s", Params: c.params}}
			h := start(t, cfg, daemon.Options{})
			h.waitMetric("engine_intents_total", map[string]string{"strategy": "s", "outcome": "filled"}, c.fills)
		})
	}
}

// TestRiskRejections drives one check of each kind to a rejection through
// the whole daemon and sees it counted by reason.
func TestRiskRejections(t *testing.T) {
	type tc struct {
		reason string
		setup  func(*config.Config, *daemon.Options)
	}
	th := func(side, size, path string) func(*config.Config) {
		return func(c *config.Config) {
			c.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always(side, "BTCEUR", size, path)}}
		}
	}
	ev := func(pair, side, size, path string) func(*config.Config) {
		return func(c *config.Config) {
			c.Strategies = []strategy.Spec{{Kind: "every", Name: "s", Params: map[string]any{
				"pair": pair, "side": side, "size": size, "every": "100ms", "path": path}}}
		}
	}
	cases := []tc{
		{"order_notional", func(c *config.Config, _ *daemon.Options) {
			th("buy", "0.01", "otc")(c)
			c.Risk.MaxOrderNotional = dec("100")
		}},
		{"daily_notional", func(c *config.Config, _ *daemon.Options) {
			th("buy", "0.001", "otc")(c)
			c.Risk.MaxDailyNotional = dec("100")
		}},
		{"position", func(c *config.Config, _ *daemon.Options) {
			th("buy", "0.001", "otc")(c)
			c.Risk.Assets = map[string]risk.AssetLimits{"BTC": {MaxPosition: dec("10.0005")}}
		}},
		{"min_balance", func(c *config.Config, _ *daemon.Options) {
			th("sell", "0.001", "otc")(c)
			c.Risk.Assets = map[string]risk.AssetLimits{"BTC": {MinBalance: dec("9.9995")}}
		}},
		{"balance", func(c *config.Config, _ *daemon.Options) {
			th("sell", "11", "otc")(c)
			c.Risk.MaxOrderNotional = dec("100000000")
		}},
		{"pair_size", func(c *config.Config, _ *daemon.Options) { ev("BTCEUR", "buy", "0.00001", "otc")(c) }},
		{"slippage", func(c *config.Config, _ *daemon.Options) {
			// A strategy that declares its slippage is refused at start-up
			// (TestStrategyRiskWouldAlwaysRejectIsRefused); one that does not
			// is rejected by risk at run time.
			ev("BTCEUR", "buy", "0.001", "otc")(c)
			c.Risk.MaxSlippage = dec("0.5")
		}},
		{"stale_price", func(c *config.Config, o *daemon.Options) {
			ev("BTCEUR", "buy", "0.001", "otc")(c)
			c.Risk.MaxPriceAge = tomlval.Dur(300 * time.Millisecond)
			o.Sim = func(so *sim.Options) { so.Hub.PriceInterval = 1500 * time.Millisecond }
		}},
		{"no_price", func(c *config.Config, _ *daemon.Options) { ev("ETHUSDT", "buy", "0.01", "otc")(c) }},
		{"quote_deviation", func(c *config.Config, _ *daemon.Options) {
			th("buy", "0.001", "rfq")(c)
			c.Risk.MaxQuoteDeviation = dec("0.000001")
		}},
		{"open_intents", func(c *config.Config, o *daemon.Options) {
			ev("BTCEUR", "buy", "0.001", "otc")(c)
			c.Risk.MaxOpenIntents = 1
			o.Sim = func(so *sim.Options) { so.PendingProbability, so.PendingFor = 1, time.Hour }
		}},
		{"circuit_breaker", func(c *config.Config, o *daemon.Options) {
			ev("BTCEUR", "buy", "0.001", "otc")(c)
			c.Risk.Breaker.MaxRejects = 1
			o.Sim = func(so *sim.Options) {
				so.PendingProbability, so.CancelProbability, so.PendingFor = 1, 1, 10*time.Millisecond
			}
		}},
		{"maintenance", func(c *config.Config, _ *daemon.Options) {
			th("buy", "0.001", "otc")(c)
			c.Maintenance.Extra = []scheduler.MaintenanceWindow{{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}}
		}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			cfg := paperConfig(t.TempDir())
			o := daemon.Options{Strategies: registryWith(t)}
			c.setup(&cfg, &o)
			h := start(t, cfg, o)
			h.waitMetric("engine_risk_rejections_total", map[string]string{"reason": c.reason}, 1)
			if c.reason == "maintenance" {
				code, body := get(t, h.info.MetricsURL+"/readyz")
				if !strings.Contains(body, `"maintenance": true`) {
					t.Errorf("readyz during maintenance = %d %s", code, body)
				}
			}
		})
	}
}

// TestDailyNotionalSurvivesRestart: the day's total is in the ledger, so a
// restarted daemon refuses what the first run used up.
func TestDailyNotionalSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := paperConfig(dir)
	cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always("buy", "BTCEUR", "0.001", "otc")}}
	cfg.Risk.MaxDailyNotional = dec("120") // two fills of about 55 EUR
	h := start(t, cfg, daemon.Options{})
	h.waitMetric("engine_risk_rejections_total", map[string]string{"reason": "daily_notional"}, 1)
	fills := metric(t, h.d.Registry(), "engine_intents_total", map[string]string{"outcome": "filled"})
	h.stop()
	if fills != 2 {
		t.Fatalf("first run filled %v, want 2 under a 120 EUR daily limit", fills)
	}
	h2 := start(t, cfg, daemon.Options{})
	h2.waitMetric("engine_risk_rejections_total", map[string]string{"reason": "daily_notional"}, 1)
	if n := metric(t, h2.d.Registry(), "engine_intents_total", map[string]string{"outcome": "filled"}); n != 0 {
		t.Errorf("after restart %v more fills; the daily limit was reset", n)
	}
}

// TestObservabilityAndAdmin: metrics, health, readiness, and the admin
// endpoints with their token; the kill switch persists across a restart.
func TestObservabilityAndAdmin(t *testing.T) {
	dir := t.TempDir()
	cfg := paperConfig(dir)
	cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always("buy", "BTCEUR", "0.001", "otc")}}
	h := start(t, cfg, daemon.Options{})
	h.waitMetric("engine_intents_total", map[string]string{"strategy": "s", "outcome": "filled"}, 1)

	code, body := get(t, h.info.MetricsURL+"/metrics")
	for _, want := range []string{
		"engine_ticks_total", "engine_hercle_hub_state", "engine_execution_filled_notional_total", "engine_intents_total", "engine_execution_order_seconds",
		"engine_venue_balance", "engine_ledger_", "engine_hercle_", "engine_risk_kill_switch", "go_goroutines",
	} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics = %d, lacks %s", code, want)
		}
	}
	if code, _ := get(t, h.info.MetricsURL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for code, body = get(t, h.info.MetricsURL+"/readyz"); code != http.StatusOK; code, body = get(t, h.info.MetricsURL+"/readyz") {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond) // polling an HTTP endpoint for a condition
	}

	for _, tok := range []string{"", "wrong"} {
		if code, _ := h.admin(http.MethodGet, "/admin/status", tok); code != http.StatusUnauthorized {
			t.Errorf("status with token %q = %d, want 401", tok, code)
		}
	}
	if code, body := h.admin(http.MethodGet, "/admin/status", adminToken); code != http.StatusOK || !strings.Contains(body, `"hub": "connected"`) || !strings.Contains(body, "BTCEUR") {
		t.Errorf("status = %d %s", code, body)
	}
	if code, _ := h.admin(http.MethodPost, "/admin/kill", adminToken); code != http.StatusOK {
		t.Fatalf("kill = %d", code)
	}
	h.waitMetric("engine_risk_rejections_total", map[string]string{"reason": "kill_switch"}, 1)
	h.stop()

	// Still killed after a restart, until resumed.
	h2 := start(t, cfg, daemon.Options{})
	h2.waitMetric("engine_risk_rejections_total", map[string]string{"reason": "kill_switch"}, 1)
	for _, bad := range []string{`{`, `{"reason":"x"}}`, `{"reasn":"x"}`} {
		if code, body := adminPost(t, h2, "/admin/resume", []byte(bad)); code != http.StatusBadRequest {
			t.Fatalf("resume with body %s = %d %s, want 400", bad, code, body)
		}
	}
	if code, body := h2.admin(http.MethodGet, "/admin/status", adminToken); code != http.StatusOK || !strings.Contains(body, `"state": "killed"`) {
		t.Fatalf("status after malformed resumes = %d %s, want still killed", code, body)
	}
	if code, body := adminPost(t, h2, "/admin/resume", []byte(`{"reason":"checked the venue"}`)); code != http.StatusOK {
		t.Fatalf("resume = %d %s", code, body)
	}
	h2.waitMetric("engine_intents_total", map[string]string{"strategy": "s", "outcome": "filled"}, 1)
	if code, _ := h2.admin(http.MethodPost, "/admin/pause", adminToken); code != http.StatusOK {
		t.Fatalf("pause = %d", code)
	}
	h2.waitMetric("engine_risk_rejections_total", map[string]string{"reason": "kill_switch"}, 1)
	h2.stop()

	// The restarted paper venue started from the ledger's balances, and the
	// books still verify.
	store, err := ledger.Open(cfg.Ledger.Path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestAutoconvertOnDeposit: a deposit at the venue arrives as a signed
// webhook, is credited once by the processor, and the autoconvert strategy
// converts it.
func TestAutoconvertOnDeposit(t *testing.T) {
	cfg := paperConfig(t.TempDir())
	cfg.Feeds.Pairs = append(cfg.Feeds.Pairs, feeds.PairSettings{Pair: "BTCUSDT", Size: tomlval.Dec(decimal.RequireFromString("0.01"))})
	cfg.Strategies = []strategy.Spec{{Kind: "autoconvert", Name: "ac", Params: map[string]any{
		"from": "USDT", "to": "BTC", "min": "100", "path": "otc", "max_slippage": "1",
	}}}
	// Risk values intents in its reference through a direct pair; the
	// simulator lists none between USDT and EUR.
	cfg.Risk.Reference = "USDT"
	h := start(t, cfg, daemon.Options{})
	if _, err := h.info.Sim.Venue().Credit("USDT", decimal.RequireFromString("2500")); err != nil {
		t.Fatal(err)
	}
	h.waitMetric("engine_intents_total", map[string]string{"strategy": "ac", "outcome": "filled"}, 1)
	if !strings.Contains(h.logs.String(), `msg="deposit credited" asset=USDT amount=2500`) {
		t.Errorf("no deposit credited in the log")
	}
}

// TestStrategyRiskWouldAlwaysRejectIsRefused: a built-in strategy that
// allows more slippage than risk, or trades a pair without a feed, or one
// whose notional cannot be valued in risk.reference, would be rejected on
// every intent for ever; New refuses it, naming the strategy and why.
func TestStrategyRiskWouldAlwaysRejectIsRefused(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*config.Config)
		wants string
	}{
		{"slippage", func(c *config.Config) { c.Risk.MaxSlippage = dec("0.1") }, "above risk.max_slippage 0.1%"},
		{"no feed", func(c *config.Config) { c.Strategies[0].Params["pair"] = "ETHUSDT" }, "ETHUSDT, which has no price feed"},
		{"not valued", func(c *config.Config) {
			c.Strategies[0].Params["pair"] = "BTCUSDT"
			c.Feeds.Pairs = append(c.Feeds.Pairs, feeds.PairSettings{Pair: "BTCUSDT", Size: tomlval.MustDec("0.01")})
		}, "cannot be valued in risk.reference EUR"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := paperConfig(t.TempDir())
			cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always("buy", "BTCEUR", "0.001", "otc")}}
			c.edit(&cfg)
			_, err := daemon.New(cfg, config.Secrets{}, daemon.Options{})
			if !errors.Is(err, daemon.ErrConfig) || !strings.Contains(err.Error(), "strategy[0]: s ") || !strings.Contains(err.Error(), c.wants) {
				t.Fatalf("New = %v, want ErrConfig naming strategy[0] s and %q", err, c.wants)
			}
		})
	}
}

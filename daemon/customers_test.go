package daemon_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim/heropay"
)

// customersConfig is a paper configuration with the Heropayments rail in
// flow, daily withdrawal limits of 50,000 (merchant) and 5,000 USDT (per
// customer), a risk cap for customer payouts, and USDTEUR fed so risk can
// value them in EUR.
func customersConfig(t testing.TB, flow string) config.Config {
	cfg := paperConfig(t.TempDir())
	cfg.Heropayments.Enabled, cfg.Heropayments.Flow = true, flow
	cfg.Heropayments.MerchantDailyLimit, cfg.Heropayments.CustomerDailyLimit = tomlval.MustDec("50000"), tomlval.MustDec("5000")
	cfg.Feeds.Pairs = append(cfg.Feeds.Pairs, feeds.PairSettings{Pair: "USDTEUR", Size: tomlval.MustDec("1000")})
	cfg.Risk.Transfers.MaxDaily = tomlval.MustDec("1000000")
	cfg.Risk.Transfers.Destinations = map[string]tomlval.Decimal{"customers": tomlval.MustDec("100000")}
	return cfg
}

// post sends an admin request with a JSON body and decodes the answer.
func (h *harness) post(path string, body any) (int, map[string]string) {
	h.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, h.info.AdminURL+path, strings.NewReader(string(b)))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	code, text := do(h.t, req)
	var out map[string]string
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		h.t.Fatalf("POST %s: %d %q is not a JSON object", path, code, text)
	}
	return code, out
}

// withdrawalsTo counts the simulator's withdrawals under an external order id.
func withdrawalsTo(hp *heropay.Server, id string) int {
	n := 0
	for _, p := range hp.Payments() {
		if p.ExternalOrderID == id && p.Type == heropay.Kind(heropayments.KindWithdrawal) {
			n++
		}
	}
	return n
}

// Customer operations through the admin API, for both flows: a deposit
// address several payments arrive at, each credited once; a payout sent
// once and settled by its callback, asked again without a second send;
// one over the customer's daily limit refused before any request; one
// whose answer is lost resolved by lookup, never sent twice.
func TestCustomerDepositsAndPayouts(t *testing.T) {
	for _, flow := range []string{"v2", "custody"} {
		t.Run(flow, func(t *testing.T) {
			cfg := customersConfig(t, flow)
			h := start(t, cfg, daemon.Options{Heropayments: func(o *heropay.Options) {
				o.Balance, o.Step = decimal.NewFromInt(20000), 100*time.Millisecond
			}})
			hp := h.info.Heropayments
			code, dep := h.post("/admin/customers/deposits", map[string]any{"order_id": "order-1", "customer_id": "alice", "currency": "USDT"})
			if code != http.StatusOK || dep["address"] == "" {
				t.Fatalf("deposit = %d %v", code, dep)
			}
			for _, amount := range []string{"120", "30.5"} {
				if _, err := hp.Pay(dep["address"], "USDT", decimal.RequireFromString(amount)); err != nil {
					t.Fatal(err)
				}
			}
			h.waitMetric("engine_merchant_events_total", map[string]string{"kind": "deposit", "outcome": "credited"}, 2)
			h.waitMetric("engine_feeds_ticks_total", map[string]string{"pair": "USDTEUR"}, 1) // risk values USDT in EUR

			pay := map[string]any{"id": "payout-1", "customer_id": "alice", "currency": "USDT", "network": "Tron",
				"address": "TAliceAliceAliceAliceAliceAliceAl", "amount": "250"}
			if code, got := h.post("/admin/customers/payouts", pay); code != http.StatusOK || got["state"] != "sent" {
				t.Fatalf("payout = %d %v", code, got)
			}
			h.waitMetric("engine_merchant_events_total", map[string]string{"kind": "withdrawal", "outcome": "settled"}, 1)
			if code, got := h.post("/admin/customers/payouts", pay); code != http.StatusOK || got["state"] != "settled" ||
				!strings.Contains(got["detail"], "not sent again") {
				t.Fatalf("the same payout again = %d %v, want its settled state, not sent again", code, got)
			}

			over := map[string]any{"id": "payout-2", "customer_id": "alice", "currency": "USDT", "network": "Tron",
				"address": "TAliceAliceAliceAliceAliceAliceAl", "amount": "6000"}
			if code, got := h.post("/admin/customers/payouts", over); code != http.StatusUnprocessableEntity || got["state"] != "failed" ||
				!strings.Contains(got["detail"], "limit") {
				t.Fatalf("payout over the daily limit = %d %v, want refused for the limit", code, got)
			}

			hp.ErrorAfterApply(1)
			lost := map[string]any{"id": "payout-3", "customer_id": "bob", "currency": "USDT", "network": "Tron",
				"address": "TBobBobBobBobBobBobBobBobBobBobBo", "amount": "40"}
			if code, got := h.post("/admin/customers/payouts", lost); code != http.StatusOK || got["state"] == "failed" {
				t.Fatalf("payout whose answer is lost = %d %v, want found by lookup", code, got)
			}
			h.waitMetric("engine_merchant_events_total", map[string]string{"kind": "withdrawal", "outcome": "settled"}, 2)
			if !strings.Contains(h.logs.String(), `outcome unknown; looking it up by Client-Id" client_id=payout-3`) {
				t.Errorf("payout-3's answer was not lost; the lookup path was not exercised\n%s", tail(h.logs.String(), 30))
			}
			h.stop()

			for id, want := range map[string]int{"payout-1": 1, "payout-2": 0, "payout-3": 1} {
				if n := withdrawalsTo(hp, id); n != want {
					t.Errorf("Heropayments withdrawals for %s = %d, want %d", id, n, want)
				}
			}
			store, err := ledger.Open(cfg.Ledger.Path, ledger.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			ctx := context.Background()
			if err := store.Verify(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := store.Balance(ctx, ledger.Destination("Tron", "TAliceAliceAliceAliceAliceAliceAl"), "USDT")
			if err != nil || !got.Equal(decimal.NewFromInt(250)) {
				t.Fatalf("alice's address received %s, %v; want 250", got, err)
			}
		})
	}
}

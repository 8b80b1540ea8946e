package daemon_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/sim"
)

// adminJSON sends an authenticated admin request with a JSON body and
// decodes the answer into out (when not nil).
func (h *harness) adminJSON(method, path string, body any, out any) int {
	h.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, h.info.AdminURL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		h.t.Fatalf("%s %s: undecodable answer: %v", method, path, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s = %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

const deskTOML = `
[destinations.cold-btc]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qcoldcoldcoldcoldcoldcoldcoldcoldcold0"
daily_cap = "8"

[policies.btc-cold]
kind = "sweep"
asset = "BTC"
schedule = "0 0 0 1 1 *"
min = "1"
target = "9.9"
max = "9.95"
destination = "cold-btc"
min_sweep = "0.01"
dry_run = false
`

// startDesk runs a paper desk with BTC, ETH and USDT priced in EUR, a
// BTC sweep run only by hand, and withdrawals that cost a network fee.
func startDesk(t *testing.T) *harness {
	t.Helper()
	cfg := paperConfig(t.TempDir())
	cfg.Feeds.Pairs = append(cfg.Feeds.Pairs, feeds.PairSettings{Pair: "BTCUSDT", Size: tomlval.Dec(decimal.RequireFromString("0.01"))})
	if _, err := toml.Decode(deskTOML, &cfg.Treasury); err != nil {
		t.Fatal(err)
	}
	cfg.Risk.MaxOrderNotional = dec("20000")
	cfg.Risk.Transfers.MaxDaily = dec("10000000")
	cfg.Risk.Transfers.Destinations = map[string]tomlval.Decimal{"cold-btc": dec("10000000")}
	h := start(t, cfg, daemon.Options{Sim: func(o *sim.Options) {
		o.ConfirmAfter, o.SettleAfter = 100*time.Millisecond, 200*time.Millisecond
		o.WithdrawalFee = decimal.RequireFromString("0.0005")
		o.Balances = map[market.Asset]decimal.Decimal{"BTC": decimal.NewFromInt(10), "ETH": decimal.NewFromInt(100),
			"EUR": decimal.NewFromInt(1000000), "USDT": decimal.NewFromInt(100000)}
	}})
	for _, p := range []string{"BTCEUR", "ETHEUR", "BTCUSDT"} {
		h.waitMetric("engine_ticks_total", map[string]string{"pair": p}, 1)
	}
	return h
}

// TestDeskSessionReconciles is a scripted session over the simulator,
// every step an operator verb: buys and a sell, a conversion, a sweep
// that pays a network fee. Over the session, and over the whole ledger,
// the change of equity valued at the streaming prices is exactly realised
// + unrealised - fees + inflows - outflows, as the admin API reports it;
// an order over risk's limit is refused and sends nothing; each verb is
// in the audit trail.
func TestDeskSessionReconciles(t *testing.T) {
	h := startDesk(t)
	var before pnl.Portfolio
	if code := h.adminJSON(http.MethodGet, "/admin/portfolio", nil, &before); code != http.StatusOK || !before.Complete || before.Pending != 0 {
		t.Fatalf("portfolio before = %d %+v", code, before.Status)
	}
	mark := time.Now().UTC()

	runSession(t, h)
	var sweep struct {
		Outcome  string
		ClientID string
	}
	if code := h.adminJSON(http.MethodPost, "/admin/treasury/btc-cold/run", nil, &sweep); code != http.StatusOK || sweep.ClientID == "" {
		t.Fatalf("treasury run = %d %+v", code, sweep)
	}
	h.waitMetric("engine_inbound_events_total", map[string]string{"type": "Banking.Withdrawal.StatusUpdated"}, 2)
	h.waitIntent(sweep.ClientID, ledger.StateSucceeded)

	var after pnl.Portfolio
	if code := h.adminJSON(http.MethodGet, "/admin/portfolio", nil, &after); code != http.StatusOK || !after.Complete || after.Pending != 0 || after.Refused != 0 {
		t.Fatalf("portfolio after = %d %+v %+v", code, after.Status, after.Unvalued)
	}
	var session pnl.PnL
	if code := h.adminJSON(http.MethodGet, "/admin/pnl?by=strategy&since="+mark.Format(time.RFC3339Nano), nil, &session); code != http.StatusOK {
		t.Fatalf("pnl since = %d", code)
	}
	checkIdentity(t, "session", session)
	t.Logf("session: equity change %s = realised %s + unrealised %s - fees %s + inflows %s - outflows %s; rows %+v",
		session.EquityChange, session.Totals.Realised, session.Totals.Unrealised, session.Totals.Fees, session.Totals.Inflows, session.Totals.Outflows, session.Rows)
	if !session.Totals.Inflows.IsZero() {
		t.Errorf("session inflows %s: nothing came in from outside during the session", session.Totals.Inflows)
	}
	if !session.Totals.Fees.IsPositive() || !session.Totals.Outflows.IsPositive() {
		t.Errorf("session fees %s, outflows %s: want the sweep's network fee and what it sent", session.Totals.Fees, session.Totals.Outflows)
	}
	keys := map[string]pnl.Row{}
	for _, r := range session.Rows {
		keys[r.Key] = r
	}
	if _, ok := keys[pnl.Manual]; !ok {
		t.Errorf("session rows %v lack the manual trades", session.Rows)
	}
	if r, ok := keys[pnl.TreasuryKey("btc-cold")]; !ok || !r.Fees.IsPositive() || !r.Outflows.IsPositive() {
		t.Errorf("session rows %v: want the sweep's fee and outflow under treasury:btc-cold", session.Rows)
	}
	var whole pnl.PnL
	if code := h.adminJSON(http.MethodGet, "/admin/pnl?by=asset", nil, &whole); code != http.StatusOK {
		t.Fatalf("pnl = %d", code)
	}
	checkIdentity(t, "whole ledger", whole)
	if !whole.Equity.Equal(after.Equity) && whole.To.Before(after.At) {
		t.Errorf("whole-ledger equity %s, portfolio's %s", whole.Equity, after.Equity)
	}
	checkAudit(t, h, []string{"whitelist.add", "order", "order", "convert", "order", "treasury.run"})
}

// runSession whitelists the cold address (the venue approves it), buys,
// sells over RFQ and converts EUR to ETH, each filled; an order over
// max_order_notional is refused by risk.
func runSession(t *testing.T, h *harness) {
	t.Helper()
	var wl struct {
		AddressID string `json:"addressId"`
	}
	if code := h.adminJSON(http.MethodPost, "/admin/whitelist", map[string]string{"name": "cold", "asset": "BTC",
		"address": "bc1qcoldcoldcoldcoldcoldcoldcoldcoldcold0", "network": "Bitcoin"}, &wl); code != http.StatusOK || wl.AddressID == "" {
		t.Fatalf("whitelist = %d %+v", code, wl)
	}
	if err := h.info.Sim.Venue().ApproveWhitelist(wl.AddressID); err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		path string
		body map[string]string
	}{
		{"/admin/order", map[string]string{"pair": "BTCEUR", "side": "buy", "size": "0.2", "reason": "session"}},
		{"/admin/order", map[string]string{"pair": "BTCEUR", "side": "sell", "size": "0.05", "path": "rfq"}},
		{"/admin/convert", map[string]string{"from": "EUR", "to": "ETH", "amount": "3000"}},
	} {
		var a daemon.TradeAnswer
		if code := h.adminJSON(http.MethodPost, o.path, o.body, &a); code != http.StatusOK || a.Status != "filled" {
			t.Fatalf("%s %v = %d %+v", o.path, o.body, code, a)
		}
	}
	var refused daemon.TradeAnswer
	if code := h.adminJSON(http.MethodPost, "/admin/order", map[string]string{"pair": "BTCEUR", "side": "buy", "size": "1"}, &refused); code != http.StatusUnprocessableEntity ||
		refused.Status != "rejected" || !strings.Contains(refused.Detail, "refused by risk") {
		t.Fatalf("an order over max_order_notional = %d %+v, want 422 rejected by risk", code, refused)
	}
}

// checkIdentity: the change of valued equity is exactly the PnL plus the
// external flows, and the residual is zero.
func checkIdentity(t *testing.T, what string, v pnl.PnL) {
	t.Helper()
	sum := v.Totals.Realised.Add(v.Totals.Unrealised).Sub(v.Totals.Fees).Add(v.Totals.Inflows).Sub(v.Totals.Outflows)
	if !v.Residual.IsZero() || !sum.Equal(v.EquityChange) || !v.Complete {
		t.Errorf("%s: equity change %s, realised %s + unrealised %s - fees %s + inflows %s - outflows %s = %s, residual %s, complete %v",
			what, v.EquityChange, v.Totals.Realised, v.Totals.Unrealised, v.Totals.Fees, v.Totals.Inflows, v.Totals.Outflows, sum, v.Residual, v.Complete)
	}
}

// checkAudit: the audit trail lists the actions, in order, by the token's
// name, and a refusal says so.
func checkAudit(t *testing.T, h *harness, actions []string) {
	t.Helper()
	var recs []ledger.AuditRecord
	if code := h.adminJSON(http.MethodGet, "/admin/audit", nil, &recs); code != http.StatusOK {
		t.Fatalf("audit = %d", code)
	}
	var got []string
	refused := 0
	for _, r := range recs {
		got = append(got, r.Action)
		if r.Who != "admin" {
			t.Errorf("audit record %+v: who is not the token's name", r)
		}
		if strings.HasPrefix(r.Result, "refused (422)") {
			refused++
		}
	}
	if strings.Join(got, ",") != strings.Join(actions, ",") || refused != 1 {
		t.Errorf("audit actions = %v (%d refused), want %v with the order over the limit refused", got, refused, actions)
	}
}

// waitIntent polls the admin API until the intent reaches state.
func (h *harness) waitIntent(cid string, state ledger.IntentState) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var list []ledger.Intent
		h.adminJSON(http.MethodGet, "/admin/intents?state="+string(state), nil, &list)
		for _, it := range list {
			if it.ClientID == cid {
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("intent %s not %s within 20s\n%s", cid, state, tail(h.logs.String(), 40))
		}
		select {
		case err := <-h.done:
			h.t.Fatalf("daemon stopped: %v", err)
		case <-time.After(20 * time.Millisecond): // polling an HTTP endpoint for a condition
		}
	}
}

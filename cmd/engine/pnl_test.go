package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/pnl"
)

// TestPnLOffline: engine pnl reads a stopped engine's ledger. The fixture
// names no pair on its trade, so BTC and USDT have no fill price: without
// -prices their entries wait and the command says what to give; with a
// price file the figures are those computed by hand. 2 BTC opened at
// 60000 (inflow 120000); 0.5 BTC sold for 30000.25 USDT: a trade naming
// no pair is worth what was given, 30000, so it realises nothing and the
// USDT cost 30000; worth 0.9 EUR each, 27000.225: unrealised -2999.775.
// Equity: 1.5 BTC (1 in transit) at 60000 plus the USDT, 117000.225.
func TestPnLOffline(t *testing.T) {
	db := fixtureLedger(t)
	code, _, errOut := runEngine(t, nil, "pnl", "-db", db, "-config", "none.toml")
	if code != exitOK || !strings.Contains(errOut, "waiting for a price") || !strings.Contains(errOut, "-prices") {
		t.Errorf("pnl without prices = %d %q, want a warning naming -prices", code, errOut)
	}
	prices := writeFile(t, "# current prices\nBTC/EUR 60000\nUSDT/EUR 0.9\n")
	code, out, errOut := runEngine(t, nil, "pnl", "-db", db, "-config", "none.toml", "-prices", prices, "-json", "-by", "asset")
	var v pnl.PnL
	if code != exitOK || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("pnl -json = %d %s %s", code, out, errOut)
	}
	for _, c := range []struct {
		what      string
		got, want decimal.Decimal
	}{
		{"realised", v.Totals.Realised, decimal.Zero},
		{"unrealised", v.Totals.Unrealised, decimal.RequireFromString("-2999.775")},
		{"inflows", v.Totals.Inflows, decimal.RequireFromString("120000")},
		{"equity", v.Equity, decimal.RequireFromString("117000.225")},
		{"residual", v.Residual, decimal.Zero},
	} {
		if !c.got.Equal(c.want) {
			t.Errorf("%s = %s, want %s", c.what, c.got, c.want)
		}
	}
	if v.Pending != 0 || len(v.Rows) != 2 {
		t.Errorf("pending %d, rows %+v; want everything booked, BTC and USDT", v.Pending, v.Rows)
	}
	code, out, _ = runEngine(t, nil, "pnl", "-db", db, "-config", "none.toml", "-prices", prices, "-by", "day")
	if code != exitOK || !strings.Contains(out, "2025-03-04") || !strings.Contains(out, "residual 0") {
		t.Errorf("pnl -by day = %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"-by", "venue"}, {"-since", "yesterday"}, {"-prices", writeFile(t, "BTCEUR cheap\n")}, {"-method", "lifo"}, {"extra"},
	} {
		if code, _, errOut := runEngine(t, nil, append([]string{"pnl", "-db", db, "-config", "none.toml"}, args...)...); code != exitUsage {
			t.Errorf("pnl %v = %d %q, want %d", args, code, errOut, exitUsage)
		}
	}
}

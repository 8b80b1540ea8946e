package main

import (
	"os"
	"strings"
	"testing"
)

// TestTreasuryPlan plans every kind of policy in paper mode, sending
// nothing: the shipped ones, then, on the shipped file without its
// [treasury], none (with an explanation), and a sweep (BTC 10 against a
// max of 5), a conversion (ETH 100 against a max of 60) and a settlement
// of the Heropayments balance.
func TestTreasuryPlan(t *testing.T) {
	cfg := paperConfig(t)
	code, out, errOut := runEngine(t, nil, "treasury", "plan", "-config", cfg)
	if code != exitOK {
		t.Fatalf("treasury plan of the shipped file = %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"btc-ln", "usdt-cold", "eur-to-bank", "heropayments-settle"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan of the shipped file lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The shipped file without its treasury and the risk caps for it.
	s := string(b)
	from, to := strings.Index(s, "\n[treasury]\n"), strings.Index(s, "\n[webhook]\n")
	caps := strings.Index(s, "\ndestinations = {")
	if from < 0 || to < from || caps < 0 {
		t.Fatal("config.toml no longer has the [treasury] and risk.transfers.destinations this test removes")
	}
	s = s[:from] + s[to:]
	s = s[:caps] + s[caps+strings.Index(s[caps+1:], "\n")+1:]
	b = []byte(s)
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runEngine(t, nil, "treasury", "plan", "-config", cfg)
	if code != exitOK || !strings.Contains(out, "No treasury policies are configured") {
		t.Fatalf("treasury plan without policies = %d, want 0 and an explanation\n%s\n%s", code, out, errOut)
	}
	extra := `
[treasury.destinations.cold-btc]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qcoldcoldcoldcoldcoldcoldcoldcoldcold0"
daily_cap = "8"

[treasury.policies.btc-cold]
kind = "sweep"
asset = "BTC"
schedule = "@every 15m"
min = "1"
target = "4"
max = "5"
destination = "cold-btc"
min_sweep = "0.01"

[treasury.policies.eth-to-eur]
kind = "convert"
asset = "ETH"
to = "EUR"
pair = "ETHEUR"
schedule = "@every 1h"
min = "10"
target = "50"
max = "60"

[treasury.destinations.hercle-usdt]
type = "hercle_deposit"
asset = "USDT"
network = "Tron"
daily_cap = "1000000"

[treasury.policies.settle]
kind = "settlement"
asset = "USDT"
flow = "v2"
customer_id = "treasury"
schedule = "@every 30m"
min = "0"
target = "0"
max = "0"
destination = "hercle-usdt"
min_sweep = "1"

[risk.transfers.destinations]
cold-btc = "1000000"
`
	if err := os.WriteFile(cfg, append(b, extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runEngine(t, nil, "treasury", "plan", "-config", cfg)
	if code != exitOK {
		t.Fatalf("treasury plan = %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"POLICY", "btc-cold", "BTC", "cold-btc", "eth-to-eur", "planned", "ETHEUR", "settle", "USDT"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	t.Log("\n" + out)
	if code, _, _ := runEngine(t, nil, "treasury", "plan", "-config", cfg, "-json"); code != exitOK {
		t.Errorf("treasury plan -json = %d", code)
	}
	if code, _, _ := runEngine(t, nil, "treasury"); code != exitUsage {
		t.Errorf("treasury without plan = %d, want usage", code)
	}
}

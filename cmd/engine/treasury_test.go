package main

import (
	"os"
	"strings"
	"testing"
)

// TestTreasuryPlan plans a paper-mode sweep (BTC 10 against a max of 5)
// and a bad destination, sending nothing.
func TestTreasuryPlan(t *testing.T) {
	cfg := paperConfig(t)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
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
`
	if err := os.WriteFile(cfg, append(b, extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runEngine(t, nil, "treasury", "plan", "-config", cfg)
	if code != exitOK {
		t.Fatalf("treasury plan = %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"POLICY", "btc-cold", "BTC", "cold-btc"} {
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

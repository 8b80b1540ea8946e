package config

import (
	"strings"
	"testing"
)

const sendingSweep = `mode = "paper"
[treasury.destinations.cold]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qcoldcoldcoldcoldcoldcoldcoldcoldcold0"
daily_cap = "8"

[treasury.policies.sweep]
kind = "sweep"
asset = "BTC"
schedule = "@hourly"
min = "1"
target = "4"
max = "5"
destination = "cold"
`

// A policy that sends needs risk's daily cap for its destination, or risk
// would refuse every transfer it makes; a dry-run policy does not yet.
func TestTransferCapRequiredForSendingPolicies(t *testing.T) {
	const want = "risk.transfers.destinations.cold: missing: treasury policy sweep sends to cold"
	_, err := Parse("t.toml", []byte(sendingSweep+"dry_run = false\n"))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("sending without a risk cap: Parse = %v, want a problem containing %q", err, want)
	}
	if _, err := Parse("t.toml", []byte(sendingSweep+"dry_run = true\n")); err != nil {
		t.Errorf("dry run without a risk cap: Parse = %v, want no problem", err)
	}
	withCap := sendingSweep + "dry_run = false\n[risk.transfers]\nmax_daily = \"10000\"\ndestinations = { cold = \"5000\" }\n"
	if _, err := Parse("t.toml", []byte(withCap)); err != nil {
		t.Errorf("sending with a risk cap: Parse = %v, want no problem", err)
	}
}

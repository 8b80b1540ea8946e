package policy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/treasury/policy"
)

// valid is a section using every kind of policy and destination.
const valid = `
poll_after = "5m"
lookups = 3
in_window = "skip"

[daily_caps]
BTC = "2"
EUR = 250000

[destinations.cold]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qcold"
daily_cap = "1.5"

[destinations.tagged]
type = "crypto"
asset = "ETH"
network = "Ethereum"
address = "0xabc"
address_params = { tag = "42" }
instant = true
daily_cap = "10"

[destinations.ln]
type = "lightning"
asset = "BTC"
address = "treasury@wallet.example"
daily_cap = "0.1"
invoice_prefix = "lnbcrt"

[destinations.bank]
type = "bank"
asset = "EUR"
network = "SEPA"
address = "IT60X0542811101000000123456"
address_params = { bic = "AABCDEFX" }
daily_cap = "100000"
payee = { type = "company", company = "Acme Srl", name = "Maria", surname = "Rossi", country = "IT", state = "MI", city = "Milano", address = "Via Roma 1", postal_code = "20121" }

[destinations.hercle]
type = "hercle_deposit"
asset = "USDT"
network = "Tron"
daily_cap = "500000"

[policies.btc-cold]
kind = "sweep"
asset = "BTC"
schedule = "0 */15 * * * *"
min = "0.5"
target = "1"
max = "2"
destination = "cold"
min_sweep = "0.01"
fee = "0.0002"
max_fee_ratio = "0.01"
dry_run = false

[policies.eth]
kind = "sweep"
asset = "ETH"
schedule = "@every 1h"
min = "1"
target = "2"
max = "3"
destination = "tagged"

[policies.btc-eur]
kind = "convert"
asset = "BTC"
to = "EUR"
pair = "BTCEUR"
schedule = "@hourly"
min = "3"
target = "4"
max = "5"
then = ["eur-bank"]

[policies.eur-bank]
kind = "sweep"
asset = "EUR"
schedule = "0 9 * * MON-FRI"
min = "10000"
target = "50000"
max = "100000"
destination = "bank"
below_min = "pull"
pull = { from = "convert", pair = "BTCEUR", path = "otc", max_slippage = "0.3" }

[policies.settle]
kind = "settlement"
asset = "USDT"
flow = "v2"
customer_id = "treasury"
schedule = "@every 30m"
min = "0"
target = "1000"
max = "10000"
destination = "hercle"
max_network_fee = "5"
precision = 6
`

func TestParseValid(t *testing.T) {
	c, err := policy.Parse("valid", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.PolicyNames(), []string{"btc-cold", "btc-eur", "eth", "eur-bank", "settle"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("PolicyNames() = %v, want %v", got, want)
	}
	cold, eth := c.Policies["btc-cold"], c.Policies["eth"]
	if cold.IsDryRun() || !eth.IsDryRun() {
		t.Errorf("IsDryRun() = %v, %v for dry_run = false and absent; want false, true", cold.IsDryRun(), eth.IsDryRun())
	}
	if cold.Decimals() != policy.DefaultPrecision || c.Policies["settle"].Decimals() != 6 {
		t.Errorf("Decimals() = %d, %d; want the default %d and 6", cold.Decimals(), c.Policies["settle"].Decimals(), policy.DefaultPrecision)
	}
	if c.Window() != scheduler.Skip || c.LookupsOr() != 3 || c.PollAfter.Or(time.Hour) != 5*time.Minute || c.PollEvery.Or(time.Hour) != time.Hour {
		t.Errorf("window %v, lookups %d, poll_after %v, poll_every %v", c.Window(), c.LookupsOr(), c.PollAfter.Or(time.Hour), c.PollEvery.Or(time.Hour))
	}
	if !c.DailyCaps["EUR"].Equal(tomlval.MustDec("250000").Decimal) || !cold.Fee.Equal(tomlval.MustDec("0.0002").Decimal) {
		t.Errorf("amounts decoded as %s and %s", c.DailyCaps["EUR"].Decimal, cold.Fee.Decimal)
	}
	if conv := c.Policies["btc-eur"]; conv.PathOr() != policy.DefaultPath || !conv.Slippage().Equal(policy.DefaultMaxSlippage) {
		t.Errorf("convert defaults: path %q slippage %s", conv.PathOr(), conv.Slippage())
	}
	if c.Destinations["ln"].Prefix() != "lnbcrt" || c.Destinations["cold"].Prefix() != policy.DefaultInvoicePrefix {
		t.Errorf("invoice prefixes %q, %q", c.Destinations["ln"].Prefix(), c.Destinations["cold"].Prefix())
	}
	var zero policy.Config
	if ps := zero.Problems(); len(ps) != 0 {
		t.Errorf("the zero Config has problems: %v", ps)
	}
}

// Every problem is reported at once, each under its key.
func TestProblemsReportedAtOnce(t *testing.T) {
	bad := `
lookups = -1
in_window = "later"
bogus = 1

[daily_caps]
btc = "1"
EUR = 0.5

[destinations.cold]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
daily_cap = "0.001"

[destinations.ln]
type = "lightning"
asset = "ETH"
address = "x"
network = "Lightning"
daily_cap = "1"

[destinations.nocap]
type = "bank"
asset = "EUR"
network = "SEPA"
address = "IT60\tX05"
payee = { type = "robot", country = "Italy" }

[destinations.what]
type = "carrier-pigeon"
asset = "BTC"
daily_cap = "1"

[policies.a]
kind = "sweep"
asset = "BTC"
schedule = "every now and then"
min = "2"
target = "1"
max = "3"
destination = "cold"
min_sweep = "0.01"
typo_key = true

[policies.b]
kind = "sweep"
asset = "BTC"
schedule = "@hourly"
min = "1"
target = "1.5"
max = "2.5"
destination = "missing"
then = ["c"]

[policies.c]
kind = "convert"
asset = "BTC"
to = "EUR"
pair = "EURUSD"
schedule = "@hourly"
min = "10"
target = "11"
max = "12"
then = ["b"]

[policies.d]
kind = "settlement"
asset = "USDT"
schedule = "@hourly"
min = "-1"
target = "x"
destination = "ln"
below_min = "pull"

[policies.e]
kind = "teleport"
asset = "BTC"
schedule = "@hourly"
min = "20"
target = "21"
max = "22"
below_min = "alert"
pull = { from = "convert" }
`
	_, err := policy.Parse("bad.toml", []byte(bad))
	var pe *policy.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Parse = %v, want *policy.Error", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"lookups: must be from 0",
		"in_window:",
		"bogus: unknown key",
		"policies.a.typo_key: unknown key",
		"daily_caps.btc: asset codes are upper case",
		"daily_caps.EUR: want a decimal string",
		"destinations.cold.address: required",
		"destinations.ln.asset: a Lightning destination pays BTC",
		"destinations.ln.address: must be a Lightning Address (name@domain), an LNURL",
		"destinations.ln: a Lightning destination takes no network",
		"destinations.nocap.daily_cap: required",
		"destinations.nocap.address: must not contain control characters",
		"destinations.nocap.payee.type:",
		"destinations.nocap.payee.country:",
		"destinations.what.type:",
		"policies.a.schedule: cron spec",
		"policies.a: needs min <= target <= max",
		"policies.a.min_sweep: 0.01 is above destination \"cold\"'s daily_cap 0.001",
		"policies.b.destination: unknown destination \"missing\"",
		"policies.b.then: chain loops: b -> c -> b",
		"policies.b: manages the available BTC at Hercle in [1, 2.5], overlapping policy \"a\"'s [2, 3]",
		"policies.c.pair: must be BTCEUR or EURBTC",
		"policies.d.min: must not be negative",
		"policies.d.target: \"x\" is not a decimal number",
		"policies.d.max: required",
		"policies.d.destination: \"ln\" is a lightning destination; a settlement policy needs hercle_deposit",
		"policies.d.flow:",
		"policies.d.customer_id: required",
		"policies.d.pull: required with below_min = \"pull\"",
		"policies.e.kind:",
		"policies.e.pull: is used only with below_min = \"pull\"",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("error was:\n%s", msg)
	}
}

// The [treasury] section of config.toml is valid and shows every kind of
// destination: the documentation cannot drift from the schema.
func TestConfigTOMLExampleIsValid(t *testing.T) {
	cfg, err := config.Load("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, d := range cfg.Treasury.Destinations {
		kinds[d.Type] = true
	}
	for _, k := range []string{policy.TypeCrypto, policy.TypeLightning, policy.TypeBank, policy.TypeHercleDeposit} {
		if !kinds[k] {
			t.Errorf("config.toml's [treasury] has no %s destination", k)
		}
	}
	if len(cfg.Treasury.Policies) == 0 {
		t.Error("config.toml's [treasury] has no policy")
	}
}

// config.Parse reports the section's problems under "treasury.".
func TestConfigReportsTreasuryProblems(t *testing.T) {
	_, err := config.Parse("engine.toml", []byte(`mode = "paper"
[treasury.policies.x]
kind = "sweep"
asset = "BTC"
schedule = "@hourly"
min = "1"
target = "2"
max = 3.5
destination = "nowhere"
`))
	if err == nil {
		t.Fatal("Parse accepted a float amount and an unknown destination")
	}
	for _, want := range []string{"treasury.policies.x.max: want a decimal string", "treasury.policies.x.destination: unknown destination"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("[policies.x]\nkind = \"sweep\"\nmin = \"1e99999999\"\n"))
	f.Add([]byte("[destinations.a]\ntype = \"bank\"\npayee = {}\n[policies.p]\nthen = [\"p\", \"q\"]\nbelow_min = \"pull\"\npull = { from = \"heropayments\", policy = \"p\" }\n"))
	f.Add([]byte("[daily_caps]\nBTC = -1\n[policies.a]\nkind = \"convert\"\nasset = \"BTC\"\nto = \"BTC\"\nprecision = 99\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := policy.Parse("fuzz", data)
		// Only acceptance must be deterministic: the TOML decoder names
		// the first type mismatch it meets in map order.
		if _, err2 := policy.Parse("fuzz", data); (err == nil) != (err2 == nil) {
			t.Fatalf("Parse is not deterministic: %v then %v", err, err2)
		}
		if err != nil {
			return
		}
		if ps := c.Problems(); len(ps) != 0 {
			t.Fatalf("Parse accepted a config with problems: %v", ps)
		}
		for name, p := range c.Policies {
			if p.Min.GreaterThan(p.Target.Decimal) || p.Target.GreaterThan(p.Max.Decimal) || p.Min.IsNegative() {
				t.Fatalf("policy %s accepted with min %s target %s max %s", name, p.Min.Decimal, p.Target.Decimal, p.Max.Decimal)
			}
			if p.Kind != policy.KindConvert {
				if _, ok := c.Destinations[p.Destination]; !ok {
					t.Fatalf("policy %s accepted with unknown destination %q", name, p.Destination)
				}
			}
		}
		for name, d := range c.Destinations {
			if !d.DailyCap.IsPositive() {
				t.Fatalf("destination %s accepted with daily_cap %s", name, d.DailyCap.Decimal)
			}
		}
	})
}

// A pull by conversion names only its pair; treasury reads the policy's
// asset as the pair's base when the pair starts with it, else as its
// quote. A pair that starts and ends with the asset ("USDCUSD" for a USD
// balance) says neither: read as the base, the pull would buy USDC with
// the USD it should refill, on every run while the balance stays below
// min. Such a pair is refused.
func TestPullPairThatNamesTheAssetTwiceIsRefused(t *testing.T) {
	section := `
[destinations.bank]
type = "bank"
asset = "USD"
network = "SWIFT"
address = "US00BANK"
daily_cap = "100000"

[policies.usd]
kind = "sweep"
asset = "USD"
schedule = "@every 15m"
min = "1000"
target = "5000"
max = "10000"
destination = "bank"
below_min = "pull"
pull = { from = "convert", pair = "USDCUSD" }
`
	_, err := policy.Parse("pull", []byte(section))
	if err == nil || !strings.Contains(err.Error(), "policies.usd.pull.pair") {
		t.Fatalf("Parse = %v; want a problem at policies.usd.pull.pair", err)
	}
	ok := strings.Replace(section, "USDCUSD", "BTCUSD", 1)
	if _, err := policy.Parse("pull", []byte(ok)); err != nil {
		t.Fatalf("Parse with pair BTCUSD: %v", err)
	}
}

package backtest

import (
	"strings"
	"testing"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/treasury/policy"
)

// treasurySection sweeps BTC above 0.4 down to 0.3 to cold storage, hourly;
// converts ETH above 7.5 down to 7 into EUR; and has a bank sweep a
// backtest cannot replay.
const treasurySection = `
poll_every = "1m"
poll_after = "10m"

[destinations.cold-btc]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qexampleexampleexampleexampleexample0"
daily_cap = "5"

[destinations.eur-bank]
type = "bank"
asset = "EUR"
network = "SEPA"
address = "IT60X0542811101000000123456"
daily_cap = "100000"
payee = { type = "company", company = "Example Treasury Srl", name = "Maria", surname = "Rossi", country = "IT", state = "MI", city = "Milano", address = "Via Roma 1", postal_code = "20121" }

[policies.btc-cold]
kind = "sweep"
asset = "BTC"
schedule = "@every 1h"
min = "0.1"
target = "0.3"
max = "0.4"
destination = "cold-btc"
min_sweep = "0.01"
dry_run = false

[policies.eth-to-eur]
kind = "convert"
asset = "ETH"
to = "EUR"
pair = "ETHEUR"
path = "otc"
max_slippage = "0.5"
schedule = "@every 1h"
min = "1"
target = "7"
max = "7.5"
dry_run = false

[policies.eur-to-bank]
kind = "sweep"
asset = "EUR"
schedule = "@every 1h"
min = "0"
target = "60000"
max = "70000"
destination = "eur-bank"
min_sweep = "1"
dry_run = false
`

// Treasury policies replay on simulated time with the daemon's code: the
// sweep withdraws the excess and the poll settles it, the conversion
// trades through risk and execution, a dry run sends nothing, a bank sweep
// is left out with a note; a sweep is no loss in the equity curve, and
// the attribution names the policies.
func TestTreasuryReplays(t *testing.T) {
	s := runTreasury(t, treasurySection)

	tr := s.Treasury
	if tr == nil {
		t.Fatal("no treasury section in the summary")
	}
	if tr.Away["BTC"] != "0.2" {
		t.Errorf("withdrawn %v, want 0.2 BTC (0.5 down to the 0.3 target)", tr.Away)
	}
	if tr.Runs["btc-cold"]["sent"] != 1 || tr.Runs["eth-to-eur"]["converted"] != 1 {
		t.Errorf("runs %v: want one sent, one converted", tr.Runs)
	}
	if _, ok := tr.Runs["eur-to-bank"]; ok {
		t.Error("the bank sweep ran")
	}
	if !strings.Contains(strings.Join(s.Notes, "\n"), "eur-to-bank is not replayed") {
		t.Errorf("notes %v do not say the bank sweep is left out", s.Notes)
	}
	if a := s.Assets["BTC"]; a.End != "0.5" || s.Assets["ETH"].End != "7" {
		t.Errorf("held at the end: BTC %s, ETH %s; want 0.5 (0.3 at the venue, 0.2 away) and 7", a.End, s.Assets["ETH"].End)
	}
	if s.Trades != 1 {
		t.Errorf("%d trades, want the conversion's one", s.Trades)
	}
	p := s.Portfolio
	if p.Residual != "0" || !d(p.Outflows).IsPositive() {
		t.Errorf("portfolio %+v: want the sweep as an outflow and a zero residual", p)
	}
	keys := map[string]bool{}
	for _, k := range p.ByKey {
		keys[k.Key] = true
	}
	if !keys["treasury:eth-to-eur"] || !keys["treasury:btc-cold"] {
		t.Errorf("attribution %+v: want both policies", p.ByKey)
	}
	// Sweeping is not losing: the curve's return is the benchmark's but for
	// the conversion's price.
	if diff := d(s.ExcessReturn).Abs(); diff.GreaterThan(d("0.01")) {
		t.Errorf("excess return %s: a sweep changed the equity", s.ExcessReturn)
	}
}

// runTreasury replays the test day with the section's policies and no
// strategy trading.
func runTreasury(t *testing.T, section string) *Summary {
	t.Helper()
	cfg, err := policy.Parse("treasury", []byte(section))
	if err != nil {
		t.Fatal(err)
	}
	o := options(t, day(t))
	o.Strategies = []strategy.Strategy{&onTick{done: true}}
	o.Treasury = cfg
	o.Limits.Transfers.MaxDaily = tomlval.MustDec("1000000")
	o.Limits.Transfers.Destinations = map[string]tomlval.Decimal{"cold-btc": tomlval.MustDec("1000000")}
	o.Venue.FeeBps = d("0")
	return run(t, o)
}

// A dry-run policy stays one in a backtest, as in the daemon: it runs,
// says what it would send, and sends nothing.
func TestTreasuryDryRunSendsNothing(t *testing.T) {
	s := runTreasury(t, strings.Replace(treasurySection, "destination = \"cold-btc\"\nmin_sweep = \"0.01\"\ndry_run = false",
		"destination = \"cold-btc\"\nmin_sweep = \"0.01\"", 1))
	if s.Treasury.Runs["btc-cold"]["dry_run"] == 0 || len(s.Treasury.Away) != 0 || s.Assets["BTC"].End != "0.5" {
		t.Errorf("runs %v, away %v, BTC %s: want dry runs and nothing sent", s.Treasury.Runs, s.Treasury.Away, s.Assets["BTC"].End)
	}
}

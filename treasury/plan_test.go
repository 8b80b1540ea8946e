package treasury_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/treasury"
)

// Plan says what every policy would do now and sends, registers and
// records nothing.
func TestPlanReportsWhatEachPolicyWouldDoAndSendsNothing(t *testing.T) {
	section := coldSection("10", "dry_run = false") + strings.Replace(bankSection, `max = "55000"`, `max = "59000"`, 1) + `
[policies.eth-alert]
kind = "sweep"
asset = "ETH"
schedule = "@hourly"
min = "1"
target = "2"
max = "3"
destination = "eth-out"

[destinations.eth-out]
type = "crypto"
asset = "ETH"
network = "Ethereum"
address = "0xeth"
daily_cap = "10"
`
	r := newRig(t, section, rigOptions{balances: map[market.Asset]decimal.Decimal{"BTC": d("5"), "EUR": d("60000"), "ETH": d("0.5")}})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	plans, err := r.tr.Plan(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]treasury.Result{}
	for _, p := range plans {
		byName[p.Policy] = p
	}
	if p := byName["btc-cold"]; p.Outcome != treasury.OutcomePlanned || p.Action != treasury.ActionSend || !p.Amount.Equal(d("4")) || p.Destination != "cold" {
		t.Errorf("btc-cold plan %+v, want 4 BTC to cold", p)
	}
	if p := byName["eur-bank"]; p.Outcome != treasury.OutcomeRefused || !strings.Contains(p.Reason, "not registered yet") {
		t.Errorf("eur-bank plan %+v, want refused: the payee address is not registered", p)
	}
	if p := byName["eth-alert"]; p.Outcome != treasury.OutcomeAlert || !p.Amount.Equal(d("1.5")) {
		t.Errorf("eth-alert plan %+v, want an alert 1.5 short", p)
	}
	if len(r.wire.sent()) != 0 || len(r.withdrawals()) != 0 || len(r.intents()) != 0 || len(r.payeeAddresses()) != 0 {
		t.Errorf("Plan sent, recorded or registered something")
	}
	if got := r.runs("btc-cold", "planned"); got != 0 {
		t.Errorf("Plan counted as a run")
	}
}

func TestBelowMinAlertsByDefault(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{balances: map[market.Asset]decimal.Decimal{"BTC": d("0.2")}})
	res, err := r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeAlert || !res.Amount.Equal(d("0.8")) {
		t.Fatalf("Sweep = %+v, %v; want an alert, 0.8 short of target", res, err)
	}
	if got := r.runs("btc-cold", "alert"); got != 1 {
		t.Errorf("runs{alert} = %v, want 1", got)
	}
}

// Below min, a pull by conversion buys the shortfall through execution.
func TestBelowMinPullsByConversion(t *testing.T) {
	section := strings.Replace(bankSection, `min = "10000"
target = "50000"
max = "55000"`, `min = "70000"
target = "80000"
max = "100000"
below_min = "pull"
pull = { from = "convert", pair = "BTCEUR", path = "otc", max_slippage = "1" }`, 1)
	r := newRig(t, section, rigOptions{})
	res, err := r.sweep("eur-bank")
	if err != nil || res.Outcome != treasury.OutcomeConverted || res.Action != treasury.ActionPull || !res.Amount.Equal(d("20000")) {
		t.Fatalf("Sweep = %+v, %v; want 20000 EUR pulled by conversion", res, err)
	}
	if got := r.venueAvailable("EUR"); got.LessThan(d("79800")) || got.GreaterThan(d("80200")) {
		t.Errorf("EUR after the pull %s, want about target 80000", got)
	}
	if got := r.venueAvailable("BTC"); !got.LessThan(d("5")) {
		t.Errorf("BTC %s, want some sold", got)
	}
	if in := r.intent(res.ClientID); in.Kind != ledger.IntentOrder || in.State != ledger.StateSucceeded {
		t.Errorf("pull intent %s %s, want a succeeded order", in.Kind, in.State)
	}
}

// Below min, a pull from Heropayments settles the shortfall into Hercle.
func TestBelowMinPullsFromHeropayments(t *testing.T) {
	section := settleSection + `
[destinations.usdt-out]
type = "crypto"
asset = "USDT"
network = "Tron"
address = "TOutExample"
daily_cap = "100000"

[policies.usdt-float]
kind = "sweep"
asset = "USDT"
schedule = "@hourly"
min = "1000"
target = "3000"
max = "10000"
destination = "usdt-out"
below_min = "pull"
pull = { from = "heropayments", policy = "settle" }
dry_run = false
`
	r := newSettleRig(t, section)
	res, err := r.sweep("usdt-float")
	if err != nil || res.Outcome != treasury.OutcomeSent || res.Policy != "usdt-float" || res.Destination != "hercle-usdt" || !res.Amount.Equal(d("3000")) {
		t.Fatalf("Sweep = %+v, %v; want 3000 USDT settled from Heropayments", res, err)
	}
	w := r.heropaymentsWithdrawal(res.ClientID)
	if !w.Amount.Equal(d("3000")) {
		t.Errorf("Heropayments withdrawal %s, want 3000", w.Amount)
	}
	r.landAtHercle()
	r.poll()
	if got := r.venueAvailable("USDT"); !got.Equal(d("2999")) {
		t.Errorf("Hercle USDT %s, want 2999 after the network fee", got)
	}
	if in := r.intent(res.ClientID); in.State != ledger.StateSucceeded {
		t.Errorf("intent %s, want succeeded", in.State)
	}
	r.verify()
}

// Risk in the event loop checks every movement out of the business
// against the same limits as trading: its refusal stops the movement
// before anything is recorded or sent, and no cap is taken.
func TestRiskRefusalSendsNothing(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{limits: func(l *risk.Limits) {
		l.Transfers.MaxDaily = tomlval.Dec(d("10000"))
	}})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	res, err := r.sweep("btc-cold") // 4 BTC is about 220000 EUR, over risk's 10000 a day
	if !errors.Is(err, treasury.ErrRejected) || res.Outcome != treasury.OutcomeRefused {
		t.Fatalf("Sweep = %+v, %v; want refused by risk", res, err)
	}
	var rej *risk.Rejection
	if !errors.As(err, &rej) || rej.Reason != risk.TransferCap {
		t.Errorf("error %v does not carry risk's transfer-cap rejection", err)
	}
	if len(r.wire.sent()) != 0 || len(r.intents()) != 0 {
		t.Errorf("something was sent or recorded")
	}
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.IsZero() {
		t.Errorf("daily total %s after risk's refusal, want 0", c)
	}
}

// Risk's transfer caps are for money leaving the business: a settlement
// between two of our venues has no risk cap and needs no price to value
// it (there is none for USDT here), and still goes out; only risk's stops
// and the balance at its source apply.
func TestSettlementIsNotARiskTransfer(t *testing.T) {
	r := newRig(t, settleSection, rigOptions{heropay: d("5000"), networkFee: d("1"), limits: func(l *risk.Limits) {
		l.Transfers.Destinations = nil
	}})
	res, err := r.sweep("settle")
	if err != nil || res.Outcome != treasury.OutcomeSent || !res.Amount.Equal(d("4000")) {
		t.Fatalf("Sweep = %+v, %v; want 4000 USDT settled without a risk cap", res, err)
	}
}

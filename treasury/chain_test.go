package treasury_test

import (
	"strings"
	"testing"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/treasury"
)

const convertSection = `
[policies.btc-eur]
kind = "convert"
asset = "BTC"
to = "EUR"
pair = "BTCEUR"
path = "otc"
max_slippage = "1"
schedule = "@hourly"
min = "0.5"
target = "1"
max = "2"
then = ["eur-bank"]
dry_run = false
`

// The chain: sell the BTC above target for EUR through the execution path,
// then send the EUR above max to the approved bank payee.
func TestChainConvertsThenSweepsToTheBank(t *testing.T) {
	section := strings.Replace(bankSection, `daily_cap = "100000"`, `daily_cap = "1000000"`, 1) + convertSection
	r := newRig(t, section, rigOptions{})
	if _, err := r.venue.CreateDepositAddress("EUR", "SEPA"); err != nil {
		t.Fatal(err)
	}
	r.sweep("eur-bank") // registers the payee address, refused until approved
	addrs := r.payeeAddresses()
	if len(addrs) != 1 {
		t.Fatalf("%d payee addresses, want 1", len(addrs))
	}
	r.approve(addrs[0], webhook.PayeeAddressApproved)
	// Bring EUR within range first, so only the chain moves it.
	if res, err := r.sweep("eur-bank"); err != nil || res.Outcome != treasury.OutcomeSent {
		t.Fatalf("EUR Sweep = %+v, %v", res, err)
	}
	if !r.venueAvailable("EUR").Equal(d("50000")) {
		t.Fatalf("EUR available %s, want 50000", r.venueAvailable("EUR"))
	}
	transfersBefore := len(r.transfers())
	r.payoutSucceeded(r.transfers()[0], "0")
	r.poll()

	res, err := r.sweep("btc-eur")
	if err != nil || res.Outcome != treasury.OutcomeConverted || !res.Amount.Equal(d("4")) || res.Destination != "BTCEUR" {
		t.Fatalf("convert Sweep = %+v, %v; want 4 BTC converted on BTCEUR", res, err)
	}
	if len(res.Chained) != 1 || res.Chained[0].Policy != "eur-bank" || res.Chained[0].Outcome != treasury.OutcomeSent {
		t.Fatalf("chained = %+v, want the EUR sweep sent", res.Chained)
	}
	if got := r.venueAvailable("BTC"); !got.Equal(d("1")) {
		t.Errorf("BTC available %s after the conversion, want target 1", got)
	}
	if got := r.venueAvailable("EUR"); !got.Equal(d("50000")) {
		t.Errorf("EUR available %s after the chain, want target 50000", got)
	}
	trs := r.transfers()
	if len(trs) != transfersBefore+1 {
		t.Fatalf("%d transfers, want one more", len(trs))
	}
	sent := trs[len(trs)-1]
	if sent.ClientID != res.Chained[0].ClientID || !sent.Amount.Equal(res.Chained[0].Amount) || sent.Amount.LessThan(d("150000")) {
		t.Errorf("chained transfer %s of %s, want the proceeds (about 220000) under %s", sent.ClientID, sent.Amount, res.Chained[0].ClientID)
	}
	// The trade went through execution: its intent and fill are in the ledger.
	order := r.intent(res.ClientID)
	if order.Kind != ledger.IntentOrder || order.State != ledger.StateSucceeded {
		t.Errorf("conversion intent %s %s, want a succeeded order", order.Kind, order.State)
	}
	fills, err := r.store.Entries(r.ctx, ledger.Filter{Kind: ledger.KindTrade, ClientID: res.ClientID})
	if err != nil || len(fills) != 1 {
		t.Fatalf("fills of %s: %d, %v; want 1", res.ClientID, len(fills), err)
	}
	if got := r.metric("engine_treasury_sent_amount_total", map[string]string{"policy": "btc-eur", "asset": string(market.Asset("BTC"))}); got != 4 {
		t.Errorf("sent_amount{btc-eur} = %v, want 4", got)
	}
	r.noViolations()
	r.verify()
}

// A conversion whose outcome is unknown may still fill: the policy waits
// for it instead of converting again.
func TestConversionWaitsForAnUnresolvedOne(t *testing.T) {
	r := newRig(t, strings.Replace(convertSection, `then = ["eur-bank"]`, "", 1), rigOptions{})
	const cid = "conv-unknown"
	if _, _, err := r.store.CreateIntent(r.ctx, ledger.Intent{ClientID: cid, Kind: ledger.IntentOrder, Venue: ledger.Hercle,
		Request: []byte(`{"strategy":"treasury:btc-eur","pair":"BTCEUR","side":"sell","size":"4","amount":"0","path":"otc"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Transition(r.ctx, cid, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	res, err := r.sweep("btc-eur")
	if err != nil || res.Outcome != treasury.OutcomeSkipped || res.ClientID != cid {
		t.Fatalf("Sweep = %+v, %v; want skipped for %s", res, err, cid)
	}
	if got := r.venueAvailable("BTC"); !got.Equal(d("5")) {
		t.Fatalf("BTC available %s, want 5: nothing converted", got)
	}
	if _, err := r.store.Transition(r.ctx, cid, ledger.StateFailed, ledger.Detail{Note: "test: never filled"}); err != nil {
		t.Fatal(err)
	}
	if res, err := r.sweep("btc-eur"); err != nil || res.Outcome != treasury.OutcomeConverted {
		t.Fatalf("Sweep after it failed = %+v, %v; want converted", res, err)
	}
}

package treasury_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/treasury"
)

const iban = "IT60X0542811101000000123456"

const bankSection = `
[destinations.bank]
type = "bank"
asset = "EUR"
network = "SEPA"
address = "IT60 X054 2811 1010 0000 0123 456"
address_params = { bic = "AABCDEFX" }
account_name = "Acme operating account"
daily_cap = "100000"
payee = { type = "company", company = "Acme Treasury Srl", name = "Maria", surname = "Rossi", country = "IT", state = "MI", city = "Milano", address = "Via Roma 1", postal_code = "20121" }

[policies.eur-bank]
kind = "sweep"
asset = "EUR"
schedule = "@hourly"
min = "10000"
target = "50000"
max = "55000"
destination = "bank"
min_sweep = "100"
dry_run = false
`

// payeeAddresses lists the venue's payee addresses through the REST client.
func (r *rig) payeeAddresses() []hercle.PayeeAddress {
	r.t.Helper()
	var out []hercle.PayeeAddress
	for p, err := range r.client.Payees(r.ctx, hercle.CursorQuery{}) {
		if err != nil {
			r.t.Fatal(err)
		}
		for a, err := range r.client.PayeeAddresses(r.ctx, p.ID, hercle.CursorQuery{}) {
			if err != nil {
				r.t.Fatal(err)
			}
			out = append(out, a)
		}
	}
	return out
}

func (r *rig) transfers() []sim.Transfer {
	r.t.Helper()
	page, err := r.venue.Transfers(sim.TransferQuery{CursorQuery: sim.CursorQuery{Size: 50, From: monday.Add(-time.Hour), To: monday.Add(29 * 24 * time.Hour)}})
	if err != nil {
		r.t.Fatal(err)
	}
	return page.Items
}

// approve delivers the Payee.StatusUpdated webhook Hercle sends when its
// review of the payee address ends.
func (r *rig) approve(a hercle.PayeeAddress, st webhook.PayeeAddressStatus) {
	r.t.Helper()
	r.webhook(webhook.EventPayeeStatusUpdated, webhook.PayeeAddress{ID: a.ID, PayeeID: a.PayeeID, Name: a.Name, Asset: a.Asset,
		Address: a.Address, Network: a.Network, Status: st})
	r.clock.Advance(time.Second) // the next update is later, as the registry orders them
}

// payoutSucceeded delivers the Banking.Payout.StatusUpdated SUCCESS webhook
// of a transfer, the venue charging fee.
func (r *rig) payoutSucceeded(tr sim.Transfer, fee string) {
	r.t.Helper()
	f := hercle.MustNumber(fee)
	r.webhook(webhook.EventPayoutStatusUpdated, webhook.Transfer{ID: tr.ID, ClientID: tr.ClientID, Status: hercle.BankingSuccess,
		Debtor: &webhook.TransferParty{InternalAddressID: tr.InternalAddressID, Asset: string(tr.Asset), Amount: hercle.N(tr.Amount), Fee: &f},
		Creditor: &webhook.TransferParty{PayeeAddressID: tr.PayeeAddressID, Asset: string(tr.Asset), Address: iban, Network: "SEPA",
			Amount: hercle.N(tr.Amount.Sub(f.Decimal))}})
}

func TestBankTransferGoesToTheRegisteredPayeeOnlyOnceApproved(t *testing.T) {
	r := newRig(t, bankSection, rigOptions{})
	internal, err := r.venue.CreateDepositAddress("EUR", "SEPA")
	if err != nil {
		t.Fatal(err)
	}

	// First run: the payee and its address are registered through the API,
	// and nothing is paid before Hercle approves them.
	res, err := r.sweep("eur-bank")
	if !errors.Is(err, treasury.ErrNotApproved) || res.Outcome != treasury.OutcomeRefused {
		t.Fatalf("first Sweep = %+v, %v; want refused until approved", res, err)
	}
	addrs := r.payeeAddresses()
	if len(addrs) != 1 || addrs[0].Address != "IT60 X054 2811 1010 0000 0123 456" || addrs[0].AddressParams["bic"] != "AABCDEFX" {
		t.Fatalf("payee addresses %+v, want the configured account registered once", addrs)
	}
	for _, st := range []webhook.PayeeAddressStatus{webhook.PayeeAddressPending, webhook.PayeeAddressReviewing} {
		r.approve(addrs[0], st)
		if _, err := r.sweep("eur-bank"); !errors.Is(err, treasury.ErrNotApproved) || !strings.Contains(err.Error(), st.String()) {
			t.Fatalf("Sweep with the address %s = %v, want refused naming the status", st, err)
		}
	}
	if n := len(r.payeeAddresses()); n != 1 {
		t.Fatalf("%d payee addresses after several runs, want the one registered first", n)
	}
	if len(r.transfers()) != 0 || len(r.intents()) != 0 || len(r.wire.sent()) != 0 {
		t.Fatal("something was sent before approval")
	}

	r.approve(addrs[0], webhook.PayeeAddressApproved)
	res, err = r.sweep("eur-bank")
	if err != nil || res.Outcome != treasury.OutcomeSent || !res.Amount.Equal(d("10000")) {
		t.Fatalf("Sweep after approval = %+v, %v; want 10000 EUR sent", res, err)
	}
	cid := res.ClientID
	trs := r.transfers()
	if len(trs) != 1 || trs[0].ClientID != cid || trs[0].PayeeAddressID != addrs[0].ID || trs[0].InternalAddressID != internal.ID ||
		!trs[0].Amount.Equal(d("10000")) {
		t.Fatalf("venue transfers %+v, want one of 10000 from %s to %s under %s", trs, internal.ID, addrs[0].ID, cid)
	}
	transit := ledger.Transit(ledger.TransitBank, cid)
	if in := r.intent(cid); in.Kind != ledger.IntentTransfer || !r.balance(transit, "EUR").Equal(d("10000")) {
		t.Fatalf("intent %s, transit %s; want a transfer intent with 10000 in transit", in.Kind, r.balance(transit, "EUR"))
	}

	// Hercle's payout webhook settles it through package inbound, with
	// the same keys treasury uses.
	r.payoutSucceeded(trs[0], "1.5")
	r.poll()
	if in := r.intent(cid); in.State != ledger.StateSucceeded {
		t.Fatalf("intent %s after the payout webhook, want succeeded", in.State)
	}
	if got, fees := r.balance(ledger.ExternalBank(iban), "EUR"), r.balance(ledger.Fees(ledger.Hercle), "EUR"); !got.Equal(d("9998.5")) || !fees.Equal(d("1.5")) {
		t.Errorf("payee received %s, fees %s; want 9998.5 and 1.5", got, fees)
	}
	if !r.balance(transit, "EUR").IsZero() {
		t.Errorf("transit not cleared")
	}
	if got := r.metric("engine_treasury_resolved_total", map[string]string{"method": "transfer", "outcome": "succeeded"}); got != 1 {
		t.Errorf("resolved{transfer, succeeded} = %v, want 1", got)
	}
	r.noViolations()
	r.verify()

	// A transfer whose answer is lost is found over REST by its
	// Client-Id (GET /transfers?transferClientId=) and settled by polling.
	r.credit("EUR", d("20000"))
	r.wire.inject(faultAfterApply)
	res, err = r.sweep("eur-bank")
	if err != nil || res.Outcome != treasury.OutcomeSent || !strings.Contains(res.Reason, "found by Client-Id") {
		t.Fatalf("Sweep with the answer lost = %+v, %v; want sent, found by Client-Id", res, err)
	}
	r.clock.Advance(61 * time.Second)
	r.poll()
	if in := r.intent(res.ClientID); in.State != ledger.StateResolved || in.Outcome != ledger.StateSucceeded {
		t.Fatalf("intent %s/%s after polling, want resolved succeeded from the transfer's CONFIRMED", in.State, in.Outcome)
	}
	if n := len(r.transfers()); n != 2 || r.venue.Executions(res.ClientID) != 1 {
		t.Fatalf("%d transfers, %d executions of %s; want 2 and 1", n, r.venue.Executions(res.ClientID), res.ClientID)
	}
	r.verify()

	// Refused later: nothing more goes there.
	r.credit("EUR", d("20000"))
	r.approve(addrs[0], webhook.PayeeAddressRefused)
	if _, err := r.sweep("eur-bank"); !errors.Is(err, treasury.ErrNotApproved) {
		t.Fatalf("Sweep after the address was refused = %v, want ErrNotApproved", err)
	}
	if n := len(r.transfers()); n != 2 {
		t.Errorf("venue holds %d transfers, want 2", n)
	}
}

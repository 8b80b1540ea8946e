package reconcile_test

import (
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/sim"
)

// Bank transfers come from the banking listing (cursor pages) with their
// amounts from the banking ledger: the engine's transfer matches its
// intent and settlement; one made in the venue's UI is imported once
// final.
func TestBankTransfers(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	from, err := r.venue.CreateDepositAddress("EUR", "SEPA")
	if err != nil {
		t.Fatal(err)
	}
	payee, err := r.venue.RegisterPayee(sim.Payee{Type: sim.PayeeCompany, Company: "Supplier Srl", Country: "IT"})
	if err != nil {
		t.Fatal(err)
	}
	const iban = "IT60X0542811101000000123456"
	pa, err := r.venue.RegisterPayeeAddress(sim.PayeeAddress{PayeeID: payee.ID, Name: "main", Asset: "EUR", Address: iban,
		Network: "SEPA", Params: map[string]string{"bic": "BPMOIT22"}})
	if err != nil {
		t.Fatal(err)
	}

	// The engine's transfer: intent, request, transit.
	cid := r.clientID("B")
	if _, _, err := r.store.CreateIntent(r.ctx, ledger.Intent{ClientID: cid, Kind: ledger.IntentTransfer, Venue: ledger.Hercle}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Transition(r.ctx, cid, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	rcpt, _, err := r.client.CreateTransfer(r.ctx, hercle.TransferRequest{Asset: "EUR", Amount: hercle.N(d("2500")),
		InternalAddressID: from.ID, PayeeAddressID: pa.ID, Description: "invoice 42"}, cid)
	if err != nil {
		t.Fatal(err)
	}
	r.post(ledger.Entry{Key: cid + ":sent", Kind: ledger.KindWithdrawal, ClientID: cid, Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "EUR", Amount: d("-2500")},
		{Account: ledger.Transit(ledger.TransitBank, cid), Asset: "EUR", Amount: d("2500")},
	}})
	// One made in the venue's UI.
	outside, err := r.venue.CreateTransfer(sim.TransferRequest{Asset: "EUR", Amount: d("700"), InternalAddressID: from.ID,
		PayeeAddressID: pa.ID, Description: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(49 * time.Hour) // both settle at the venue (CONFIRMED)
	r.deliver(sim.WebhookFaults{}, hook{webhook.EventPayoutStatusUpdated, map[string]any{"Id": rcpt.ID, "ClientId": cid, "Status": "SUCCESS",
		"Debtor":   map[string]any{"InternalAddressId": from.ID, "Asset": "EUR", "Amount": hercle.N(d("2500"))},
		"Creditor": map[string]any{"PayeeAddressId": pa.ID, "Asset": "EUR", "Address": iban, "Network": "SEPA", "Amount": hercle.N(d("2500"))}}})
	if got := r.balance(ledger.ExternalBank(iban), "EUR"); !got.Equal(d("2500")) {
		t.Fatalf("the payout webhook did not settle the transfer: payee has %s", got)
	}
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	if got := rep.Count(reconcile.CheckTransfers, reconcile.Matched); got != 1 {
		t.Fatalf("transfers matched = %d, want the engine's:\n%s", got, text(rep))
	}
	f := only(t, rep, reconcile.CheckTransfers, reconcile.MissingInLedger)
	if f.Ref != outside.ID || f.Imported != "hercle:transfer:"+outside.ID || !f.Break || !strings.Contains(f.Venue, "700 EUR") {
		t.Fatalf("outside transfer = %+v; want imported from the banking ledger's amount", f)
	}
	if rep.Count(reconcile.CheckBalances, reconcile.AmountMismatch) != 0 {
		t.Fatalf("balances:\n%s", text(rep))
	}
	if got := r.balance(ledger.ExternalBank(iban), "EUR"); !got.Equal(d("3200")) {
		t.Fatalf("payee balance after the import = %s, want 3200", got)
	}

	rep = r.reconcile()
	if rep.Breaks != 0 || rep.Count(reconcile.CheckTransfers, reconcile.Matched) != 2 {
		t.Fatalf("second run:\n%s", text(rep))
	}
}

// History older than a week comes from the 30-day historical listings:
// ten days on, the trade and its legs still match.
func TestHistoryOlderThanAWeek(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.trade(market.Buy, "0.3")
	r.clock.Advance(10 * 24 * time.Hour)
	r.trade(market.Sell, "0.1")
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	if !rep.Clean() || len(rep.Findings) != 0 {
		t.Fatalf("ten days of history:\n%s", text(rep))
	}
	if got := rep.Count(reconcile.CheckTrades, reconcile.Matched); got != 2 {
		t.Fatalf("trades matched = %d, want both, the older one from the historical listing", got)
	}
	if got := rep.Count(reconcile.CheckTransactions, reconcile.Matched); got != 4 {
		t.Fatalf("transactions matched = %d, want the 4 trade legs", got)
	}
}

// Webhooks naming movements the venue does not know (a forged or
// misrouted delivery): the deposit was credited by the processor, so the
// journal, the balance and the webhook side all report it; the withdrawal
// webhook changed nothing but is reported too.
func TestWebhookWithoutVenueRecord(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	r.deliver(sim.WebhookFaults{},
		hook{webhook.EventDepositStatusUpdated, map[string]any{"Id": "phantom-tx", "Type": "DEPOSIT", "Status": "SUCCESS",
			"Asset": "BTC", "Amount": hercle.N(d("2"))}},
		hook{webhook.EventWithdrawalStatusUpdated, map[string]any{"Id": "phantom-wd", "ClientId": "W-unknown", "Asset": "BTC",
			"Network": "BTC", "Destination": btcAddress, "Amount": hercle.N(d("1")), "Status": "SUCCESS"}})
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	hooks := rep.Find(reconcile.CheckWebhooks, reconcile.MissingAtVenue)
	refs := map[string]bool{}
	for _, f := range hooks {
		refs[f.Ref] = f.Break
	}
	if len(hooks) != 2 || !refs["phantom-tx"] || !refs["phantom-wd"] {
		t.Fatalf("webhook findings = %+v; want both phantoms, breaks", hooks)
	}
	if f := only(t, rep, reconcile.CheckTransactions, reconcile.MissingAtVenue); f.Ref != "phantom-tx" || !f.Break {
		t.Fatalf("journal finding = %+v", f)
	}
	if f := only(t, rep, reconcile.CheckBalances, reconcile.AmountMismatch); f.Asset != "BTC" || f.Ledger != "12" {
		t.Fatalf("balance finding = %+v", f)
	}
	if rep.Breaks != 4 {
		t.Fatalf("breaks = %d, want 4:\n%s", rep.Breaks, text(rep))
	}
}

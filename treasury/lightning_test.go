package treasury_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/treasury"
)

// venueInvoices stands in for the recipient's wallet and the LNURL
// client that checks its invoices (package lnurl, tested on its own):
// it issues invoices on the simulator for the amount asked, or refuses
// with err.
type venueInvoices struct {
	v   *sim.Venue
	err error
}

func (s *venueInvoices) Invoice(_ context.Context, prefix, dest string, amount decimal.Decimal) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	in, err := s.v.CreateInvoice(amount, time.Hour, "treasury to "+dest)
	if err != nil {
		return "", err
	}
	return in.PaymentRequest, nil
}

const lightningSection = `
[destinations.ln]
type = "lightning"
asset = "BTC"
address = "treasury@wallet.example"
daily_cap = "1"

[policies.btc-ln]
kind = "sweep"
asset = "BTC"
schedule = "@hourly"
min = "0.5"
target = "4.9"
max = "4.95"
destination = "ln"
min_sweep = "0.001"
dry_run = false
`

func TestLightningSweepPaysAnInvoiceForTheExcess(t *testing.T) {
	r := newRig(t, lightningSection, rigOptions{invoices: func(v *sim.Venue) treasury.InvoiceSource { return &venueInvoices{v: v} }})
	res, err := r.sweep("btc-ln")
	if err != nil || res.Outcome != treasury.OutcomeSent || !res.Amount.Equal(d("0.1")) {
		t.Fatalf("Sweep = %+v, %v; want 0.1 BTC paid over Lightning", res, err)
	}
	cid := res.ClientID
	ws := r.withdrawals()
	if len(ws) != 1 || ws[0].Network != "Lightning" || ws[0].ClientID != cid || !ws[0].Amount.Equal(d("0.1")) {
		t.Fatalf("venue withdrawals %+v, want one Lightning payment of 0.1 under %s", ws, cid)
	}
	if in := r.intent(cid); in.Kind != ledger.IntentLightning || in.State != ledger.StateSubmitted {
		t.Fatalf("intent %s %s, want a submitted Lightning intent", in.Kind, in.State)
	}
	transit := ledger.Transit(ledger.TransitLightning, cid)
	if b := r.balance(transit, "BTC"); !b.Equal(d("0.1")) {
		t.Errorf("in transit %s, want 0.1", b)
	}
	r.clock.Advance(11 * time.Minute) // past the payment's settlement and poll_after
	r.poll()
	if in := r.intent(cid); in.State != ledger.StateSucceeded {
		t.Fatalf("intent %s after polling, want succeeded", in.State)
	}
	if b := r.balance(ledger.ExternalLightning("ln"), "BTC"); !b.Equal(d("0.1")) || !r.balance(transit, "BTC").IsZero() {
		t.Errorf("ln received %s (transit %s), want 0.1 (0)", b, r.balance(transit, "BTC"))
	}
	r.noViolations()
	r.verify()
}

// The venue's webhook, which names the invoice and not the destination,
// settles the payment to the account the treasury's sent entry named: the
// books are the same whichever of the webhook and the poll comes first.
func TestLightningSettledByWebhookCreditsTheSentEntrysDestination(t *testing.T) {
	r := newRig(t, lightningSection, rigOptions{invoices: func(v *sim.Venue) treasury.InvoiceSource { return &venueInvoices{v: v} }})
	res, err := r.sweep("btc-ln")
	if err != nil || res.Outcome != treasury.OutcomeSent {
		t.Fatalf("Sweep = %+v, %v; want sent", res, err)
	}
	sent, err := r.store.Entry(r.ctx, ledger.SentKey(res.ClientID))
	if err != nil {
		t.Fatal(err)
	}
	if to, ok := sent.To(); !ok || to != ledger.ExternalLightning("ln") {
		t.Fatalf("sent entry names %v (%v), want external:lightning:ln", to, ok)
	}
	w := r.withdrawals()[0]
	r.webhook(webhook.EventWithdrawalStatusUpdated, webhook.Withdrawal{ID: w.ID, ClientID: res.ClientID, Asset: "BTC",
		Amount: hercle.N(w.Amount), Fee: hercle.N(d("0.00001")), Network: "Lightning", Destination: w.Destination, Status: hercle.BankingSuccess})
	if in := r.intent(res.ClientID); in.State != ledger.StateSucceeded {
		t.Fatalf("intent after the SUCCESS webhook %s, want succeeded", in.State)
	}
	if b := r.balance(ledger.ExternalLightning("ln"), "BTC"); !b.Equal(d("0.09999")) {
		t.Errorf("ln received %s, want 0.09999 (0.1 less the fee)", b)
	}
	if b := r.balance(ledger.ExternalLightning(w.Destination), "BTC"); !b.IsZero() {
		t.Errorf("the invoice's account received %s, want nothing", b)
	}
	r.clock.Advance(11 * time.Minute)
	r.poll() // the poll finds the intent final and the settled entry posted
	if b := r.balance(ledger.ExternalLightning("ln"), "BTC"); !b.Equal(d("0.09999")) {
		t.Errorf("ln holds %s after the poll, want 0.09999: settled once", b)
	}
	r.verify()
}

// An invoice the source refuses (wrong amount, network or description
// hash: the LNURL client's checks) refuses the sweep before anything is
// recorded or sent.
func TestLightningRefusedInvoiceSendsNothing(t *testing.T) {
	refused := errors.New("the invoice is for 0.101 BTC, the payment for 0.1")
	r := newRig(t, lightningSection, rigOptions{invoices: func(v *sim.Venue) treasury.InvoiceSource { return &venueInvoices{v: v, err: refused} }})
	res, err := r.sweep("btc-ln")
	if !errors.Is(err, refused) || res.Outcome != treasury.OutcomeRefused {
		t.Fatalf("Sweep = %+v, %v; want refused with the source's error", res, err)
	}
	if len(r.wire.sent()) != 0 || len(r.withdrawals()) != 0 || len(r.intents()) != 0 {
		t.Errorf("something was sent or recorded for a refused invoice")
	}
}

// CreateInvoice is the receiving side: an invoice at Hercle that, paid,
// credits BTC.
func TestCreateInvoiceReceivesOverLightning(t *testing.T) {
	r := newRig(t, lightningSection, rigOptions{invoices: func(v *sim.Venue) treasury.InvoiceSource { return &venueInvoices{v: v} }})
	inv, err := r.tr.CreateInvoice(r.ctx, d("0.0125"), "top-up", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ins := r.venue.Invoices()
	if len(ins) != 1 || ins[0].ID != inv.ID || !ins[0].AmountBTC.Equal(d("0.0125")) || ins[0].Expires.Sub(ins[0].Created) != 2*time.Hour {
		t.Fatalf("venue invoices %+v, want one of 0.0125 BTC for 2h with id %s", ins, inv.ID)
	}
	if _, err := r.venue.PayInvoice(inv.ID); err != nil {
		t.Fatal(err)
	}
	if got := r.venueAvailable("BTC"); !got.Equal(d("5.0125")) {
		t.Errorf("BTC after the invoice was paid %s, want 5.0125", got)
	}
	if _, err := r.tr.CreateInvoice(r.ctx, d("-1"), "", 0); err == nil {
		t.Error("CreateInvoice accepted a negative amount")
	}
}

package reconcile_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/sim"
)

// confirmer builds a Confirmer over the rig's ledger and venue, logging
// into the returned buffer and collecting the deposits it makes spendable.
func (r *rig) confirmer() (*reconcile.Confirmer, *bytes.Buffer, *[]ledger.Entry) {
	r.t.Helper()
	var logs bytes.Buffer
	var confirmed []ledger.Entry
	c, err := reconcile.NewConfirmer(reconcile.ConfirmOptions{Ledger: r.store, Venue: r.client, Clock: r.clock.Clock(),
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
		OnConfirmed: func(e ledger.Entry) { confirmed = append(confirmed, e) }})
	if err != nil {
		r.t.Fatal(err)
	}
	return c, &logs, &confirmed
}

func (r *rig) spendable(asset market.Asset) (available, pending decimal.Decimal) {
	return r.balance(ledger.VenueAvailable(ledger.Hercle), asset), r.balance(ledger.VenuePending(ledger.Hercle), asset)
}

// A deposit's webhook credits it pending; the venue's history listing it
// makes it spendable, once, however many passes run.
func TestDepositSpendableOnceTheHistoryListsIt(t *testing.T) {
	r := newRig(t, rigOptions{})
	c, _, confirmed := r.confirmer()
	before, _ := r.spendable("BTC")
	tx, err := r.venue.Credit("BTC", d("0.25"))
	if err != nil {
		t.Fatal(err)
	}
	r.deliver(sim.WebhookFaults{}, depositHook(tx, tx.Amount))
	if avail, pending := r.spendable("BTC"); !avail.Equal(before) || !pending.Equal(d("0.25")) {
		t.Fatalf("after the webhook: available %s, pending %s; want %s and 0.25", avail, pending, before)
	}
	for range 3 {
		if _, err := c.Pass(r.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if avail, pending := r.spendable("BTC"); !avail.Equal(before.Add(d("0.25"))) || !pending.IsZero() {
		t.Fatalf("after confirmation: available %s, pending %s; want %s and 0", avail, pending, before.Add(d("0.25")))
	}
	if len(*confirmed) != 1 || (*confirmed)[0].Key != ledger.DepositKey(tx.ID) {
		t.Fatalf("confirmed %+v, want the deposit once", *confirmed)
	}
	if err := r.store.Verify(r.ctx); err != nil {
		t.Fatal(err)
	}
}

// A deposit webhook that is properly signed (a leaked key, a compromised
// sender) but names a transaction the venue never made is credited
// pending and never becomes spendable: no pass confirms it, it is logged,
// and the money the strategies, treasury and risk see stays as it was.
// A webhook whose amount differs from the history's stays pending too.
func TestForgedSignedDepositIsNeverSpendable(t *testing.T) {
	r := newRig(t, rigOptions{})
	c, logs, confirmed := r.confirmer()
	before, _ := r.spendable("BTC")
	forged := sim.Transaction{ID: "tx-forged-1", Asset: "BTC", Amount: d("50"), Time: r.clock.Now()}
	real, err := r.venue.Credit("BTC", d("0.1"))
	if err != nil {
		t.Fatal(err)
	}
	r.deliver(sim.WebhookFaults{}, depositHook(forged, forged.Amount), depositHook(real, d("10")))
	for range 3 {
		r.clock.Advance(5 * time.Minute)
		if n, err := c.Pass(r.ctx); err != nil || n != 0 {
			t.Fatalf("Pass = %d, %v; want nothing confirmed", n, err)
		}
	}
	if avail, pending := r.spendable("BTC"); !avail.Equal(before) || !pending.Equal(d("60")) {
		t.Fatalf("available %s, pending %s; want %s (unchanged) and 60", avail, pending, before)
	}
	if len(*confirmed) != 0 {
		t.Fatalf("confirmed %+v, want none", *confirmed)
	}
	out := logs.String()
	if !strings.Contains(out, "not in the venue's history") || !strings.Contains(out, "tx-forged-1") ||
		!strings.Contains(out, "another asset or amount") || strings.Count(out, "level=WARN") != 2 {
		t.Fatalf("want one warning for each, once:\n%s", out)
	}
}

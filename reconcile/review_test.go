package reconcile_test

import (
	"testing"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/sim"
)

// A real balance difference (the ledger credits 0.1 BTC the venue never
// had) on an account that trades every few minutes and receives no
// Balance.Updated: each run's newest venue record is younger than the
// grace period, but the same difference has been seen for longer than
// that, so it must become a break instead of staying pending for ever.
func TestBalanceBreakNotHiddenByActivity(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: 0})
	r.post(ledger.Entry{Key: "bogus-credit", Kind: ledger.KindAdjustment, Time: r.clock.Now(), Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "BTC", Amount: d("0.1")},
		{Account: ledger.Adjustment(), Asset: "BTC", Amount: d("-0.1")},
	}})
	var rep reconcile.Report
	for range 6 {
		r.trade(market.Buy, "0.01")
		r.clock.Advance(5 * time.Minute)
		rep = r.reconcile()
	}
	// 30 minutes of the same difference, three grace periods.
	var btc *reconcile.Finding
	for _, f := range rep.Find(reconcile.CheckBalances, reconcile.AmountMismatch) {
		if f.Asset == "BTC" {
			btc = &f
		}
	}
	if btc == nil {
		t.Fatalf("no BTC balance finding:\n%s", text(rep))
	}
	if !btc.Break || btc.Pending {
		t.Fatalf("BTC difference seen for %s = %+v; want a break, not pending for ever:\n%s",
			rep.Finished.Sub(btc.FirstSeen), *btc, text(rep))
	}
	if paused, _, _ := r.pauser.state(); !paused {
		t.Fatal("a persistent balance break did not pause trading")
	}
}

// A deposit whose webhook is still being retried by the venue while its
// Balance.Updated has arrived: the deposit is in flight (pending), so the
// balance difference it alone explains is pending too, not a break that
// pauses trading until the next run.
func TestBalanceInFlightDepositNotABreak(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: 0})
	tx, err := r.venue.Credit("BTC", d("0.5"))
	if err != nil {
		t.Fatal(err)
	}
	r.deliver(sim.WebhookFaults{}, r.balanceHook())
	r.clock.Advance(time.Minute)

	rep := r.reconcile()
	if f := only(t, rep, reconcile.CheckTransactions, reconcile.MissingInLedger); !f.Pending || f.Ref != tx.ID {
		t.Fatalf("deposit finding = %+v; want pending", f)
	}
	if !rep.Clean() {
		t.Fatalf("a deposit in flight is a break:\n%s", text(rep))
	}
	if paused, _, _ := r.pauser.state(); paused {
		t.Fatal("a deposit in flight paused trading")
	}
	// Its webhook arrives; a quarter of an hour later another deposit is
	// in flight: the balance differs again, by that deposit alone, so it
	// is pending again, however long ago the first difference was seen.
	r.deliver(sim.WebhookFaults{}, depositHook(tx, tx.Amount))
	r.clock.Advance(14 * time.Minute)
	tx2, err := r.venue.Credit("BTC", d("0.25"))
	if err != nil {
		t.Fatal(err)
	}
	r.deliver(sim.WebhookFaults{}, r.balanceHook())
	r.clock.Advance(time.Minute)
	rep = r.reconcile()
	if !rep.Clean() {
		t.Fatalf("a second deposit in flight is a break:\n%s", text(rep))
	}
	// Once the grace period is over the deposit is imported and the
	// balances agree.
	r.clock.Advance(grace)
	rep = r.reconcile()
	if !rep.Clean() || rep.Imported != 1 || len(rep.Find(reconcile.CheckBalances, reconcile.AmountMismatch)) != 0 {
		t.Fatalf("after the grace period:\n%s", text(rep))
	}
	if _, err := r.store.Entry(r.ctx, ledger.DepositKey(tx2.ID)); err != nil {
		t.Fatal(err)
	}
}

// The venue applied one withdrawal request twice under its Client-Id (a
// blind retry; production Hercle does not deduplicate): the withdrawal
// check must name the second one as a break, not count both as matched
// against the one intent.
func TestWithdrawalAppliedTwiceAtVenue(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	w := r.withdraw("1")
	w2, err := r.venue.Withdraw(sim.WithdrawalRequest{Asset: "BTC", Amount: d("1"), Address: btcAddress, Network: "BTC", ClientID: w.ClientID})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{w.ID, w2.ID} {
		if err := r.venue.CompleteWithdrawal(id, true); err != nil {
			t.Fatal(err)
		}
	}
	r.deliver(sim.WebhookFaults{}, withdrawalHook(w, "SUCCESS"), withdrawalHook(w2, "SUCCESS"), r.balanceHook())
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	var dup *reconcile.Finding
	for _, f := range rep.Findings {
		if f.Check == reconcile.CheckWithdrawals && f.Ref == w2.ID {
			dup = &f
		}
	}
	if dup == nil || !dup.Break || dup.ClientID != w.ClientID {
		t.Fatalf("second withdrawal under %s = %+v; want a break naming it:\n%s", w.ClientID, dup, text(rep))
	}
	if got := rep.Count(reconcile.CheckWithdrawals, reconcile.Matched); got != 1 {
		t.Fatalf("withdrawals matched = %d, want only the first:\n%s", got, text(rep))
	}
}

// A payout the ledger recorded as failed (its intent failed, as after a
// refusal the engine misread) that Heropayments finished: its callbacks
// name it, so it is compared with its intent, never counted as matched.
func TestHeropaymentsFailedIntentButPaid(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	pid, _ := r.payout("100")
	r.waitPayment(pid)
	r.waitCallbacks(pid, 2)
	if _, err := r.store.Transition(r.ctx, pid, ledger.StateFailed, ledger.Detail{Note: "refused"}); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	f := only(t, rep, reconcile.CheckHeropayments, reconcile.StatusMismatch)
	if !f.Break || f.ClientID != pid || f.Ledger != "intent failed" {
		t.Fatalf("finding = %+v; want a break: the intent failed, Heropayments paid", f)
	}
	if got := rep.Count(reconcile.CheckHeropayments, reconcile.Matched); got != 0 {
		t.Fatalf("heropayments matched = %d, want 0:\n%s", got, text(rep))
	}
}

// The same with every callback lost: the failed intent is looked up by
// its Client-Id all the same; one that failed before it was sent, which
// Heropayments does not know, is no finding.
func TestHeropaymentsFailedIntentButPaidNoCallbacks(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	r.hp.DropCallbacks(2)
	pid, _ := r.payout("100")
	r.waitPayment(pid)
	if _, err := r.store.Transition(r.ctx, pid, ledger.StateFailed, ledger.Detail{Note: "refused"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.store.CreateIntent(r.ctx, ledger.Intent{ClientID: "P-never", Kind: ledger.IntentPayout, Venue: ledger.Heropayments}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Transition(r.ctx, "P-never", ledger.StateFailed, ledger.Detail{Note: "never sent"}); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	f := only(t, rep, reconcile.CheckHeropayments, reconcile.StatusMismatch)
	if !f.Break || f.ClientID != pid || f.Ledger != "intent failed" {
		t.Fatalf("finding = %+v; want a break: the intent failed, Heropayments paid", f)
	}
	if fs := rep.Find(reconcile.CheckHeropayments, reconcile.MissingAtVenue); len(fs) != 0 {
		t.Fatalf("an intent that failed before it was sent is reported: %+v", fs)
	}
}

// A deposit credited by its webhook with the wrong amount, the venue's
// listing time just before the compared range: the banking ledger lookup
// that finds it must compare its amount, not count it as matched.
func TestDepositOutsideListingComparedByAmount(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	tx, err := r.venue.Credit("BTC", d("0.5"))
	if err != nil {
		t.Fatal(err)
	}
	h := depositHook(tx, d("0.6"))
	h.data.(map[string]any)["ProcessedAt"] = tx.Time.Add(5 * time.Minute).UTC().Format(time.RFC3339Nano)
	r.deliver(sim.WebhookFaults{}, h, r.balanceHook())
	r.clock.Advance(15 * time.Minute)

	rep, err := r.rec.Run(r.ctx, tx.Time.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	f := only(t, rep, reconcile.CheckTransactions, reconcile.AmountMismatch)
	if f.Ref != tx.ID || !f.Break || f.Venue != "0.5" {
		t.Fatalf("deposit finding = %+v; want the 0.5 the banking ledger holds against the 0.6 credited", f)
	}
}

// The same when the venue acknowledged the later of the two: the other
// one is named, whatever the listing's order.
func TestWithdrawalAppliedTwiceAcknowledgedSecond(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	w := r.withdraw("1")
	w2, err := r.venue.Withdraw(sim.WithdrawalRequest{Asset: "BTC", Amount: d("1"), Address: btcAddress, Network: "BTC", ClientID: w.ClientID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Acknowledge(r.ctx, w.ClientID, w2.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{w.ID, w2.ID} {
		if err := r.venue.CompleteWithdrawal(id, true); err != nil {
			t.Fatal(err)
		}
	}
	r.deliver(sim.WebhookFaults{}, withdrawalHook(w2, "SUCCESS"), withdrawalHook(w, "SUCCESS"), r.balanceHook())
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	var names []string
	for _, f := range rep.Findings {
		if f.Check == reconcile.CheckWithdrawals {
			names = append(names, f.Ref)
		}
	}
	if len(names) != 1 || names[0] != w.ID {
		t.Fatalf("withdrawal findings name %v; want only %s, the one the venue did not acknowledge:\n%s", names, w.ID, text(rep))
	}
}

// A withdrawal the venue failed and refunded, its FAILURE webhook still on
// its way while Balance.Updated has arrived: the refund the ledger has
// not applied yet is in flight, so the balance difference it explains is
// pending, not a break that pauses trading.
func TestBalanceInFlightWithdrawalFailureNotABreak(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: 0})
	w := r.withdraw("1")
	if err := r.venue.CompleteWithdrawal(w.ID, false); err != nil {
		t.Fatal(err)
	}
	r.deliver(sim.WebhookFaults{}, r.balanceHook())
	r.clock.Advance(time.Minute)

	rep := r.reconcile()
	if !rep.Clean() {
		t.Fatalf("a failure whose webhook is on its way is a break:\n%s", text(rep))
	}
	if paused, _, _ := r.pauser.state(); paused {
		t.Fatal("a failure whose webhook is on its way paused trading")
	}
	r.deliver(sim.WebhookFaults{}, withdrawalHook(w, "FAILURE"))
	rep = r.reconcile()
	if !rep.Clean() || len(rep.Find(reconcile.CheckBalances, reconcile.AmountMismatch)) != 0 {
		t.Fatalf("after the webhook:\n%s", text(rep))
	}
}

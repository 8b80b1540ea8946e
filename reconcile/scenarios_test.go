package reconcile_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
)

// A normal day: fills through execution, a withdrawal sent and settled by
// its webhooks, a deposit credited by its webhook, a Heropayments payout
// resolved by its callbacks. Reconciliation finds nothing at all.
func TestCleanRunAfterNormalWorkflow(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.trade(market.Buy, "0.5")
	r.trade(market.Sell, "0.2")
	w := r.withdraw("1")
	r.clock.Advance(time.Minute)
	if err := r.venue.CompleteWithdrawal(w.ID, true); err != nil {
		t.Fatal(err)
	}
	tx, err := r.venue.Credit("BTC", d("0.75"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := r.payout("100")
	r.waitPayment(pid)
	r.waitCallbacks(pid, 2)
	// Treasury resolves the payout from its final callback.
	if _, err := r.store.Transition(r.ctx, pid, ledger.StateSucceeded, ledger.Detail{Note: "callback finished"}); err != nil {
		t.Fatal(err)
	}
	r.deliver(sim.WebhookFaults{}, withdrawalHook(w, "CONFIRMING"), withdrawalHook(w, "SUCCESS"), depositHook(tx, tx.Amount), r.balanceHook())
	if in, err := r.store.Intent(r.ctx, w.ClientID); err != nil || in.State != ledger.StateSucceeded {
		t.Fatalf("withdrawal intent = %+v, %v; the webhook did not settle it", in, err)
	}
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	if !rep.Clean() || len(rep.Findings) != 0 || len(rep.Skipped) != 0 {
		t.Fatalf("a normal workflow does not reconcile cleanly:\n%s", text(rep))
	}
	for _, c := range []struct {
		check reconcile.Check
		want  int
	}{
		{reconcile.CheckTrades, 2},
		{reconcile.CheckWithdrawals, 1},
		{reconcile.CheckHeropayments, 1},
		{reconcile.CheckBalances, 3}, // BTC, USDT, and nothing else moved; ETH, EUR, GBP, USD unchanged
	} {
		if got := rep.Count(c.check, reconcile.Matched); got < c.want {
			t.Errorf("%s matched = %d, want at least %d", c.check, got, c.want)
		}
	}
	// 1 deposit and the 4 trade legs.
	if got := rep.Count(reconcile.CheckTransactions, reconcile.Matched); got != 5 {
		t.Errorf("transactions matched = %d, want 5:\n%s", got, text(rep))
	}
	// The deposit's and the withdrawal's webhooks.
	if got := rep.Count(reconcile.CheckWebhooks, reconcile.Matched); got != 2 {
		t.Errorf("webhooks matched = %d, want 2", got)
	}
	stored, err := r.store.LastReport(r.ctx)
	if err != nil || stored.ID != rep.ID || stored.Breaks != 0 || rep.ID == 0 {
		t.Fatalf("stored report = %+v, %v; want report %d, clean", stored, err, rep.ID)
	}
	back, err := reconcile.DecodeReport(stored.Body)
	if err != nil || back.Count(reconcile.CheckTrades, reconcile.Matched) != rep.Count(reconcile.CheckTrades, reconcile.Matched) {
		t.Fatalf("stored body decodes to %+v, %v", back, err)
	}
	if paused, pauses, _ := r.pauser.state(); paused || pauses != 0 {
		t.Fatalf("a clean run paused trading")
	}
	if err := r.store.Verify(r.ctx); err != nil {
		t.Fatal(err)
	}

	// Metrics: per outcome, runs, breaks, and the time since the last
	// clean run on the same clock.
	if got := counter(t, r.reg, "engine_reconcile_records_total", "trades", "matched"); got != 2 {
		t.Errorf("records_total{trades,matched} = %v, want 2", got)
	}
	if got := gauge(t, r.reg, "engine_reconcile_breaks"); got != 0 {
		t.Errorf("breaks gauge = %v", got)
	}
	r.clock.Advance(5 * time.Minute)
	if got := gauge(t, r.reg, "engine_reconcile_since_last_clean_seconds"); got != 300 {
		t.Errorf("since_last_clean = %v, want 300", got)
	}
	if got := gauge(t, r.reg, "engine_reconcile_last_clean_timestamp_seconds"); got != float64(rep.Finished.Unix()) {
		t.Errorf("last_clean_timestamp = %v, want %d", got, rep.Finished.Unix())
	}
}

// A withdrawal's final status webhook is lost: the venue has it CONFIRMED,
// the ledger still holds it in transit. First pending (a status change has
// no venue time: the grace period starts when a run first sees it), a
// break one grace period later, even across a restart; gone once the
// webhook arrives.
func TestLostWebhook(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	w := r.withdraw("1")
	r.deliver(sim.WebhookFaults{}, withdrawalHook(w, "CREATED"))
	if err := r.venue.CompleteWithdrawal(w.ID, true); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	f := only(t, rep, reconcile.CheckWithdrawals, reconcile.StatusMismatch)
	if f.Ref != w.ID || f.ClientID != w.ClientID || f.Venue != "CONFIRMED" || !f.Pending || f.Break {
		t.Fatalf("first sighting = %+v; want pending, not a break", f)
	}
	wh := only(t, rep, reconcile.CheckWebhooks, reconcile.WebhookMissing)
	if wh.Ref != w.ID || wh.Break {
		t.Fatalf("webhook finding = %+v", wh)
	}
	if rep.Breaks != 0 || rep.Count(reconcile.CheckBalances, reconcile.Matched) == 0 {
		t.Fatalf("first run:\n%s", text(rep))
	}

	// A restarted engine: a new Reconciler reads the first sighting back
	// from the stored report.
	r.clock.Advance(grace)
	again, err := reconcile.New(reconcile.Config{Grace: grace, PauseAbove: -1}, reconcile.Deps{Ledger: r.store, Venue: r.client,
		Payments: r.hpClient, Clock: r.clock.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	rep2, err := again.Run(r.ctx, r.start.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f2 := only(t, rep2, reconcile.CheckWithdrawals, reconcile.StatusMismatch)
	if !f2.Break || f2.Pending || !f2.FirstSeen.Equal(f.FirstSeen) {
		t.Fatalf("after the grace period = %+v; want a break first seen at %s", f2, f.FirstSeen)
	}
	if w2 := only(t, rep2, reconcile.CheckWebhooks, reconcile.WebhookMissing); w2.Break || w2.Pending {
		t.Fatalf("missing webhook = %+v; want a warning, not a break", w2)
	}
	if rep2.Breaks != 1 {
		t.Fatalf("breaks = %d, want 1:\n%s", rep2.Breaks, text(rep2))
	}

	// The webhook arrives at last.
	r.deliver(sim.WebhookFaults{}, withdrawalHook(w, "SUCCESS"), r.balanceHook())
	rep3 := r.reconcile()
	if !rep3.Clean() || len(rep3.Findings) != 0 {
		t.Fatalf("after the late webhook:\n%s", text(rep3))
	}
}

// A deposit's webhook delivered twice under its id, and its status sent
// again under a second id: reported as duplicates, credited once, clean.
func TestDuplicatedWebhook(t *testing.T) {
	r := newRig(t, rigOptions{})
	tx, err := r.venue.Credit("BTC", d("0.3"))
	if err != nil {
		t.Fatal(err)
	}
	ids := r.deliver(sim.WebhookFaults{Duplicate: 1}, depositHook(tx, tx.Amount), depositHook(tx, tx.Amount))
	r.deliver(sim.WebhookFaults{}, r.balanceHook())
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	if !rep.Clean() {
		t.Fatalf("duplicates are not breaks:\n%s", text(rep))
	}
	dups := rep.Find(reconcile.CheckWebhooks, reconcile.Duplicate)
	refs := map[string]int{}
	for _, f := range dups {
		refs[f.Ref]++
	}
	// Each event redelivered once; the second event repeats the first's status.
	if len(dups) != 3 || refs[ids[0]] != 1 || refs[ids[1]] != 2 {
		t.Fatalf("duplicate findings = %+v, want 3 (each id redelivered, the second repeating the first)", dups)
	}
	if got := rep.Count(reconcile.CheckTransactions, reconcile.Matched); got != 1 {
		t.Fatalf("transactions matched = %d, want the deposit", got)
	}
	entries, err := r.store.Entries(r.ctx, ledger.Filter{Kind: ledger.KindDeposit})
	if err != nil || len(entries) != 1 {
		t.Fatalf("deposit entries = %d, %v; want 1", len(entries), err)
	}
	// Credited once, pending: the webhook alone does not make it spendable.
	if got := r.balance(ledger.VenuePending(ledger.Hercle), "BTC"); !got.Equal(d("0.3")) {
		t.Fatalf("ledger pending BTC = %s, want 0.3", got)
	}
}

// Trades executed at the venue while the engine was down: one with no
// intent (imported, flagged, a break for that run), one whose Client-Id
// names an intent the engine submitted before it crashed (left to
// execution's recovery). Trading pauses on the breaks and resumes once
// recovery has posted the fill.
func TestTradeWhileDaemonDown(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: 0})
	r.trade(market.Buy, "0.1")
	outside := r.tradeAtVenue("", market.Buy, "0.2")
	// The engine wrote and submitted this intent, then went down.
	req, _ := json.Marshal(map[string]any{"strategy": "test", "pair": "BTCUSDT", "side": "sell", "size": "0.05", "amount": "0", "path": "otc"})
	if _, _, err := r.store.CreateIntent(r.ctx, ledger.Intent{ClientID: "T-crashed", Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: req}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Transition(r.ctx, "T-crashed", ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	crashed := r.tradeAtVenue("T-crashed", market.Sell, "0.05")
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	missing := rep.Find(reconcile.CheckTrades, reconcile.MissingInLedger)
	if len(missing) != 2 {
		t.Fatalf("missing trades = %d, want 2:\n%s", len(missing), text(rep))
	}
	for _, f := range missing {
		switch f.Ref {
		case outside.TradeID:
			if f.Imported != ledger.TradeKey(outside.TradeID) || !f.Break || !strings.Contains(f.Detail, "outside the engine") {
				t.Errorf("outside trade = %+v; want imported and a break", f)
			}
		case crashed.TradeID:
			if f.Imported != "" || !f.Break || f.ClientID != "T-crashed" || !strings.Contains(f.Detail, "recovery") {
				t.Errorf("crashed intent's trade = %+v; want left to recovery, a break", f)
			}
		default:
			t.Errorf("unexpected finding %+v", f)
		}
	}
	e, err := r.store.Entry(r.ctx, ledger.TradeKey(outside.TradeID))
	if err != nil || e.Refs["source"] != "reconcile" || e.Kind != ledger.KindTrade || !strings.HasPrefix(e.Memo, "imported by reconciliation") {
		t.Fatalf("imported fill = %+v, %v; want a flagged trade entry", e, err)
	}
	// The unposted fill shows in the balances too: 0.05 BTC sold for USDT.
	bal := rep.Find(reconcile.CheckBalances, reconcile.AmountMismatch)
	if len(bal) != 2 || bal[0].Asset != "BTC" || bal[1].Asset != "USDT" || !d(bal[0].Venue).Sub(d(bal[0].Ledger)).Equal(d("-0.05")) {
		t.Fatalf("balance findings = %+v; want BTC and USDT, BTC off by the 0.05 sold", bal)
	}
	if paused, pauses, _ := r.pauser.state(); !paused || pauses != 1 {
		t.Fatalf("breaks above the threshold of 0 did not pause trading")
	}
	if got := gauge(t, r.reg, "engine_reconcile_trading_paused"); got != 1 {
		t.Errorf("trading_paused gauge = %v", got)
	}

	// The engine comes back: recovery looks the intent up and posts it.
	res, err := r.exec.Recover(r.ctx)
	if err != nil || len(res) != 1 || res[0].Status != execution.Filled || res[0].TradeID != crashed.TradeID {
		t.Fatalf("Recover = %+v, %v", res, err)
	}
	rep2 := r.reconcile()
	if !rep2.Clean() || len(rep2.Findings) != 0 {
		t.Fatalf("after recovery:\n%s", text(rep2))
	}
	if got := rep2.Count(reconcile.CheckTrades, reconcile.Matched); got != 3 {
		t.Fatalf("trades matched = %d, want 3", got)
	}
	if n := len(r.importedEntries()); n != 1 {
		t.Fatalf("OnImport called %d times, want once", n)
	}
	if paused, _, resumes := r.pauser.state(); paused || resumes != 1 {
		t.Fatalf("a clean run did not resume trading")
	}
	if err := r.store.Verify(r.ctx); err != nil {
		t.Fatal(err)
	}
}

// A withdrawal made outside the engine (in the venue's UI): reported while
// in flight, imported once final, matched afterwards.
func TestWithdrawalOutsideEngine(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	r.whitelisted("BTC")
	w, err := r.venue.Withdraw(sim.WithdrawalRequest{Asset: "BTC", Amount: d("0.4"), Address: btcAddress, Network: "BTC", ClientID: "ui-77"})
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	f := only(t, rep, reconcile.CheckWithdrawals, reconcile.MissingInLedger)
	if f.Ref != w.ID || f.Imported != "" || !f.Break || !strings.Contains(f.Detail, "outside the engine") {
		t.Fatalf("in flight = %+v; want reported, not imported", f)
	}
	if rep.Count(reconcile.CheckBalances, reconcile.AmountMismatch) != 0 {
		t.Fatalf("in flight the venue still holds it (allocated):\n%s", text(rep))
	}

	if err := r.venue.CompleteWithdrawal(w.ID, true); err != nil {
		t.Fatal(err)
	}
	rep = r.reconcile()
	f = only(t, rep, reconcile.CheckWithdrawals, reconcile.MissingInLedger)
	if f.Imported != "hercle:withdrawal:"+w.ID || !f.Break {
		t.Fatalf("final = %+v; want imported and still a break for this run", f)
	}
	if rep.Count(reconcile.CheckBalances, reconcile.AmountMismatch) != 0 {
		t.Fatalf("the import did not square the balances:\n%s", text(rep))
	}
	if got := r.balance(ledger.ExternalAddress("BTC", btcAddress), "BTC"); !got.Equal(d("0.4")) {
		t.Fatalf("destination balance = %s, want 0.4", got)
	}

	rep = r.reconcile()
	if rep.Breaks != 0 || len(rep.Find(reconcile.CheckWithdrawals, reconcile.MissingInLedger)) != 0 {
		t.Fatalf("third run:\n%s", text(rep))
	}
	if n := len(r.importedEntries()); n != 1 {
		t.Fatalf("imported %d entries, want 1", n)
	}
}

// A deposit no intent and no webhook announced: pending within the grace
// period, then imported as a flagged entry exactly once; a late webhook
// does not credit it again.
func TestDepositWithoutIntent(t *testing.T) {
	r := newRig(t, rigOptions{})
	tx, err := r.venue.Credit("ETH", d("2.5"))
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Minute)
	rep := r.reconcile()
	f := only(t, rep, reconcile.CheckTransactions, reconcile.MissingInLedger)
	if !f.Pending || f.Imported != "" || f.Break || !rep.Clean() {
		t.Fatalf("within the grace period = %+v; want pending, nothing imported", f)
	}

	r.clock.Advance(15 * time.Minute)
	rep = r.reconcile()
	f = only(t, rep, reconcile.CheckTransactions, reconcile.MissingInLedger)
	if f.Imported != ledger.DepositKey(tx.ID) || f.Break || f.Ref != tx.ID || f.Venue != "2.5" {
		t.Fatalf("after the grace period = %+v; want imported, fixed", f)
	}
	if wh := only(t, rep, reconcile.CheckWebhooks, reconcile.WebhookMissing); wh.Ref != tx.ID || wh.Break {
		t.Fatalf("webhook finding = %+v", wh)
	}
	if !rep.Clean() || rep.Imported != 1 || rep.Count(reconcile.CheckBalances, reconcile.AmountMismatch) != 0 {
		t.Fatalf("report:\n%s", text(rep))
	}
	e, err := r.store.Entry(r.ctx, ledger.DepositKey(tx.ID))
	if err != nil || e.Refs["source"] != "reconcile" || e.Refs["transaction_id"] != tx.ID || e.Kind != ledger.KindDeposit {
		t.Fatalf("imported entry = %+v, %v", e, err)
	}
	imp := r.importedEntries()
	if len(imp) != 1 || imp[0].Key != e.Key {
		t.Fatalf("OnImport got %v, want the deposit once", imp)
	}

	rep = r.reconcile()
	if rep.Imported != 0 || len(rep.Find(reconcile.CheckTransactions, reconcile.MissingInLedger)) != 0 ||
		rep.Count(reconcile.CheckTransactions, reconcile.Matched) != 1 {
		t.Fatalf("second run imported again:\n%s", text(rep))
	}
	r.deliver(sim.WebhookFaults{}, depositHook(tx, tx.Amount))
	if got := r.balance(ledger.VenueAvailable(ledger.Hercle), "ETH"); !got.Equal(d("102.5")) {
		t.Fatalf("ETH after the late webhook = %s, want 102.5 (credited once)", got)
	}
	entries, err := r.store.Entries(r.ctx, ledger.Filter{Kind: ledger.KindDeposit})
	if err != nil || len(entries) != 1 || len(r.importedEntries()) != 1 {
		t.Fatalf("deposit entries = %d, %v", len(entries), err)
	}
	rep = r.reconcile()
	if !rep.Clean() || len(rep.Findings) != 0 {
		t.Fatalf("after the late webhook:\n%s", text(rep))
	}
}

// A webhook reporting the wrong amount (0.6 for a 0.5 deposit): an amount
// mismatch on the deposit and on the balance. Two breaks stay under a
// pause threshold of 5.
func TestInjectedAmountMismatch(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: 5})
	tx, err := r.venue.Credit("BTC", d("0.5"))
	if err != nil {
		t.Fatal(err)
	}
	r.deliver(sim.WebhookFaults{}, depositHook(tx, d("0.6")), r.balanceHook())
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	f := only(t, rep, reconcile.CheckTransactions, reconcile.AmountMismatch)
	if f.Ref != tx.ID || f.Venue != "0.5" || f.Ledger != "0.6" || !f.Break {
		t.Fatalf("deposit finding = %+v", f)
	}
	b := only(t, rep, reconcile.CheckBalances, reconcile.AmountMismatch)
	if b.Asset != "BTC" || b.Venue != "10.5" || b.Ledger != "10.6" || !b.Break {
		t.Fatalf("balance finding = %+v", b)
	}
	if rep.Breaks != 2 || len(breaks(rep)) != 2 {
		t.Fatalf("breaks = %d, want 2:\n%s", rep.Breaks, text(rep))
	}
	if paused, _, _ := r.pauser.state(); paused {
		t.Fatal("2 breaks paused trading above a threshold of 5")
	}
	if got := counter(t, r.reg, "engine_reconcile_records_total", "balances", "amount_mismatch"); got != 1 {
		t.Errorf("records_total{balances,amount_mismatch} = %v", got)
	}
	if got := counter(t, r.reg, "engine_reconcile_runs_total", "breaks"); got != 1 {
		t.Errorf("runs_total{breaks} = %v", got)
	}

	// A tolerance of 0.1 BTC absorbs the difference, in the record and the balance.
	tolerant, err := reconcile.New(reconcile.Config{Grace: grace, DryRun: true, Tolerances: map[market.Asset]decimal.Decimal{"BTC": d("0.1")}},
		reconcile.Deps{Ledger: r.store, Venue: r.client, Clock: r.clock.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = tolerant.Run(r.ctx, r.start.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() || len(rep.Find(reconcile.CheckTransactions, reconcile.AmountMismatch)) != 0 || len(rep.Find(reconcile.CheckBalances, reconcile.AmountMismatch)) != 0 {
		t.Fatalf("within the tolerance:\n%s", text(rep))
	}
}

// Heropayments: a payout whose callbacks were all lost, and one whose
// final callback was delivered twice.
func TestHeropaymentsCallbackNeverDelivered(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: -1})
	r.hp.DropCallbacks(2) // "sending" and "finished"
	lost, _ := r.payout("50")
	r.waitPayment(lost)
	dup, p := r.payout("20")
	r.waitPayment(dup)
	r.waitCallbacks(dup, 2)
	if err := r.hp.Resend(p.ID); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, r, dup+"/original/finished", 2)
	if _, err := r.store.Transition(r.ctx, dup, ledger.StateSucceeded, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	// A status poll stores what it learnt in the inbox too; that is not a
	// delivered callback.
	st, err := r.hpClient.PaymentStatus(r.ctx, heropayments.FlowV2, heropayments.Ref{ExternalOrderID: lost})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(st)
	if _, _, err := r.store.PutEvent(r.ctx, ledger.Event{Source: ledger.SourceHeropaymentsCallback, ID: "poll/" + lost + "/original/finished",
		Body: body, Meta: map[string]string{reconcile.MetaOrigin: "status_poll", reconcile.MetaFlow: "v2"}}); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(15 * time.Minute)

	rep := r.reconcile()
	key := lost + "/original"
	wh := only(t, rep, reconcile.CheckHeropayments, reconcile.WebhookMissing)
	if wh.Ref != key || wh.ClientID != lost || wh.Venue != "finished" || wh.Break {
		t.Fatalf("lost callback = %+v; want a warning on %s", wh, key)
	}
	sm := only(t, rep, reconcile.CheckHeropayments, reconcile.StatusMismatch)
	if sm.Ref != key || !sm.Break || sm.Ledger != "intent submitted" {
		t.Fatalf("intent finding = %+v; want a break: Heropayments finished it, the intent is still submitted", sm)
	}
	dp := only(t, rep, reconcile.CheckHeropayments, reconcile.Duplicate)
	if dp.Ref != dup+"/original/finished" || dp.Break {
		t.Fatalf("duplicate = %+v", dp)
	}
	if got := rep.Count(reconcile.CheckHeropayments, reconcile.Matched); got != 1 {
		t.Fatalf("heropayments matched = %d, want the duplicated one", got)
	}

	// Treasury's status polling resolves the intent; the lost callback
	// stays reported, as a warning.
	if _, err := r.store.Transition(r.ctx, lost, ledger.StateSucceeded, ledger.Detail{Note: "polled"}); err != nil {
		t.Fatal(err)
	}
	rep = r.reconcile()
	if !rep.Clean() || len(rep.Find(reconcile.CheckHeropayments, reconcile.WebhookMissing)) != 1 {
		t.Fatalf("after polling:\n%s", text(rep))
	}
}

// waitDeliveries polls the inbox, with a deadline, until the callback id
// has been delivered n times.
func waitDeliveries(t *testing.T, r *rig, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev, err := r.store.GetEvent(r.ctx, ledger.SourceHeropaymentsCallback, id)
		if err != nil && !isNotFound(err) {
			t.Fatal(err)
		}
		if err == nil && ev.Deliveries >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("callback %s: %d deliveries, want %d", id, ev.Deliveries, n)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

// Serve runs at start-up and once per trigger; the scheduler job only
// triggers; Serve stops with its context.
func TestServeAndJob(t *testing.T) {
	r := newRig(t, rigOptions{})
	job := r.rec.Job()
	if job.Name != "reconcile" || job.Spec != "*/15 * * * *" || job.InWindow != scheduler.Defer {
		t.Fatalf("job = %+v", job)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- r.rec.Serve(ctx) }()
	waitReport(t, r, 1)
	r.clock.Advance(time.Minute)
	if err := job.Run(ctx, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	waitReport(t, r, 2)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	last, ok := r.rec.Last()
	if !ok || last.ID != 2 || !last.Since.Equal(last.Until.Add(-7*24*time.Hour)) {
		t.Fatalf("Last = %+v, %v; want report 2 over the default 7-day lookback", last, ok)
	}
}

func waitReport(t *testing.T, r *rig, id uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep, ok := r.rec.Last()
		if ok && rep.ID >= id {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d never completed (last: %+v)", id, rep)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

// A dry run imports nothing and stores nothing.
func TestDryRun(t *testing.T) {
	r := newRig(t, rigOptions{})
	tx, err := r.venue.Credit("BTC", d("1"))
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(15 * time.Minute)
	dry, err := reconcile.New(reconcile.Config{Grace: grace, DryRun: true}, reconcile.Deps{Ledger: r.store, Venue: r.client, Clock: r.clock.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := dry.Run(r.ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	f := only(t, rep, reconcile.CheckTransactions, reconcile.MissingInLedger)
	if f.Imported != "" || !f.Break || !strings.Contains(f.Detail, "dry run: would import "+ledger.DepositKey(tx.ID)) {
		t.Fatalf("dry-run finding = %+v", f)
	}
	if _, err := r.store.Entry(r.ctx, ledger.DepositKey(tx.ID)); !isNotFound(err) {
		t.Fatalf("a dry run imported: %v", err)
	}
	if _, err := r.store.LastReport(r.ctx); !isNotFound(err) {
		t.Fatalf("a dry run stored a report: %v", err)
	}
	if rep.ID != 0 || !rep.DryRun {
		t.Fatalf("report id %d dry %v", rep.ID, rep.DryRun)
	}
}

// The venue unreachable: the run fails, nothing is stored, the error
// metric counts it.
func TestVenueDownFailsTheRun(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.srv.Close()
	if _, err := r.rec.Run(r.ctx, time.Time{}); err == nil || !strings.Contains(err.Error(), "venue history unavailable") {
		t.Fatalf("Run with the venue down = %v", err)
	}
	if _, err := r.store.LastReport(r.ctx); !isNotFound(err) {
		t.Fatalf("a failed run stored a report: %v", err)
	}
	if got := counter(t, r.reg, "engine_reconcile_runs_total", "error"); got != 1 {
		t.Errorf("runs_total{error} = %v", got)
	}
}

// counter returns the value of the counter name with the label values
// given in label-name order, or 0 if there is none.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for i, l := range m.GetLabel() {
				if l.GetValue() != labels[i] {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// gauge reads a gauge (or gauge func) without labels.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

// busyVenue is the venue as a busy account sees it: every balance read
// finds a newer sequence, so no snapshot is stable while the ledger is read.
type busyVenue struct {
	reconcile.Venue
	busy *atomic.Bool
	n    atomic.Int64
}

func (v *busyVenue) Balances(ctx context.Context) (hercle.Balances, error) {
	b, err := v.Venue.Balances(ctx)
	if v.busy.Load() {
		b.Sequence += v.n.Add(1)
	}
	return b, err
}

// A run that could not compare the balances is not a clean run for the
// time since the last clean one, even without breaks: on a busy account
// the balances would otherwise go unchecked with nobody alerted.
func TestBalancesNotComparedDoNotCountAsClean(t *testing.T) {
	var busy atomic.Bool
	r := newRig(t, rigOptions{venue: func(v reconcile.Venue) reconcile.Venue { return &busyVenue{Venue: v, busy: &busy} }})
	first := r.reconcile()
	if !first.Clean() || !first.BalancesCompared {
		t.Fatalf("first run: clean %v, balances compared %v; want both:\n%s", first.Clean(), first.BalancesCompared, text(first))
	}
	lastClean := gauge(t, r.reg, "engine_reconcile_last_clean_timestamp_seconds")
	busy.Store(true)
	r.clock.Advance(time.Hour)
	second := r.reconcile()
	if !second.Clean() || second.BalancesCompared || len(second.Skipped) == 0 {
		t.Fatalf("busy run: clean %v, balances compared %v, skipped %v; want no breaks, balances skipped:\n%s",
			second.Clean(), second.BalancesCompared, second.Skipped, text(second))
	}
	if got := gauge(t, r.reg, "engine_reconcile_last_clean_timestamp_seconds"); got != lastClean {
		t.Errorf("last clean run at %v after a run that skipped the balances, want still %v", got, lastClean)
	}
}

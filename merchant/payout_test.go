package merchant_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/merchant"
)

// Customer payouts the engine created settle or fail exactly once from
// their withdrawal callbacks; a treasury settlement's callbacks are left
// to treasury.
func TestPayoutCallbacks(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.opening("USDT", "1000")
	step := func() {
		t.Helper()
		e.clock.Advance(time.Minute)
		e.delivered(1, http.StatusOK)
	}

	// Settled: sending (in progress for a withdrawal), then finished.
	p1 := e.payout("po-1", "USDT", "100", "USDT", "100", "")
	step()
	e.sync()
	if in := e.intent("po-1"); in.State != ledger.StateSubmitted {
		t.Fatalf("after sending: intent %s, want submitted (sending is in progress for a withdrawal)", in.State)
	}
	step()
	e.sync()
	if in := e.intent("po-1"); in.State != ledger.StateSucceeded || in.VenueRef != p1.ID {
		t.Errorf("intent %+v; want succeeded with venue ref %s", in, p1.ID)
	}
	if got := e.balance(ledger.Transit(ledger.TransitWithdrawal, "po-1"), "USDT"); !got.IsZero() {
		t.Errorf("po-1 transit = %s, want 0", got)
	}
	if got := e.balance(ledger.ExternalAddress("USDT", "addrpo1"), "USDT"); !got.Equal(d("100")) {
		t.Errorf("payout address = %s, want 100", got)
	}

	// Failed: the amount comes back to the merchant account.
	p2 := e.payout("po-2", "USDT", "50", "USDT", "50", "")
	if err := e.srv.Fail(p2.ID); err != nil {
		t.Fatal(err)
	}
	e.delivered(1, http.StatusOK)
	e.sync()
	if in := e.intent("po-2"); in.State != ledger.StateFailed {
		t.Errorf("po-2 intent %s, want failed", in.State)
	}
	if _, err := e.store.Entry(e.ctx, "po-2:failed"); err != nil {
		t.Errorf("po-2:failed: %v", err)
	}
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("900")) {
		t.Errorf("merchant USDT = %s, want 900 (1000 - 100 paid; 50 back)", got)
	}

	// Paid in BTC from the USDT balance: the conversion goes through
	// Heropayments as counterparty, the address receives BTC.
	e.payout("po-btc", "BTC", "0.001", "USDT", "60", "")
	step()
	step()
	e.sync()
	if got := e.balance(ledger.ExternalAddress("BTC", "addrpobtc"), "BTC"); !got.Equal(d("0.001")) {
		t.Errorf("BTC payout address = %s, want 0.001", got)
	}
	cp := ledger.Counterparty(ledger.Heropayments)
	if u, b := e.balance(cp, "USDT"), e.balance(cp, "BTC"); !u.Equal(d("60")) || !b.Equal(d("-0.001")) {
		t.Errorf("counterparty USDT %s BTC %s, want 60 and -0.001", u, b)
	}

	// A treasury settlement: its callbacks are kept, logged, not applied.
	set := `{"origin":"treasury","policy":"settle","method":"settlement","flow":"v2","asset":"USDT"}`
	e.payout("set-1", "USDT", "30", "USDT", "30", set)
	step()
	step()
	e.sync()
	if in := e.intent("set-1"); in.State != ledger.StateSubmitted {
		t.Errorf("treasury settlement intent moved to %s; treasury owns it", in.State)
	}
	if got := e.balance(ledger.Transit(ledger.TransitSettlement, "set-1"), "USDT"); !got.Equal(d("30")) {
		t.Errorf("settlement transit = %s, want 30 until treasury sees the Hercle deposit", got)
	}
	if _, err := e.store.Entry(e.ctx, "set-1:settled"); err == nil {
		t.Error("set-1:settled posted by the merchant processor")
	}
	if got := e.eventCount("withdrawal", merchant.OutcomeTreasury); got != 2 {
		t.Errorf("events_total{withdrawal,treasury} = %v, want 2", got)
	}
	if !strings.Contains(e.logs.String(), "treasury settlement") {
		t.Error("no log note for the treasury settlement's callback")
	}
	if st := e.payment("set-1", ""); !st.Treasury {
		t.Errorf("state %+v; want marked as treasury's", st)
	}

	// A repeat of po-1's final callback changes nothing.
	if err := e.srv.Resend(p1.ID); err != nil {
		t.Fatal(err)
	}
	e.delivered(1, http.StatusOK)
	e.sync()
	if got := e.balance(ledger.ExternalAddress("USDT", "addrpo1"), "USDT"); !got.Equal(d("100")) {
		t.Errorf("payout address after a repeat = %s, want 100", got)
	}

	// No poll ever asks about a treasury settlement, even one no
	// callback ever named: treasury polls its own.
	e.recordPayout("set-2", "USDT", "5", strings.Replace(set, "settle", "settle-2", 1))
	e.clock.Advance(20 * time.Minute)
	e.sync()
	polls := 0.0
	for _, r := range []string{merchant.PollChanged, merchant.PollUnchanged, merchant.PollNotFound, merchant.PollMismatch, merchant.PollError} {
		polls += e.pollCount(r)
	}
	if polls != 0 {
		t.Errorf("%v status lookups; want none (every payout final, settlements are treasury's)", polls)
	}
	e.verify()
}

// A payout whose callbacks are lost is resolved by polling its intent's
// Client-Id; the late callback changes nothing.
func TestPayoutResolvedByPolling(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.opening("USDT", "500")
	e.srv.DropCallbacks(2)
	p := e.payout("po-lost", "USDT", "70", "USDT", "70", "")
	e.clock.Advance(2 * time.Minute)
	e.sync()
	if in := e.intent("po-lost"); in.State != ledger.StateSubmitted {
		t.Fatalf("intent %s before poll_after, want submitted", in.State)
	}
	e.clock.Advance(8 * time.Minute)
	e.sync()
	in := e.intent("po-lost")
	if in.State != ledger.StateSucceeded || !strings.Contains(in.History[len(in.History)-1].Note, merchant.OriginPoll) {
		t.Fatalf("intent %+v; want succeeded by a status poll", in)
	}
	if got := e.balance(ledger.ExternalAddress("USDT", "addrpolost"), "USDT"); !got.Equal(d("70")) {
		t.Errorf("payout address = %s, want 70", got)
	}
	if err := e.srv.Resend(p.ID); err != nil {
		t.Fatal(err)
	}
	e.delivered(1, http.StatusOK)
	e.sync()
	if got := e.eventCount("withdrawal", merchant.OutcomeDuplicate); got != 1 {
		t.Errorf("events_total{withdrawal,duplicate} = %v, want 1", got)
	}
	if got := e.balance(ledger.ExternalAddress("USDT", "addrpolost"), "USDT"); !got.Equal(d("70")) {
		t.Errorf("payout address after the late callback = %s, want 70", got)
	}
	e.verify()
}

// A final callback for a payout whose intent is still pending (the
// process crashed before marking it submitted) proves it was sent: the
// intent is resolved with the reported outcome.
func TestPendingPayoutResolvedByCallback(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.opening("USDT", "100")
	if _, _, err := e.store.CreateIntent(e.ctx, ledger.Intent{ClientID: "po-pend", Kind: ledger.IntentPayout, Venue: ledger.Heropayments}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.Post(e.ctx, ledger.Entry{Key: "po-pend:sent", Kind: ledger.KindWithdrawal, ClientID: "po-pend",
		Postings: []ledger.Posting{
			{Account: heroAvail, Asset: "USDT", Amount: d("-10")},
			{Account: ledger.Transit(ledger.TransitWithdrawal, "po-pend"), Asset: "USDT", Amount: d("10")},
		}}); err != nil {
		t.Fatal(err)
	}
	if got := e.postSigned(callbackBody(map[string]any{"id": "hp-1", "externalOrderId": "po-pend", "type": "withdrawal",
		"status": "refunded", "currency": "USDT", "amount": 10, "address": "a1"})); got != http.StatusOK {
		t.Fatalf("answered %d", got)
	}
	e.sync()
	in := e.intent("po-pend")
	if in.State != ledger.StateResolved || in.Outcome != ledger.StateFailed || in.VenueRef != "hp-1" {
		t.Errorf("intent %+v; want resolved, failed, venue ref hp-1", in)
	}
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("100")) {
		t.Errorf("merchant USDT = %s, want 100 (refunded)", got)
	}
	// A success reported afterwards contradicts it and is not applied.
	if got := e.postSigned(callbackBody(map[string]any{"externalOrderId": "po-pend", "type": "withdrawal",
		"status": "finished", "currency": "USDT", "amount": 10, "address": "a1"})); got != http.StatusOK {
		t.Fatalf("answered %d", got)
	}
	e.sync()
	if _, err := e.store.Entry(e.ctx, "po-pend:settled"); err == nil {
		t.Error("a success after the refund was applied")
	}
	if got := e.eventCount("withdrawal", merchant.OutcomeConflict); got != 1 {
		t.Errorf("events_total{withdrawal,conflict} = %v, want 1", got)
	}
	e.verify()
}

// A withdrawal callback naming no intent of ours is recorded, not applied.
func TestUnmatchedWithdrawal(t *testing.T) {
	e := newEnv(t, envOptions{})
	if got := e.postSigned(callbackBody(map[string]any{"externalOrderId": "someone-else", "type": "withdrawal",
		"status": "finished", "currency": "USDT", "amount": 10})); got != http.StatusOK {
		t.Fatalf("answered %d", got)
	}
	e.sync()
	if got := e.eventCount("withdrawal", merchant.OutcomeUnmatched); got != 1 {
		t.Errorf("events_total{withdrawal,unmatched} = %v, want 1", got)
	}
	if st := e.payment("someone-else", ""); st.Kind != heropayments.KindWithdrawal || st.EntryKey != "" {
		t.Errorf("state %+v; want a recorded withdrawal without entry", st)
	}
	if es := e.entries(ledger.Filter{}); len(es) != 0 {
		t.Errorf("%d entries posted for an unmatched withdrawal", len(es))
	}
}

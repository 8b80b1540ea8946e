package merchant_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/merchant"
)

var heroAvail = ledger.VenueAvailable(ledger.Heropayments)

// A deposit paid in BTC is credited once, in the merchant's USDT, with the
// conversion through Heropayments as counterparty; a duplicated callback
// changes nothing.
func TestDepositCreditedOnceAndDuplicateIgnored(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := e.deposit("dep-btc", "BTC")
	id := e.payThrough(p.PayAddress, "BTC", "0.01")

	key := merchant.DepositKey(heropayments.PaymentKey{ExternalOrderID: "dep-btc"})
	if key != "heropayments:deposit:dep-btc:original" {
		t.Fatalf("DepositKey = %q, want heropayments:deposit:dep-btc:original", key)
	}
	en, err := e.store.Entry(e.ctx, key)
	if err != nil {
		t.Fatalf("deposit entry %s: %v", key, err)
	}
	if en.Kind != ledger.KindDeposit || en.Refs["heropayments_id"] != id || en.Refs["origin"] != merchant.OriginCallback {
		t.Errorf("entry %+v; want a deposit applied from the callback of payment %s", en, id)
	}
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("600")) {
		t.Errorf("merchant USDT = %s, want 600 (0.01 BTC at 60000)", got)
	}
	cp := ledger.Counterparty(ledger.Heropayments)
	if got, want := e.balance(cp, "BTC"), d("0.01"); !got.Equal(want) {
		t.Errorf("counterparty BTC = %s, want %s", got, want)
	}
	if got := e.balance(ledger.ExternalUnknown(), "BTC"); !got.Equal(d("-0.01")) {
		t.Errorf("external BTC = %s, want -0.01", got)
	}
	st := e.payment("dep-btc", "")
	if st.Status != heropayments.StatusFinished || st.Outcome != heropayments.OutcomeSuccess || st.EntryKey != key || st.ID != id {
		t.Errorf("state %+v; want finished, success, entry %s", st, key)
	}

	// The same callback again: acknowledged, stored once, applied once.
	if err := e.srv.Resend(id); err != nil {
		t.Fatal(err)
	}
	e.delivered(1, http.StatusOK)
	e.sync()
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("600")) {
		t.Errorf("merchant USDT after a duplicate = %s, want 600", got)
	}
	if n := len(e.entries(ledger.Filter{Kind: ledger.KindDeposit})); n != 1 {
		t.Errorf("%d deposit entries, want 1", n)
	}
	if got := counterValue(t, e.reg, "engine_heropayments_callbacks_total", map[string]string{"result": "duplicate"}); got != 1 {
		t.Errorf("callbacks_total{duplicate} = %v, want 1", got)
	}
	if got := e.eventCount("deposit", merchant.OutcomeCredited); got != 1 {
		t.Errorf("events_total{deposit,credited} = %v, want 1", got)
	}
	e.verify()
}

// Each further payment to one deposit address is a payment of its own,
// with its own sequence and journal key, credited once.
func TestMultiplePaymentsToOneAddress(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := e.deposit("dep-multi", "USDT")
	first := e.payThrough(p.PayAddress, "USDT", "100")
	second := e.payThrough(p.PayAddress, "USDT", "50")
	third := e.payThrough(p.PayAddress, "USDT", "25.5")

	seqs := map[string]string{}
	for _, x := range e.srv.Payments() {
		seqs[x.ID] = x.Sequence
	}
	if seqs[first] != heropayments.SequenceOriginal || seqs[second] == seqs[first] || seqs[third] == seqs[second] || seqs[third] == seqs[first] {
		t.Fatalf("sequences %v; want original then two new unique ones", seqs)
	}
	for id, amount := range map[string]string{first: "100", second: "50", third: "25.5"} {
		key := merchant.DepositKey(heropayments.PaymentKey{ExternalOrderID: "dep-multi", Sequence: seqs[id]})
		en, err := e.store.Entry(e.ctx, key)
		if err != nil {
			t.Fatalf("payment %s (sequence %s): entry %s: %v", id, seqs[id], key, err)
		}
		if en.Postings[0].Account != heroAvail || !en.Postings[0].Amount.Equal(d(amount)) {
			t.Errorf("entry %s postings %+v; want %s USDT to the merchant account", key, en.Postings, amount)
		}
		if st := e.payment("dep-multi", seqs[id]); st.Outcome != heropayments.OutcomeSuccess || st.EntryKey != key {
			t.Errorf("state of sequence %s = %+v", seqs[id], st)
		}
	}
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("175.5")) {
		t.Errorf("merchant USDT = %s, want 175.5", got)
	}
	// A repeat of the second payment's final callback changes nothing.
	if err := e.srv.Resend(second); err != nil {
		t.Fatal(err)
	}
	e.delivered(1, http.StatusOK)
	e.sync()
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("175.5")) {
		t.Errorf("merchant USDT after a repeat = %s, want 175.5", got)
	}
	if n := len(e.entries(ledger.Filter{Kind: ledger.KindDeposit})); n != 3 {
		t.Errorf("%d deposit entries, want 3", n)
	}
	e.verify()
}

// The handler answers 2xx only once the callback is durable: while the
// ledger cannot store it, Heropayments gets 500, nothing is applied, and
// the retry is stored and applied once.
func TestCallbackStoredBeforeAcknowledged(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := e.deposit("dep-store", "USDT")
	e.led.fail.Store(true)
	id, err := e.srv.Pay(p.PayAddress, "USDT", d("40"))
	if err != nil {
		t.Fatal(err)
	}
	e.delivered(1, http.StatusInternalServerError)
	e.sync()
	if n := len(e.callbackEvents()); n != 1 {
		t.Fatalf("%d events stored, want only the tracked deposit", n)
	}
	if st := e.payment("dep-store", ""); st.Status != "" || st.Origin != merchant.OriginTracked {
		t.Errorf("state %+v after a refused callback; want tracked, no status", st)
	}
	if got := counterValue(t, e.reg, "engine_heropayments_callbacks_total", map[string]string{"result": "store_error"}); got != 1 {
		t.Errorf("callbacks_total{store_error} = %v, want 1", got)
	}

	e.led.fail.Store(false)
	e.clock.Advance(30 * time.Second) // the simulator's retry
	e.delivered(1, http.StatusOK)
	e.sync()
	if st := e.payment("dep-store", ""); st.Status != heropayments.StatusConfirming || st.Origin != merchant.OriginCallback {
		t.Errorf("state %+v after the retry; want confirming from the callback", st)
	}
	for range 2 {
		e.clock.Advance(time.Minute)
		e.delivered(1, http.StatusOK)
	}
	e.sync()
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("40")) {
		t.Errorf("merchant USDT = %s, want 40", got)
	}
	if st := e.payment("dep-store", ""); st.ID != id || st.Outcome != heropayments.OutcomeSuccess {
		t.Errorf("state %+v; want payment %s succeeded", st, id)
	}
	e.verify()
}

// A deposit whose callbacks are all lost is found by the status poll once
// PollAfter has passed, and credited once; the real callback arriving
// afterwards changes nothing. A further payment known only from its first
// callback is polled by its sequence.
func TestLostCallbacksRecoveredByPolling(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := e.deposit("dep-lost", "USDT")
	e.srv.DropCallbacks(3)
	id, err := e.srv.Pay(p.PayAddress, "USDT", d("25.5"))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute) // finished at the simulator; no callback
	e.sync()
	if got := e.balance(heroAvail, "USDT"); !got.IsZero() {
		t.Fatalf("merchant USDT = %s before poll_after, want 0", got)
	}
	if got := e.pollCount(merchant.PollChanged); got != 0 {
		t.Fatalf("polls_total{changed} = %v before poll_after, want 0", got)
	}
	e.clock.Advance(8 * time.Minute) // poll_after since the deposit was recorded
	e.sync()
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("25.5")) {
		t.Fatalf("merchant USDT = %s after the poll, want 25.5", got)
	}
	key := merchant.DepositKey(heropayments.PaymentKey{ExternalOrderID: "dep-lost"})
	en, err := e.store.Entry(e.ctx, key)
	if err != nil || en.Refs["origin"] != merchant.OriginPoll || !strings.HasPrefix(en.Refs["event_id"], "poll/") {
		t.Fatalf("entry %+v, %v; want one applied from a synthetic poll event", en, err)
	}
	if st := e.payment("dep-lost", ""); st.Origin != merchant.OriginPoll || st.Status != heropayments.StatusFinished {
		t.Errorf("state %+v; want finished, learnt by polling", st)
	}
	if got := e.pollCount(merchant.PollChanged); got != 1 {
		t.Errorf("polls_total{changed} = %v, want 1", got)
	}

	// The real callback, late: stored as an event of its own, applied as
	// a duplicate.
	if err := e.srv.Resend(id); err != nil {
		t.Fatal(err)
	}
	e.delivered(1, http.StatusOK)
	e.sync()
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("25.5")) {
		t.Errorf("merchant USDT after the late callback = %s, want 25.5", got)
	}
	if got := e.eventCount("deposit", merchant.OutcomeDuplicate); got != 1 {
		t.Errorf("events_total{deposit,duplicate} = %v, want 1 (the late callback)", got)
	}
	real := "dep-lost/original/finished"
	if ev, err := e.store.GetEvent(e.ctx, ledger.SourceHeropaymentsCallback, real); err != nil || ev.Processed.IsZero() {
		t.Errorf("late callback %s: %+v, %v; want stored and processed", real, ev, err)
	}

	// A further payment whose first callback arrives and the rest are lost.
	id2, err := e.srv.Pay(p.PayAddress, "USDT", d("7"))
	if err != nil {
		t.Fatal(err)
	}
	e.delivered(1, http.StatusOK)
	e.srv.DropCallbacks(2)
	e.sync()
	var seq string
	for _, x := range e.srv.Payments() {
		if x.ID == id2 {
			seq = x.Sequence
		}
	}
	if st := e.payment("dep-lost", seq); st.Outcome != heropayments.OutcomeInProgress {
		t.Fatalf("further payment %s: %+v; want in progress", seq, st)
	}
	e.clock.Advance(2 * time.Minute)
	e.clock.Advance(8 * time.Minute)
	e.sync()
	if st := e.payment("dep-lost", seq); st.Outcome != heropayments.OutcomeSuccess || st.Origin != merchant.OriginPoll {
		t.Fatalf("further payment %s after polling: %+v; want success learnt by polling", seq, st)
	}
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("32.5")) {
		t.Errorf("merchant USDT = %s, want 32.5", got)
	}
	e.verify()
}

// A forged or altered callback is refused with 401 and nothing is stored
// or applied.
func TestForgedCallbackRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := callbackBody(map[string]any{"externalOrderId": "forged", "sequence": "original", "type": "deposit",
		"status": "finished", "currency": "USDT", "merchantAmount": 1000})
	norm, goodSig := e.sign(testSecret, body)
	_, otherSig := e.sign("not-the-secret", body)
	altered := strings.Replace(string(norm), "1000", "9000", 1)
	for _, c := range []struct {
		name string
		body []byte
		sig  string
	}{
		{"no signature", norm, ""},
		{"another secret", norm, otherSig},
		{"altered amount", []byte(altered), goodSig},
		{"not hex", norm, "zz"},
	} {
		if got := e.post(c.body, c.sig); got != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", c.name, got)
		}
	}
	e.sync()
	if evs := e.callbackEvents(); len(evs) != 0 {
		t.Fatalf("stored %d events after forged callbacks, want 0", len(evs))
	}
	if got := e.balance(heroAvail, "USDT"); !got.IsZero() {
		t.Errorf("merchant USDT = %s, want 0", got)
	}
	if _, ok := e.proc.Payment(heropayments.PaymentKey{ExternalOrderID: "forged"}); ok {
		t.Error("a forged payment is known to the processor")
	}
	if got := counterValue(t, e.reg, "engine_heropayments_callbacks_total", map[string]string{"result": "bad_signature"}); got != 4 {
		t.Errorf("callbacks_total{bad_signature} = %v, want 4", got)
	}
}

// A flood of refused callbacks is counted by reason and logged in
// aggregate: the first few in detail and one summary (written at the
// latest when Run returns), never a line each, nor a signature.
func TestRefusedCallbacksLoggedInAggregate(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := callbackBody(map[string]any{"externalOrderId": "forged", "type": "deposit", "status": "finished",
		"currency": "USDT", "merchantAmount": 1000})
	norm, _ := e.sign(testSecret, body)
	_, otherSig := e.sign("not-the-secret", body)
	const forged, garbled = 250, 50
	for i := range forged + garbled {
		b, want := norm, http.StatusUnauthorized
		if i >= forged {
			b, want = []byte(`{"externalOrderId":`), http.StatusBadRequest
		}
		if got := e.post(b, otherSig); got != want {
			t.Fatalf("refused callback %d: status %d, want %d", i, got, want)
		}
	}
	e.stop()

	out := e.logs.String()
	if n := strings.Count(out, `msg="heropayments callback refused"`); n != 5 {
		t.Errorf("%d refusals logged in detail, want the first 5:\n%s", n, out)
	}
	if n := strings.Count(out, `msg="heropayments callback refusals"`); n != 1 ||
		!strings.Contains(out, "total=300") || !strings.Contains(out, "by_reason.bad_json=50 by_reason.bad_signature=250") {
		t.Errorf("want one summary of 250 bad_signature and 50 bad_json:\n%s", out)
	}
	if strings.Contains(out, otherSig) || strings.Contains(out, "merchantAmount") {
		t.Errorf("a signature or a body reached the log:\n%s", out)
	}
	for reason, want := range map[string]float64{"bad_signature": forged, "bad_json": garbled} {
		if got := counterValue(t, e.reg, "engine_merchant_callbacks_refused_total", map[string]string{"reason": reason}); got != want {
			t.Errorf("callbacks_refused_total{%s} = %v, want %v", reason, got, want)
		}
	}
}

// Events stored while the processor was down are applied when it starts;
// a restarted processor rebuilds the payment states from the inbox.
func TestAppliedAfterRestartAndStatesRebuilt(t *testing.T) {
	e := newEnv(t, envOptions{noRun: true})
	for i, st := range []string{"confirming", "finished"} {
		if got := e.postSigned(callbackBody(map[string]any{"externalOrderId": "dep-down", "type": "deposit", "status": st,
			"currency": "USDT", "merchantAmount": 12})); got != http.StatusOK {
			t.Fatalf("callback %d answered %d, want 200 with the processor down", i, got)
		}
	}
	if got := e.postSigned(callbackBody(map[string]any{"externalOrderId": "dep-exp", "type": "deposit", "status": "expired",
		"currency": "USDT"})); got != http.StatusOK {
		t.Fatalf("expired callback answered %d", got)
	}
	if got := e.balance(heroAvail, "USDT"); !got.IsZero() {
		t.Fatalf("credited %s before the processor ran", got)
	}
	e.start()
	e.sync()
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("12")) {
		t.Fatalf("merchant USDT = %s after start, want 12", got)
	}
	before := e.proc.Payments()
	e.stop()

	p2, err := merchant.New(merchant.Options{Ledger: e.store, Client: e.client, Secret: testSecret, Flow: heropayments.FlowV2, Clock: e.clock.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	e.proc = p2
	e.start()
	e.sync()
	after := p2.Payments()
	if len(after) != 2 || len(before) != 2 {
		t.Fatalf("states before %+v, after restart %+v; want 2 each", before, after)
	}
	for i := range after {
		b, a := before[i], after[i]
		if a.Key != b.Key || a.Status != b.Status || a.Outcome != b.Outcome || a.EntryKey != b.EntryKey {
			t.Errorf("rebuilt %+v, was %+v", a, b)
		}
	}
	if st := e.payment("dep-exp", ""); st.Outcome != heropayments.OutcomeFailed || st.EntryKey != "" {
		t.Errorf("expired deposit %+v; want failed, queryable, no entry", st)
	}
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("12")) {
		t.Errorf("merchant USDT = %s after restart, want 12", got)
	}
	e.verify()
}

// A progress status after the final one never moves the payment back, and
// a final status contradicting the recorded outcome is not applied.
func TestStateNeverMovesBackwards(t *testing.T) {
	e := newEnv(t, envOptions{})
	post := func(eoid, status string) {
		t.Helper()
		if got := e.postSigned(callbackBody(map[string]any{"externalOrderId": eoid, "type": "deposit", "status": status,
			"currency": "USDT", "merchantAmount": 5})); got != http.StatusOK {
			t.Fatalf("%s %s answered %d", eoid, status, got)
		}
		e.sync()
	}
	post("dep-order", "finished")
	post("dep-order", "confirming")
	post("dep-order", "refunded")
	if st := e.payment("dep-order", ""); st.Status != heropayments.StatusFinished || st.Outcome != heropayments.OutcomeSuccess {
		t.Errorf("state %+v; want still finished", st)
	}
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("5")) {
		t.Errorf("merchant USDT = %s, want 5 (the refund after success is a conflict, not applied)", got)
	}
	post("dep-fail", "failed")
	post("dep-fail", "finished")
	if st := e.payment("dep-fail", ""); st.Outcome != heropayments.OutcomeFailed {
		t.Errorf("state %+v; want still failed", st)
	}
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("5")) {
		t.Errorf("merchant USDT = %s, want 5 (success after failure not credited)", got)
	}
	if got := e.eventCount("deposit", merchant.OutcomeConflict); got != 2 {
		t.Errorf("events_total{deposit,conflict} = %v, want 2", got)
	}
	if got := e.eventCount("deposit", merchant.OutcomeStale); got != 1 {
		t.Errorf("events_total{deposit,stale} = %v, want 1", got)
	}
	if !strings.Contains(e.logs.String(), "needs reconciliation") {
		t.Error("conflicts were not logged")
	}
}

// An event that can never be applied is quarantined: left unprocessed,
// counted, and the others are still applied.
func TestQuarantine(t *testing.T) {
	e := newEnv(t, envOptions{})
	// A withdrawal naming an intent that is not a Heropayments payout.
	if _, _, err := e.store.CreateIntent(e.ctx, ledger.Intent{ClientID: "order-1", Kind: ledger.IntentOrder, Venue: ledger.Hercle}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		callbackBody(map[string]any{"externalOrderId": "order-1", "type": "withdrawal", "status": "finished", "currency": "USDT"}),
		callbackBody(map[string]any{"externalOrderId": "dep-nothing", "type": "deposit", "status": "finished", "currency": "USDT"}),
		callbackBody(map[string]any{"externalOrderId": "dep-ok", "type": "deposit", "status": "finished", "currency": "USDT", "merchantAmount": 3}),
	} {
		if got := e.postSigned(body); got != http.StatusOK {
			t.Fatalf("answered %d", got)
		}
	}
	e.sync()
	q := e.proc.Quarantined()
	if len(q) != 2 || q["order-1/original/finished"] == "" || q["dep-nothing/original/finished"] == "" {
		t.Errorf("quarantined %v; want the withdrawal naming an order and the deposit without an amount", q)
	}
	un, err := e.store.Unprocessed(e.ctx)
	if err != nil || len(un) != 2 {
		t.Errorf("unprocessed %d, %v; want the 2 quarantined events", len(un), err)
	}
	if got := e.balance(heroAvail, "USDT"); !got.Equal(d("3")) {
		t.Errorf("merchant USDT = %s, want 3", got)
	}
	if in := e.intent("order-1"); in.State != ledger.StatePending {
		t.Errorf("order intent moved to %s", in.State)
	}
	if got := testGauge(t, e, "engine_merchant_quarantined"); got != 2 {
		t.Errorf("quarantined gauge = %v, want 2", got)
	}
}

func testGauge(t *testing.T, e *env, name string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}

// A deposit recorded by CreateDeposit that Heropayments never knew of
// (its request was refused) is polled until GiveUpAfter past PollAfter,
// then given up.
func TestRefusedDepositGivenUp(t *testing.T) {
	e := newEnv(t, envOptions{})
	if _, err := e.proc.CreateDeposit(e.ctx, heropayments.DepositRequest{ExternalOrderID: "dep-refused", CustomerID: "c",
		Currency: "XYZ"}, false); !errors.Is(err, heropayments.ErrBadRequest) {
		t.Fatalf("CreateDeposit(unsupported currency) = %v, want ErrBadRequest", err)
	}
	e.sync()
	e.clock.Advance(10 * time.Minute)
	e.sync()
	if got := e.pollCount(merchant.PollNotFound); got != 1 {
		t.Fatalf("polls_total{not_found} = %v, want 1", got)
	}
	if st := e.payment("dep-refused", ""); st.Abandoned {
		t.Fatal("given up before GiveUpAfter")
	}
	e.clock.Advance(time.Hour)
	e.sync()
	if st := e.payment("dep-refused", ""); !st.Abandoned {
		t.Fatalf("state %+v after GiveUpAfter; want abandoned", st)
	}
	n := e.pollCount(merchant.PollNotFound)
	e.clock.Advance(time.Hour)
	e.sync()
	if got := e.pollCount(merchant.PollNotFound); got != n {
		t.Errorf("polled %v more times after giving up", got-n)
	}
	if _, err := e.proc.CreateDeposit(e.ctx, heropayments.DepositRequest{ExternalOrderID: "has space", CustomerID: "c",
		Currency: "USDT"}, false); !errors.Is(err, heropayments.ErrInvalidInput) {
		t.Errorf("CreateDeposit(id with a space) = %v, want ErrInvalidInput before anything is recorded", err)
	}
	for _, ev := range e.callbackEvents() {
		if strings.Contains(ev.ID, "has") {
			t.Errorf("recorded %s for a refused request", ev.ID)
		}
	}
}

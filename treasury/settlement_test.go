package treasury_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/sim/heropay"
	"github.com/otcdesk/engine/treasury"
)

const settleSection = `
[destinations.hercle-usdt]
type = "hercle_deposit"
asset = "USDT"
network = "Tron"
daily_cap = "1000000"

[policies.settle]
kind = "settlement"
asset = "USDT"
flow = "v2"
customer_id = "treasury"
schedule = "@every 30m"
min = "0"
target = "1000"
max = "2000"
destination = "hercle-usdt"
min_sweep = "100"
max_network_fee = "2"
dry_run = false
`

func newSettleRig(t *testing.T, section string) *rig {
	return newRig(t, section, rigOptions{heropay: d("5000"), networkFee: d("1")})
}

// heropaymentsWithdrawal returns the Heropayments withdrawal made under cid.
func (r *rig) heropaymentsWithdrawal(cid string) heropay.Payment {
	r.t.Helper()
	var out []heropay.Payment
	for _, p := range r.hp.Payments() {
		if p.Type == heropay.KindWithdrawal {
			out = append(out, p)
		}
	}
	if len(out) != 1 || out[0].ExternalOrderID != cid {
		r.t.Fatalf("Heropayments withdrawals %+v, want exactly one under %s", out, cid)
	}
	return out[0]
}

// landAtHercle lets Heropayments finish the withdrawal and the link deliver
// it to Hercle, and returns the Hercle deposit.
func (r *rig) landAtHercle() sim.Transaction {
	r.t.Helper()
	r.clock.Advance(2 * time.Minute) // waiting -> sending -> finished
	r.link.Sync()
	var deps []sim.Transaction
	for tx, err := range r.client.Transactions(r.ctx, hercle.PageQuery{From: monday.Add(-time.Hour), To: r.clock.Now().Add(time.Hour)}) {
		if err != nil {
			r.t.Fatal(err)
		}
		if tx.Type == hercle.TxDeposit {
			deps = append(deps, sim.Transaction{ID: tx.ID, Asset: "USDT", Amount: tx.Amount.Decimal})
		}
	}
	if len(deps) != 1 {
		r.t.Fatalf("Hercle deposits %+v, want the settlement's one", deps)
	}
	return deps[0]
}

func (r *rig) checkSettled(cid string, dep sim.Transaction) {
	r.t.Helper()
	if in := r.intent(cid); in.State != ledger.StateSucceeded && (in.State != ledger.StateResolved || in.Outcome != ledger.StateSucceeded) {
		r.t.Fatalf("settlement intent %s/%s, want succeeded once the deposit landed", in.State, in.Outcome)
	}
	checks := []struct {
		a    ledger.Account
		want string
	}{
		{ledger.Transit(ledger.TransitSettlement, cid), "0"},
		{ledger.VenueAvailable(ledger.Heropayments), "1000"}, // 5000 at the start
		{ledger.VenueAvailable(ledger.Hercle), "3999"},
		{ledger.Fees(ledger.Heropayments), "1"},
		{ledger.ExternalUnknown(), "0"},
	}
	for _, c := range checks {
		if got := r.balance(c.a, "USDT"); !got.Equal(d(c.want)) {
			r.t.Errorf("%s USDT = %s, want %s", c.a, got, c.want)
		}
	}
	e, err := r.store.Entry(r.ctx, cid+":settled")
	if err != nil || e.Kind != ledger.KindTransferSettled || e.Refs["transaction_id"] != dep.ID {
		r.t.Errorf("settlement entry %+v, %v; want transfer.settled naming deposit %s", e, err, dep.ID)
	}
	r.verify()
}

// Plan says a settlement to a Hercle deposit address that does not exist
// yet would go, as sending would create the address first, and creates
// nothing; with an address pinned, one created could not be it, so the
// plan refuses as sending would.
func TestPlanSettlementBeforeTheDepositAddressExists(t *testing.T) {
	r := newSettleRig(t, settleSection)
	r.prices()
	plans, err := r.tr.Plan(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || plans[0].Outcome != treasury.OutcomePlanned || !plans[0].Amount.Equal(d("4000")) ||
		!strings.Contains(plans[0].Reason, "no USDT deposit address on Tron yet: sending creates one first") {
		t.Fatalf("plan %+v, want 4000 USDT planned, the address to be created first", plans)
	}
	if got := r.venue.DepositAddresses(); len(got) != 0 {
		t.Errorf("Plan created deposit addresses %+v", got)
	}
	if got := r.hp.Payments(); len(got) != 0 {
		t.Errorf("Plan paid out at Heropayments: %+v", got)
	}

	pinned := newSettleRig(t, strings.Replace(settleSection, `network = "Tron"`, "network = \"Tron\"\naddress = \"TPinned\"", 1))
	pinned.prices()
	plans, err = pinned.tr.Plan(pinned.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || plans[0].Outcome != treasury.OutcomeRefused || !strings.Contains(plans[0].Reason, "Hercle has no USDT deposit address on Tron") {
		t.Fatalf("pinned plan %+v, want refused: no deposit address", plans)
	}
}

// Heropayments -> Hercle end to end, the deposit found over REST: in
// transit from the request until the deposit lands, then settled, the
// deposit credited once and announced for autoconvert.
func TestSettlementFromHeropaymentsLandsAtHercleOverREST(t *testing.T) {
	r := newSettleRig(t, settleSection)
	res, err := r.sweep("settle")
	if err != nil || res.Outcome != treasury.OutcomeSent || !res.Amount.Equal(d("4000")) {
		t.Fatalf("Sweep = %+v, %v; want 4000 USDT settled", res, err)
	}
	cid := res.ClientID
	deposits := r.venue.DepositAddresses()
	if len(deposits) != 1 || deposits[0].Asset != "USDT" || deposits[0].Network != "Tron" {
		t.Fatalf("Hercle deposit addresses %+v, want the USDT Tron one treasury created", deposits)
	}
	w := r.heropaymentsWithdrawal(cid)
	if w.Address != deposits[0].Address || !w.Amount.Equal(d("4000")) || w.Currency != "USDT" {
		t.Fatalf("Heropayments withdrawal %+v, want 4000 USDT to %s", w, deposits[0].Address)
	}
	if in := r.intent(cid); in.Kind != ledger.IntentPayout || in.Venue != ledger.Heropayments || in.State != ledger.StateSubmitted {
		t.Fatalf("intent %s %s %s, want a submitted Heropayments payout", in.Kind, in.Venue, in.State)
	}
	transit := ledger.Transit(ledger.TransitSettlement, cid)
	if got := r.balance(transit, "USDT"); !got.Equal(d("4000")) {
		t.Fatalf("in transit %s, want 4000", got)
	}
	r.poll() // Heropayments still working: stays in transit
	if got := r.balance(transit, "USDT"); !got.Equal(d("4000")) || r.intent(cid).State != ledger.StateSubmitted {
		t.Fatalf("after an early poll: transit %s, intent %s; want unchanged", got, r.intent(cid).State)
	}
	dep := r.landAtHercle()
	if !dep.Amount.Equal(d("3999")) {
		t.Fatalf("Hercle deposit %s, want 3999 after the network fee", dep.Amount)
	}
	r.poll()
	r.checkSettled(cid, dep)
	r.mu.Lock()
	credited := append([]inbound.Deposit(nil), r.credited...)
	r.mu.Unlock()
	if len(credited) != 1 || credited[0].TransactionID != dep.ID || !credited[0].Amount.Equal(d("3999")) || credited[0].EntryKey != ledger.DepositKey(dep.ID) {
		t.Fatalf("OnDeposit got %+v, want the deposit %s once", credited, dep.ID)
	}
	// The deposit's webhook arrives late: package inbound finds it
	// credited and applies nothing.
	r.webhook(webhook.EventDepositStatusUpdated, webhook.Transaction{ID: dep.ID, Status: hercle.BankingSuccess, Asset: "USDT", Amount: hercle.N(dep.Amount)})
	r.mu.Lock()
	seen := len(r.seen)
	r.mu.Unlock()
	if seen != 0 {
		t.Errorf("the late webhook announced the deposit again (%d)", seen)
	}
	r.checkSettled(cid, dep)
	r.noViolations()
}

// The same chain with the deposit webhook first: package inbound credits
// it pending; treasury, reading the venue's history, confirms it (it is
// announced then, as spendable) and clears the transit against it.
func TestSettlementSettlesFromTheDepositWebhook(t *testing.T) {
	r := newSettleRig(t, settleSection)
	res, err := r.sweep("settle")
	if err != nil {
		t.Fatal(err)
	}
	dep := r.landAtHercle()
	r.webhook(webhook.EventDepositStatusUpdated, webhook.Transaction{ID: dep.ID, Status: hercle.BankingSuccess, Asset: "USDT", Amount: hercle.N(dep.Amount)})
	r.poll()
	r.checkSettled(res.ClientID, dep)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) != 1 || len(r.credited) != 1 {
		t.Errorf("announced by the processor (pending) %d times and by treasury (confirmed) %d times, want 1 and 1", len(r.seen), len(r.credited))
	}
}

func TestSettlementFailedAtHeropaymentsIsReversed(t *testing.T) {
	r := newSettleRig(t, settleSection)
	res, err := r.sweep("settle")
	if err != nil {
		t.Fatal(err)
	}
	w := r.heropaymentsWithdrawal(res.ClientID)
	if err := r.hp.Fail(w.ID); err != nil {
		t.Fatal(err)
	}
	r.poll()
	if in := r.intent(res.ClientID); in.State != ledger.StateFailed {
		t.Fatalf("intent %s, want failed", in.State)
	}
	if got := r.balance(ledger.VenueAvailable(ledger.Heropayments), "USDT"); !got.Equal(d("5000")) {
		t.Errorf("heropayments available %s, want 5000 as at the start after the reversal", got)
	}
	if got := r.counter(ledger.DailyWithdrawn(monday, ledger.VenueAvailable(ledger.Hercle))); !got.IsZero() {
		t.Errorf("daily total %s, want released", got)
	}
	r.verify()
}

// A 502 after Heropayments applied the withdrawal: looked up by
// externalOrderId, found, and never sent twice.
func TestSettlementUnknownOutcomeIsLookedUpByExternalOrderID(t *testing.T) {
	r := newSettleRig(t, settleSection)
	r.hp.ErrorAfterApply(1)
	res, err := r.sweep("settle")
	if err != nil || res.Outcome != treasury.OutcomeSent {
		t.Fatalf("Sweep = %+v, %v; want sent, found by externalOrderId", res, err)
	}
	r.heropaymentsWithdrawal(res.ClientID) // exactly one
	if got := len(r.wire.sent()); got != 1 {
		t.Errorf("%d withdrawal requests, want 1", got)
	}
	dep := r.landAtHercle()
	r.poll()
	r.checkSettled(res.ClientID, dep)
}

func TestSettlementRefusesADepositAddressOtherThanThePinnedOne(t *testing.T) {
	section := strings.Replace(settleSection, `network = "Tron"`, "network = \"Tron\"\naddress = \"TPinnedAddressExample\"", 1)
	r := newSettleRig(t, section)
	res, err := r.sweep("settle")
	if !errors.Is(err, treasury.ErrNotAllowlisted) || res.Outcome != treasury.OutcomeRefused {
		t.Fatalf("Sweep = %+v, %v; want refused: the API's address is not the pinned one", res, err)
	}
	if len(r.wire.sent()) != 0 || len(r.intents()) != 0 {
		t.Errorf("something was sent or recorded")
	}
	for _, p := range r.hp.Payments() {
		t.Errorf("Heropayments holds %+v, want nothing", p)
	}
}

// The whole chain of issue 8: customer money settled from Heropayments
// into Hercle, converted there, and the proceeds swept to the bank, every
// step a balanced journal entry.
func TestChainHeropaymentsToHercleToConversionToBank(t *testing.T) {
	eurusdt := sim.PairConfig{Pair: market.Pair{Symbol: "EURUSDT", Base: "EUR", Quote: "USDT", MinSize: d("1"), MaxSize: d("1000000"),
		MinQuoteSize: d("15"), MaxQuoteSize: d("1200000")}, Mid: d("1.08"), SpreadBps: 10, VolatilityBps: 5, Decimals: 5}
	section := strings.Replace(settleSection, `dry_run = false`, "dry_run = false\nthen = [\"usdt-eur\"]", 1) +
		strings.Replace(bankSection, `max = "55000"`, `max = "51000"`, 1) + `
[policies.usdt-eur]
kind = "convert"
asset = "USDT"
to = "EUR"
pair = "EURUSDT"
path = "otc"
max_slippage = "1"
schedule = "@hourly"
min = "0"
target = "0"
max = "100"
then = ["eur-bank"]
dry_run = false
`
	r := newRig(t, section, rigOptions{heropay: d("5000"), networkFee: d("1"),
		pairs: append(sim.DefaultPairs(), eurusdt)})
	if _, err := r.venue.CreateDepositAddress("EUR", "SEPA"); err != nil {
		t.Fatal(err)
	}
	// The bank payee is registered, approved, and EUR brought to target.
	r.sweep("eur-bank")
	r.approve(r.payeeAddresses()[0], webhook.PayeeAddressApproved)
	if res, err := r.sweep("eur-bank"); err != nil || res.Outcome != treasury.OutcomeSent {
		t.Fatalf("EUR Sweep = %+v, %v", res, err)
	}
	r.payoutSucceeded(r.transfers()[0], "0")
	r.poll()

	settle, err := r.sweep("settle")
	if err != nil || settle.Outcome != treasury.OutcomeSent || len(settle.Chained) != 0 {
		t.Fatalf("settlement Sweep = %+v, %v; want sent, its chain waiting for the deposit", settle, err)
	}
	r.landAtHercle()
	r.poll() // lands the settlement, then converts and sweeps
	if in := r.intent(settle.ClientID); in.State != ledger.StateSucceeded {
		t.Fatalf("settlement intent %s, want succeeded", in.State)
	}
	// The OTC buy by amount may fill up to its 1% slippage above the
	// quote: it asks for 3999 / 1.01, so that its worst fill fits.
	if got := r.venueAvailable("USDT"); got.GreaterThan(d("40")) {
		t.Errorf("Hercle USDT %s after the chain, want all converted but the slippage headroom", got)
	}
	if got := r.venueAvailable("EUR"); !got.Equal(d("50000")) {
		t.Errorf("Hercle EUR %s after the chain, want target 50000", got)
	}
	trs := r.transfers()
	if len(trs) != 2 || trs[1].Amount.LessThan(d("3600")) || trs[1].Amount.GreaterThan(d("3800")) {
		t.Fatalf("transfers %+v, want a second one of the conversion's proceeds (about 3700 EUR)", trs)
	}
	kinds := map[ledger.Kind]int{}
	es, err := r.store.Entries(r.ctx, ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		kinds[e.Kind]++
	}
	for k, n := range map[ledger.Kind]int{ledger.KindTransfer: 1, ledger.KindDeposit: 1, ledger.KindTransferSettled: 1, ledger.KindTrade: 1, ledger.KindWithdrawal: 2} {
		if kinds[k] < n {
			t.Errorf("journal has %d %s entries, want %d: %v", kinds[k], k, n, kinds)
		}
	}
	r.verify() // every entry balanced, balances equal to the journal's
	r.noViolations()
}

// A status lookup answered for another payment says nothing about this
// settlement: it is not applied (as package merchant's poll refuses it),
// so another payment's failure cannot reverse a settlement Heropayments
// is sending and release its caps.
func TestSettlementLookupAnsweredForAnotherPaymentIsNotApplied(t *testing.T) {
	r := newSettleRig(t, settleSection)
	res, err := r.sweep("settle")
	if err != nil || res.Outcome != treasury.OutcomeSent {
		t.Fatalf("Sweep = %+v, %v; want sent", res, err)
	}
	cid := res.ClientID
	r.wire.answerStatus(`{"id":"hp-other","externalOrderId":"someone-else","sequence":"original","type":"withdrawal","status":"failed","currency":"USDT","amount":10}`)
	for range 3 {
		r.clock.Advance(time.Minute)
		_ = r.tr.Poll(r.ctx) // the mismatch is reported as an error
	}
	if in := r.intent(cid); outcomeFailed(in) {
		t.Fatalf("intent %s/%s: failed on another payment's status", in.State, in.Outcome)
	}
	if got := r.balance(ledger.Transit(ledger.TransitSettlement, cid), "USDT"); !got.Equal(d("4000")) {
		t.Errorf("in transit %s, want the 4000 sent", got)
	}
	if got := r.counter(ledger.DailyWithdrawn(monday, ledger.VenueAvailable(ledger.Hercle))); !got.Equal(d("4000")) {
		t.Errorf("daily total %s, want 4000 (not released)", got)
	}
	r.wire.answerStatus("")
	dep := r.landAtHercle()
	r.poll()
	r.checkSettled(cid, dep)
}

// finishRefused is the ledger as an older engine wrote it, entries and
// transition apart: the settlement's entries are posted, then the
// process stops before the intent is finished, once.
type finishRefused struct {
	execution.Store
	post func(context.Context, ledger.Entry) (ledger.Entry, bool, error)
	done bool
}

func (f *finishRefused) Settle(ctx context.Context, st ledger.Settlement) (ledger.Intent, error) {
	if (st.To == ledger.StateSucceeded || st.To == ledger.StateResolved) && !f.done {
		f.done = true
		for _, e := range st.Entries {
			if _, _, err := f.post(ctx, e); err != nil {
				return ledger.Intent{}, err
			}
		}
		return ledger.Intent{}, errCrashed
	}
	return f.Store.Settle(ctx, st)
}

// A settlement whose entry was posted but whose intent was not finished
// (a stop in between) is finished by the next look: its deposit already
// settled it, so waiting for a deposit to match would keep it open, and
// its destination blocked, for ever.
func TestSettlementPostedButNotFinishedIsFinishedAfterARestart(t *testing.T) {
	for _, restart := range []bool{true, false} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) { settlementPostedButNotFinished(t, restart) })
	}
}

func settlementPostedButNotFinished(t *testing.T, restart bool) {
	r := newRig(t, settleSection, rigOptions{heropay: d("5000"), networkFee: d("1"),
		wrap: func(s execution.Store) execution.Store { return &finishRefused{Store: s, post: s.(*ledger.Store).Post} }})
	res, err := r.sweep("settle")
	if err != nil || res.Outcome != treasury.OutcomeSent {
		t.Fatalf("Sweep = %+v, %v; want sent", res, err)
	}
	cid := res.ClientID
	dep := r.landAtHercle()
	if err := r.tr.Poll(r.ctx); err == nil {
		t.Fatalf("Poll with the final transition refused: no error")
	}
	if _, err := r.store.Entry(r.ctx, cid+":settled"); err != nil {
		t.Fatalf("settlement entry: %v; want it posted before the refusal", err)
	}
	if restart {
		r.opts.wrap = nil
		r.restart()
	}
	r.clock.Advance(time.Minute)
	r.poll()
	r.checkSettled(cid, dep)
}

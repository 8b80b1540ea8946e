package merchant_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
)

// A settled payout credits the account its sent entry names
// (ledger.RefTo), not the one the callback's address would make.
func TestPayoutSettlesToTheSentEntrysDestination(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.opening("USDT", "1000")
	const cid = "po-to"
	to := ledger.ExternalAddress("TRX", "TPayeeWallet")
	if _, _, err := e.store.CreateIntent(e.ctx, ledger.Intent{ClientID: cid, Kind: ledger.IntentPayout, Venue: ledger.Heropayments,
		Request: json.RawMessage(`{"origin":"payouts","flow":"` + string(e.flow) + `"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.Post(e.ctx, ledger.Entry{Key: ledger.SentKey(cid), Kind: ledger.KindWithdrawal, ClientID: cid,
		Refs: map[string]string{ledger.RefTo: to.String()},
		Postings: []ledger.Posting{
			{Account: heroAvail, Asset: "USDT", Amount: d("-100")},
			{Account: ledger.Transit(ledger.TransitWithdrawal, cid), Asset: "USDT", Amount: d("100")},
		}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Transition(e.ctx, cid, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateWithdrawal(e.ctx, e.flow, heropayments.WithdrawalRequest{ExternalOrderID: cid, CustomerID: "cust-1",
		Currency: "USDT", Amount: heropayments.MustAmount("100"), Address: "addrpoto", CallbackURL: e.cbURL}, heropayments.WithdrawalOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // sending, then finished
		e.clock.Advance(time.Minute)
		e.delivered(1, http.StatusOK)
	}
	e.sync()
	if in := e.intent(cid); in.State != ledger.StateSucceeded {
		t.Fatalf("intent %s, want succeeded", in.State)
	}
	if got := e.balance(to, "USDT"); !got.Equal(d("100")) {
		t.Errorf("%s = %s, want 100", to, got)
	}
	if got := e.balance(ledger.ExternalAddress("USDT", "addrpoto"), "USDT"); !got.IsZero() {
		t.Errorf("the callback's address received %s, want nothing", got)
	}
}

package inbound

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/ledger"
)

// FuzzApply stores arbitrary bodies in the inbox and runs the processor's
// decode-and-apply on them: it must never panic, and the journal must
// always verify (balanced entries, balances equal to a rebuild).
func FuzzApply(f *testing.F) {
	for _, body := range []string{
		`{"EventId":"e1","EventType":"Banking.Withdrawal.StatusUpdated","Data":"{\"Id\":\"v1\",\"ClientId\":\"W1\",\"Asset\":\"BTC\",\"Network\":\"BTC\",\"Destination\":\"bc1q\",\"Fee\":0.0001,\"Status\":\"SUCCESS\"}"}`,
		`{"eventId":"e2","eventType":"Banking.Withdrawal.StatusUpdated","data":{"Id":"v1","ClientId":"W1","Asset":"BTC","Status":"FAILURE"}}`,
		`{"EventId":"e3","EventType":"Banking.Payout.StatusUpdated","Data":{"Id":"v1","Status":"REJECTED","Debtor":{"Asset":"BTC","Fee":2}}}`,
		`{"EventId":"e4","EventType":"Banking.Deposit.StatusUpdated","Data":{"Id":"t1","Status":"SUCCESS","Asset":"EUR","Amount":1e-30}}`,
		`{"EventId":"e5","EventType":"Banking.Deposit.StatusUpdated","Data":{"Id":"t2","Status":"SUCCESS","Asset":"a:b","Amount":-5}}`,
		`{"EventId":"e6","EventType":"Payee.StatusUpdated","Data":{"StatusChange":{"Previous":"REVIEWING","Current":"APPROVED"},"Resource":{"Id":"pa","Status":"APPROVED"}}}`,
		`{"EventId":"e7","EventType":"Balance.Updated","Data":{"UserId":"u","Sequence":-1,"Assets":[{"Name":"EUR","Available":1}]}}`,
		`{"EventId":"e8","EventType":"EndUser.Created","Data":{"Id":"x","Person":{}}}`,
		`{"EventId":"e9","EventType":"X","Data":[]}`,
		`not json`,
	} {
		f.Add([]byte(body))
	}
	ctx := context.Background()
	st, err := ledger.Open(filepath.Join(f.TempDir(), "fuzz.db"), ledger.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	amount := decimal.RequireFromString("1")
	for _, step := range []func() error{
		func() error {
			_, _, err := st.CreateIntent(ctx, ledger.Intent{ClientID: "W1", Kind: ledger.IntentWithdrawal, Venue: ledger.Hercle, Request: []byte(`{}`)})
			return err
		},
		func() error {
			_, err := st.Transition(ctx, "W1", ledger.StateSubmitted, ledger.Detail{VenueRef: "v1"})
			return err
		},
		func() error {
			_, _, err := st.Post(ctx, ledger.Entry{Key: "W1:sent", Kind: ledger.KindWithdrawal, Postings: []ledger.Posting{
				{Account: ledger.OpeningBalance(), Asset: "BTC", Amount: amount.Neg()},
				{Account: ledger.Transit(ledger.TransitWithdrawal, "W1"), Asset: "BTC", Amount: amount},
			}})
			return err
		},
	} {
		if err := step(); err != nil {
			f.Fatal(err)
		}
	}
	p, err := New(Options{Ledger: st, OnDeposit: func(Deposit) {}})
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		ev := ledger.Event{Source: ledger.SourceHercleWebhook, ID: fmt.Sprintf("fuzz-%d", n), Type: "fuzz", Body: body}
		if _, _, err := st.PutEvent(ctx, ev); err != nil {
			return // too large for the inbox: the handler would have refused it
		}
		we, err := webhook.DecodeEvent(body)
		if err != nil {
			p.quarantine(ev, "other", err)
		} else {
			p.process(ctx, item{ev: ev, we: we})
		}
		if err := st.Verify(ctx); err != nil {
			t.Fatalf("journal no longer verifies after %q: %v", body, err)
		}
	})
}

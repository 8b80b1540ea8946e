package merchant_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/merchant"
)

// statusSets are the document's "Payment Statuses" lists, written out
// here rather than taken from heropayments.Classify, plus statuses the
// list for that flow and kind does not name (unknown: never applied).
var statusSets = []struct {
	flow                             heropayments.Flow
	kind                             heropayments.Kind
	inProgress, failed, success, odd []heropayments.Status
}{
	{heropayments.FlowV2, heropayments.KindDeposit,
		[]heropayments.Status{"waiting", "confirming", "exchanging", "hold"},
		[]heropayments.Status{"failed", "refunded", "expired"},
		[]heropayments.Status{"sending", "finished"},
		[]heropayments.Status{"new", "pending", "processing", "FINISHED", "bogus"}},
	{heropayments.FlowV2, heropayments.KindWithdrawal,
		[]heropayments.Status{"waiting", "confirming", "exchanging", "hold", "sending", "expired"},
		[]heropayments.Status{"failed", "refunded"},
		[]heropayments.Status{"finished"},
		[]heropayments.Status{"new", "processing", "bogus"}},
	{heropayments.FlowCustody, heropayments.KindDeposit,
		[]heropayments.Status{"new", "pending", "processing", "hold"},
		[]heropayments.Status{"failed", "expired"},
		[]heropayments.Status{"finished"},
		[]heropayments.Status{"refunded", "waiting", "sending", "bogus"}},
	{heropayments.FlowCustody, heropayments.KindWithdrawal,
		[]heropayments.Status{"pending", "processing", "hold"},
		[]heropayments.Status{"failed", "refunded"},
		[]heropayments.Status{"finished"},
		[]heropayments.Status{"expired", "waiting", "new", "sending", "bogus"}},
}

// Every status of the V2 and Custody lists, for deposits and withdrawals,
// does what the document says when it arrives as a callback: in progress
// waits, failed suspends (a deposit is not credited, a payout is reversed),
// success completes (a deposit is credited, a payout settled); a status
// not in the list is recorded and not applied.
func TestStatusSetsAsDocumented(t *testing.T) {
	for _, flow := range []heropayments.Flow{heropayments.FlowV2, heropayments.FlowCustody} {
		t.Run(string(flow), func(t *testing.T) {
			e := newEnv(t, envOptions{flow: flow})
			e.opening("USDT", "10000")
			for _, set := range statusSets {
				if set.flow != flow {
					continue
				}
				for _, c := range []struct {
					list []heropayments.Status
					want heropayments.Outcome
				}{{set.inProgress, heropayments.OutcomeInProgress}, {set.failed, heropayments.OutcomeFailed},
					{set.success, heropayments.OutcomeSuccess}, {set.odd, heropayments.OutcomeUnknown}} {
					for _, st := range c.list {
						checkStatus(t, e, set.kind, st, c.want)
					}
				}
			}
			e.verify()
		})
	}
}

func checkStatus(t *testing.T, e *env, kind heropayments.Kind, st heropayments.Status, want heropayments.Outcome) {
	t.Helper()
	id := fmt.Sprintf("%s-%s-%s", e.flow, kind, st)
	if kind == heropayments.KindWithdrawal {
		e.recordPayout(id, "USDT", "10", "")
	}
	body := callbackBody(map[string]any{"externalOrderId": id, "type": kind, "status": st, "currency": "USDT",
		"amount": 10, "merchantAmount": 10, "address": "addr1"})
	if got := e.postSigned(body); got != http.StatusOK {
		t.Fatalf("%s: answered %d", id, got)
	}
	e.sync()
	if got := heropayments.Classify(e.flow, kind, st); got != want {
		t.Errorf("Classify(%s, %s, %s) = %s, want %s", e.flow, kind, st, got, want)
	}
	state := e.payment(id, "")
	if kind == heropayments.KindDeposit {
		_, err := e.store.Entry(e.ctx, merchant.DepositKey(state.Key))
		credited := err == nil
		if state.Outcome != want || credited != (want == heropayments.OutcomeSuccess) {
			t.Errorf("%s deposit %q: outcome %s, credited %v; want %s, credited %v", e.flow, st, state.Outcome, credited,
				want, want == heropayments.OutcomeSuccess)
		}
		return
	}
	in := e.intent(id)
	_, errS := e.store.Entry(e.ctx, id+":settled")
	_, errF := e.store.Entry(e.ctx, id+":failed")
	var wantState ledger.IntentState
	switch want {
	case heropayments.OutcomeSuccess:
		wantState = ledger.StateSucceeded
	case heropayments.OutcomeFailed:
		wantState = ledger.StateFailed
	default:
		wantState = ledger.StateSubmitted
	}
	if in.State != wantState || (errS == nil) != (want == heropayments.OutcomeSuccess) || (errF == nil) != (want == heropayments.OutcomeFailed) {
		t.Errorf("%s withdrawal %q: intent %s, settled entry %v, failed entry %v; want %s", e.flow, st, in.State, errS == nil, errF == nil, wantState)
	}
}

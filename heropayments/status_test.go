package heropayments

import "testing"

// TestClassify covers every status of the document's four lists, and the
// statuses that appear in one list but not another.
func TestClassify(t *testing.T) {
	in, fail, ok, unk := OutcomeInProgress, OutcomeFailed, OutcomeSuccess, OutcomeUnknown
	all := []Status{StatusWaiting, StatusConfirming, StatusExchanging, StatusHold, StatusSending, StatusFinished,
		StatusFailed, StatusRefunded, StatusExpired, StatusNew, StatusPending, StatusProcessing, "", "Finished", "settled"}
	want := map[Flow]map[Kind]map[Status]Outcome{
		FlowV2: {
			KindDeposit: {StatusWaiting: in, StatusConfirming: in, StatusExchanging: in, StatusHold: in,
				StatusFailed: fail, StatusRefunded: fail, StatusExpired: fail, StatusSending: ok, StatusFinished: ok},
			KindWithdrawal: {StatusWaiting: in, StatusConfirming: in, StatusExchanging: in, StatusHold: in, StatusSending: in, StatusExpired: in,
				StatusFailed: fail, StatusRefunded: fail, StatusFinished: ok},
		},
		FlowCustody: {
			KindDeposit: {StatusNew: in, StatusPending: in, StatusProcessing: in, StatusHold: in,
				StatusFailed: fail, StatusExpired: fail, StatusFinished: ok},
			KindWithdrawal: {StatusPending: in, StatusProcessing: in, StatusHold: in,
				StatusFailed: fail, StatusRefunded: fail, StatusFinished: ok},
		},
	}
	for flow, kinds := range want {
		for kind, m := range kinds {
			for _, s := range all {
				w, listed := m[s]
				if !listed {
					w = unk
				}
				if got := Classify(flow, kind, s); got != w {
					t.Errorf("Classify(%s, %s, %q) = %s, want %s", flow, kind, s, got, w)
				}
			}
		}
	}
	if got := Classify("v3", KindDeposit, StatusFinished); got != unk {
		t.Errorf("Classify(unknown flow) = %s, want unknown", got)
	}
	if got := Classify(FlowV2, "", StatusFinished); got != unk {
		t.Errorf("Classify(no kind) = %s, want unknown", got)
	}
}

package heropayments

// Flow is one of the two Heropayments integrations. They share the signing
// scheme but have their own paths and status sets.
type Flow string

const (
	// FlowV2 is the conversion flow: deposits are converted to the
	// merchant's USDT balance.
	FlowV2 Flow = "v2"
	// FlowCustody keeps deposits in custody.
	FlowCustody Flow = "custody"
)

// Kind says whether a payment brings money in or sends it out.
type Kind string

const (
	KindDeposit    Kind = "deposit"
	KindWithdrawal Kind = "withdrawal"
)

// Status is a payment status as Heropayments sends it.
type Status string

// The statuses the document lists, V2 then Custody-only ones.
const (
	StatusWaiting    Status = "waiting"
	StatusConfirming Status = "confirming"
	StatusExchanging Status = "exchanging"
	StatusHold       Status = "hold"
	StatusSending    Status = "sending"
	StatusFinished   Status = "finished"
	StatusFailed     Status = "failed"
	StatusRefunded   Status = "refunded"
	StatusExpired    Status = "expired"

	StatusNew        Status = "new"
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
)

// Outcome is what a status means for the engine.
type Outcome int

const (
	// OutcomeUnknown: the status is not in the document's list for this
	// flow and kind. Treat it as in progress and raise an alert; never
	// settle or fail money on it.
	OutcomeUnknown Outcome = iota
	// OutcomeInProgress: wait for a further status.
	OutcomeInProgress
	// OutcomeFailed: suspend the transaction on our side.
	OutcomeFailed
	// OutcomeSuccess: complete it (update balances).
	OutcomeSuccess
)

func (o Outcome) String() string {
	switch o {
	case OutcomeInProgress:
		return "in_progress"
	case OutcomeFailed:
		return "failed"
	case OutcomeSuccess:
		return "success"
	}
	return "unknown"
}

// Final reports whether no further status change is expected.
func (o Outcome) Final() bool { return o == OutcomeFailed || o == OutcomeSuccess }

// Classify maps a status to its outcome exactly as the document's
// "Payment Statuses" lists do. The lists differ by flow and kind: in V2,
// "sending" is a success for a deposit but in progress for a withdrawal,
// and "expired" is a failure for a deposit but in progress for a
// withdrawal; Custody has no "refunded" deposit. Anything not listed is
// OutcomeUnknown.
func Classify(flow Flow, kind Kind, s Status) Outcome {
	type k struct {
		flow Flow
		kind Kind
	}
	var in, failed, success []Status
	switch (k{flow, kind}) {
	case k{FlowV2, KindDeposit}:
		in = []Status{StatusWaiting, StatusConfirming, StatusExchanging, StatusHold}
		failed = []Status{StatusFailed, StatusRefunded, StatusExpired}
		success = []Status{StatusSending, StatusFinished}
	case k{FlowV2, KindWithdrawal}:
		in = []Status{StatusWaiting, StatusConfirming, StatusExchanging, StatusHold, StatusSending, StatusExpired}
		failed = []Status{StatusFailed, StatusRefunded}
		success = []Status{StatusFinished}
	case k{FlowCustody, KindDeposit}:
		in = []Status{StatusNew, StatusPending, StatusProcessing, StatusHold}
		failed = []Status{StatusFailed, StatusExpired}
		success = []Status{StatusFinished}
	case k{FlowCustody, KindWithdrawal}:
		in = []Status{StatusPending, StatusProcessing, StatusHold}
		failed = []Status{StatusFailed, StatusRefunded}
		success = []Status{StatusFinished}
	}
	for _, set := range []struct {
		list []Status
		o    Outcome
	}{{in, OutcomeInProgress}, {failed, OutcomeFailed}, {success, OutcomeSuccess}} {
		for _, x := range set.list {
			if x == s {
				return set.o
			}
		}
	}
	return OutcomeUnknown
}

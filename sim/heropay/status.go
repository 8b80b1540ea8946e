package heropay

// Flow is one of the document's two integrations, each with its own paths
// and status lists.
type Flow string

// The flows, by the names the document's method titles give them.
const (
	FlowV2      Flow = "v2"      // the V2 conversion flow
	FlowCustody Flow = "custody" // the Custody flow
)

// Kind is a payment's direction, sent as its "type".
type Kind string

// The kinds of payment.
const (
	KindDeposit    Kind = "deposit"
	KindWithdrawal Kind = "withdrawal"
)

// Status is a payment status as the simulator sends it.
type Status string

// Every status the document's "Payment Statuses" sections name.
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

// SequenceOriginal is the sequence of an externalOrderId's first payment
// (the document's example: "sequence: original").
const SequenceOriginal = "original"

// Class is the heading a status stands under in the document's lists.
type Class int

const (
	// Unlisted: the status is not in the list of the payment's flow and
	// kind. The simulator never sends one.
	Unlisted Class = iota
	// InProgress: "In progress".
	InProgress
	// Failed: "Failed or unsuccessful (suspend the transaction on your
	// end)".
	Failed
	// Succeeded: "Success"/"Successful" (complete it on your end).
	Succeeded
)

// String names the class in one word, as the heading it stands for.
func (c Class) String() string {
	names := [...]string{Unlisted: "unlisted", InProgress: "in progress", Failed: "failed", Succeeded: "success"}
	if c < 0 || int(c) >= len(names) {
		return names[Unlisted]
	}
	return names[c]
}

// Final reports whether the class ends the payment: the simulator moves a
// payment no further once it has a failed or successful status.
func (c Class) Final() bool { return c == Failed || c == Succeeded }

// statusList is one of the document's four lists: a flow and kind, and its
// statuses under each heading, in the document's order.
type statusList struct {
	flow       Flow
	kind       Kind
	inProgress []Status
	failed     []Status
	succeeded  []Status
}

// statusLists returns the document's lists as written, one per flow and
// kind. Read literally, they differ where it matters: a V2 deposit
// succeeds at "sending" while a V2 withdrawal is still in progress there;
// "expired" fails a V2 deposit but is listed in progress for a V2
// withdrawal; Custody deposits start at "new" and cannot be "refunded";
// Custody withdrawals have neither. The heading of the Custody deposit's
// success list says "complete the withdrawal", a slip of the document's:
// it stands under "Deposit statuses" and is read as a deposit's.
func statusLists() []statusList {
	return []statusList{{
		flow: FlowV2, kind: KindDeposit,
		inProgress: []Status{StatusWaiting, StatusConfirming, StatusExchanging, StatusHold},
		failed:     []Status{StatusFailed, StatusRefunded, StatusExpired},
		succeeded:  []Status{StatusSending, StatusFinished},
	}, {
		flow: FlowV2, kind: KindWithdrawal,
		inProgress: []Status{StatusWaiting, StatusConfirming, StatusExchanging, StatusHold, StatusSending, StatusExpired},
		failed:     []Status{StatusFailed, StatusRefunded},
		succeeded:  []Status{StatusFinished},
	}, {
		flow: FlowCustody, kind: KindDeposit,
		inProgress: []Status{StatusNew, StatusPending, StatusProcessing, StatusHold},
		failed:     []Status{StatusFailed, StatusExpired},
		succeeded:  []Status{StatusFinished},
	}, {
		flow: FlowCustody, kind: KindWithdrawal,
		inProgress: []Status{StatusPending, StatusProcessing, StatusHold},
		failed:     []Status{StatusFailed, StatusRefunded},
		succeeded:  []Status{StatusFinished},
	}}
}

// ClassOf returns the class of status s for a payment of flow and kind,
// from the document's lists; Unlisted when s is not in the list, or flow
// or kind is unknown.
func ClassOf(flow Flow, kind Kind, s Status) Class {
	for _, l := range statusLists() {
		if l.flow != flow || l.kind != kind {
			continue
		}
		for _, h := range []struct {
			class Class
			set   []Status
		}{{InProgress, l.inProgress}, {Failed, l.failed}, {Succeeded, l.succeeded}} {
			for _, x := range h.set {
				if x == s {
					return h.class
				}
			}
		}
	}
	return Unlisted
}

// Statuses returns every status listed for flow and kind, in progress
// first, then failed, then successful, each in the document's order; nil
// for an unknown flow or kind.
func Statuses(flow Flow, kind Kind) []Status {
	for _, l := range statusLists() {
		if l.flow == flow && l.kind == kind {
			return append(append(append([]Status(nil), l.inProgress...), l.failed...), l.succeeded...)
		}
	}
	return nil
}

package heropay

import (
	"slices"
	"strings"
	"testing"
)

// documentStatuses is the document's "Payment Statuses" text for both
// flows, copied as it stands (shared/reference/001_…, lines 86-137).
const documentStatuses = `Payment Statuses - (V2 flow)
The transaction's status describes what is happening to the funds at any given moment and their current state.
For the detailed description of the statuses, please refer to the GET "Payment status check by id (V2)” method.
Deposit statuses
In progress:
waiting
confirming
exchanging
hold
Failed or unsuccessful (suspend the transaction on your end):
failed
refunded
expired
Successful (complete the deposit on your end by updating the balances, etc.):
sending
finished
Withdrawal statuses
In progress:
waiting
confirming
exchanging
hold
sending
expired
Failed or unsuccessful (suspend the transaction on your end):
failed
refunded
Success (complete the withdrawal on your end by updating the balances, etc.):
- finished
Payments statuses - (Custody flow)
For the detailed description of the statuses, please refer to the GET "Get custody payment status” method.
Deposit statuses
In progress:
new
pending
processing
hold
Failed or unsuccessful (suspend the transaction on your end):
failed
expired
Success (complete the withdrawal on your end by updating the balances, etc.):
- finished
Withdrawal statuses
In progress:
pending
processing
hold
Failed or unsuccessful (suspend the transaction on your end):
failed
refunded
Success (complete the withdrawal on your end by updating the balances, etc.):
- finished`

type flowKind struct {
	flow Flow
	kind Kind
}

// parseDocumentStatuses reads documentStatuses into a table: flow and
// kind → status → the heading it stands under, in the document's order.
func parseDocumentStatuses(t *testing.T) (map[flowKind]map[Status]Class, map[flowKind][]Status) {
	t.Helper()
	classes := map[flowKind]map[Status]Class{}
	order := map[flowKind][]Status{}
	var fk flowKind
	class := Unlisted
	for _, line := range strings.Split(documentStatuses, "\n") {
		switch {
		case strings.Contains(line, "(V2 flow)"):
			fk.flow = FlowV2
		case strings.Contains(line, "(Custody flow)"):
			fk.flow = FlowCustody
		case line == "Deposit statuses":
			fk.kind = KindDeposit
		case line == "Withdrawal statuses":
			fk.kind = KindWithdrawal
		case strings.HasSuffix(line, "."): // a sentence about the lists
		case line == "In progress:":
			class = InProgress
		case strings.HasPrefix(line, "Failed or unsuccessful"):
			class = Failed
		case strings.HasPrefix(line, "Success"): // "Success" and "Successful"
			class = Succeeded
		default:
			st := Status(strings.TrimPrefix(line, "- "))
			if fk.flow == "" || fk.kind == "" || class == Unlisted || strings.ContainsAny(string(st), " :") {
				t.Fatalf("document line %q outside a list", line)
			}
			if classes[fk] == nil {
				classes[fk] = map[Status]Class{}
			}
			classes[fk][st] = class
			order[fk] = append(order[fk], st)
		}
	}
	if len(classes) != 4 {
		t.Fatalf("the document's text gave %d lists, want 4", len(classes))
	}
	return classes, order
}

// TestStatusListsAreTheDocuments: ClassOf and Statuses give, for every
// flow and kind, exactly the document's lists: every status named
// anywhere, and a few it never names, classed as the document classes it
// or Unlisted.
func TestStatusListsAreTheDocuments(t *testing.T) {
	classes, order := parseDocumentStatuses(t)
	all := []Status{"", "Finished", "settled", "completed", "cancelled"}
	for _, sts := range order {
		all = append(all, sts...)
	}
	for fk, want := range classes {
		for _, st := range all {
			w, ok := want[st]
			if !ok {
				w = Unlisted
			}
			if got := ClassOf(fk.flow, fk.kind, st); got != w {
				t.Errorf("ClassOf(%s, %s, %q) = %s, want %s", fk.flow, fk.kind, st, got, w)
			}
		}
		if got := Statuses(fk.flow, fk.kind); !slices.Equal(got, order[fk]) {
			t.Errorf("Statuses(%s, %s) = %v, want the document's %v", fk.flow, fk.kind, got, order[fk])
		}
	}
	for _, bad := range []flowKind{{"v3", KindDeposit}, {FlowV2, ""}, {FlowCustody, "payout"}} {
		if got := ClassOf(bad.flow, bad.kind, StatusFinished); got != Unlisted {
			t.Errorf("ClassOf(%q, %q, finished) = %s, want unlisted", bad.flow, bad.kind, got)
		}
		if got := Statuses(bad.flow, bad.kind); got != nil {
			t.Errorf("Statuses(%q, %q) = %v, want nil", bad.flow, bad.kind, got)
		}
	}
}

func TestClassFinal(t *testing.T) {
	for c, want := range map[Class]bool{Unlisted: false, InProgress: false, Failed: true, Succeeded: true} {
		if got := c.Final(); got != want {
			t.Errorf("%s.Final() = %v, want %v", c, got, want)
		}
	}
}

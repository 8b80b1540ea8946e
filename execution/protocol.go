package execution

import (
	"context"
	"errors"
	"fmt"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
)

// An op is one money-moving request under the send protocol: an order or
// RFQ accept, a withdrawal, a bank transfer, a Lightning payment, a
// settlement. The protocol (send, resolve, finish) is the same for all;
// an op says what to record, how to send, how to look up and how to put
// an outcome in the books.
type op interface {
	// submission is what is recorded, in one write, before the request
	// leaves under cid.
	submission(cid string) (ledger.Submission, error)
	// send makes the money-moving request under cid, once. It is never
	// called twice for one Client-Id.
	send(ctx context.Context, cid string) (answer, error)
	// lookup asks the venue what became of the intent, by its Client-Id;
	// it never sends.
	lookup(ctx context.Context, it ledger.Intent) (answer, error)
	// failed returns what undoes the recorded side of a request that did
	// not happen (a movement's transit entry reversed, its caps released).
	failed(ctx context.Context, it ledger.Intent, note string) ([]ledger.Entry, []ledger.CounterAdd, error)
	// patience is how many lookups may find no record of the request
	// before it counts as never received.
	patience() int
}

// verdict is what an answer says of a request.
type verdict int

const (
	// accepted: the venue has the request; its outcome comes later (an
	// order Created or Pending, a withdrawal CREATED or CONFIRMING).
	accepted verdict = iota + 1
	// done: it happened; entries put it in the books.
	done
	// refused: it definitively did not happen (an order cancelled, a
	// withdrawal FAILURE or REJECTED).
	refused
	// missing: a lookup found no record of it.
	missing
)

// answer is the venue's answer to a request or a lookup.
type answer struct {
	verdict verdict
	ref     string // the venue's id
	detail  string
	// entries record a done answer: the fill, the settlement.
	entries []ledger.Entry
	// fill describes a done order for its Result.
	fill *fill
	// final, for a movement accepted and not yet done, is set when the
	// venue reports it finished but its books wait for something else (a
	// settlement's deposit at Hercle).
	landed bool
}

// stage is where a request stands after a step of the protocol.
type stage int

const (
	stageDone    stage = iota + 1 // final success, in the books
	stageFailed                   // final: it did not happen, undone in the books
	stagePending                  // the venue has it; not final yet
	stageUnknown                  // outcome unknown: looked up later, never resent
)

// outcome is what one step of the protocol left.
type outcome struct {
	stage  stage
	ans    answer
	detail string
	err    error // why the venue could not be asked, for an unknown stage
}

// protocol is the one send protocol: record → request → answer (done,
// refused, unknown) → resolve an unknown by lookup, never by re-sending.
// Each step's writes are one ledger transaction.
type protocol struct {
	x *Executor
}

// send records o under cid (one durable write) and sends it. An intent
// already recorded under cid is never sent again: it is looked up.
func (p protocol) send(ctx context.Context, cid string, o op) outcome {
	sub, err := o.submission(cid)
	if err != nil {
		return outcome{stage: stageFailed, detail: "not recorded: " + err.Error()}
	}
	// Once ctx has ended no new intent is started. A write already begun
	// is waited for (it is local and short): given up half way, it could
	// still commit and leave an intent that nothing resolves before the
	// next start.
	if err := ctx.Err(); err != nil {
		return outcome{stage: stageFailed, detail: "not recorded: " + err.Error()}
	}
	it, created, err := p.x.o.Store.Submit(context.WithoutCancel(ctx), sub)
	if err != nil {
		return p.unrecorded(ctx, cid, err)
	}
	if !created {
		p.x.log.Warn("intent already recorded; looking it up instead of sending", "client_id", cid, "state", it.State)
		return p.resolve(ctx, it, o)
	}
	// The request is not cut short by ctx once recorded: it has the
	// client's own deadline, and its answer is recorded.
	ans, err := o.send(context.WithoutCancel(ctx), cid)
	switch classify(err) {
	case sentOK:
		return p.answered(ctx, it, o, ans)
	case sentRejected:
		return p.fail(ctx, it, o, "refused: "+err.Error())
	}
	p.x.log.Warn("outcome unknown; looking it up by Client-Id", "client_id", cid, "err", err)
	it, terr := p.x.o.Store.Transition(context.WithoutCancel(ctx), cid, ledger.StateUnknown, ledger.Detail{Note: clip("outcome unknown: " + err.Error())})
	if terr != nil {
		return p.reread(ctx, cid, o, "record unknown outcome: "+terr.Error())
	}
	out := p.resolve(ctx, it, o)
	if out.stage == stagePending || out.stage == stageDone {
		out.detail = "the answer was lost; found by Client-Id (" + out.detail + ")"
	}
	return out
}

// unrecorded answers a submission that returned an error: nothing is sent
// either way. The write may have committed all the same (an error after
// the commit): then the intent is open, never sent, and its lookups fail
// it in time; the caller hears its outcome is unknown.
func (p protocol) unrecorded(ctx context.Context, cid string, err error) outcome {
	_, rerr := p.x.o.Store.Intent(context.WithoutCancel(ctx), cid)
	switch {
	case errors.Is(rerr, ledger.ErrNotFound):
		return outcome{stage: stageFailed, detail: "not recorded, not sent: " + err.Error()}
	case rerr == nil:
		p.x.log.Error("intent recorded although its write reported an error; not sent, looked up until it fails", "client_id", cid, "err", err)
		return outcome{stage: stageUnknown, detail: "recorded with an error, not sent: " + err.Error()}
	}
	return outcome{stage: stageUnknown, detail: "not sent; whether it was recorded is unknown: " + err.Error()}
}

// resolve looks the intent up once and applies what the venue says. A
// pending intent (an older engine recorded it before submitting) was never
// sent and fails.
func (p protocol) resolve(ctx context.Context, it ledger.Intent, o op) outcome {
	switch {
	case it.State.Final():
		return p.recorded(it)
	case it.State == ledger.StatePending:
		return p.fail(ctx, it, o, "interrupted before it was sent")
	}
	ans, err := o.lookup(ctx, it)
	if err != nil {
		return outcome{stage: stageUnknown, detail: "look up by Client-Id: " + err.Error(), err: err}
	}
	if ans.verdict == missing {
		return p.missing(ctx, it, o, ans)
	}
	p.x.forget(it.ClientID)
	return p.answered(ctx, it, o, ans)
}

// answered applies an answer to a request or a lookup.
func (p protocol) answered(ctx context.Context, it ledger.Intent, o op, ans answer) outcome {
	switch ans.verdict {
	case done:
		return p.finish(ctx, it, ans)
	case refused:
		return p.fail(ctx, it, o, ans.detail)
	}
	// Accepted: an answer naming the venue's id proves the venue holds it
	// (one without does not). The ledger keeps that across restarts, so
	// no later lookup that lists nothing can fail it.
	if ans.ref != "" && it.State == ledger.StateSubmitted && !it.Acknowledged() {
		if _, err := p.x.o.Store.Acknowledge(context.WithoutCancel(ctx), it.ClientID, ans.ref); err != nil && !errors.Is(err, ledger.ErrIllegalTransition) {
			p.x.log.Error("could not record the venue's acknowledgement; a later lookup that lists nothing could fail it", "client_id", it.ClientID, "venue_ref", ans.ref, "err", err)
		}
	}
	return outcome{stage: stagePending, ans: ans, detail: ans.detail}
}

// missing counts a lookup that found no record. An intent the venue still
// has no record of after the lookups did not happen and fails; one the
// venue acknowledged, or whose op cannot be found by Client-Id (Lightning),
// stays open for an operator.
func (p protocol) missing(ctx context.Context, it ledger.Intent, o op, ans answer) outcome {
	n := p.x.count(it.ClientID)
	if _, hidden := o.(unlisted); hidden || it.Acknowledged() {
		if n == 1 {
			p.x.log.Error("the venue does not list this request by Client-Id; it stays open and is never resent: check it at the venue",
				"client_id", it.ClientID, "kind", it.Kind, "acknowledged", it.Acknowledged())
		}
		return outcome{stage: stageUnknown, detail: "no record at the venue yet"}
	}
	if n < o.patience() {
		return outcome{stage: stageUnknown, detail: "no record at the venue yet"}
	}
	p.x.forget(it.ClientID)
	return p.fail(ctx, it, o, fmt.Sprintf("no record at the venue after %d lookups by Client-Id", n))
}

// unlisted is implemented by ops whose requests the venue's listings may
// not show by Client-Id: a missing answer never fails them.
type unlisted interface{ unlisted() }

// finish records a done answer: its entries and the intent's success in
// one write, even if ctx has ended.
func (p protocol) finish(ctx context.Context, it ledger.Intent, ans answer) outcome {
	st := ledger.Settlement{ClientID: it.ClientID, To: ledger.StateSucceeded, Detail: ledger.Detail{VenueRef: ans.ref, Note: clip(ans.detail)}, Entries: ans.entries}
	if it.State == ledger.StateUnknown {
		st.To, st.Detail.Outcome = ledger.StateResolved, ledger.StateSucceeded
	}
	if _, err := p.x.o.Store.Settle(context.WithoutCancel(ctx), st); err != nil {
		if errors.Is(err, ledger.ErrIllegalTransition) || errors.Is(err, ledger.ErrOutcomeConflict) {
			p.x.log.Error("the venue reports success for an intent the ledger holds as failed; not applied, needs reconciliation",
				"client_id", it.ClientID, "venue_ref", ans.ref, "err", err)
		}
		return outcome{stage: stageUnknown, ans: ans, detail: "record the outcome: " + err.Error()}
	}
	return outcome{stage: stageDone, ans: ans, detail: ans.detail}
}

// fail records that the request did not happen: the op's undoing entries
// and releases and the intent's failure in one write, even if ctx has
// ended.
func (p protocol) fail(ctx context.Context, it ledger.Intent, o op, note string) outcome {
	bg := context.WithoutCancel(ctx)
	entries, counters, err := o.failed(bg, it, note)
	if err != nil {
		return outcome{stage: stageUnknown, detail: "undo the recorded side: " + err.Error()}
	}
	st := ledger.Settlement{ClientID: it.ClientID, To: ledger.StateFailed, Detail: ledger.Detail{Note: clip(note)}, Entries: entries, Counters: counters}
	if it.State == ledger.StateUnknown {
		st.To, st.Detail.Outcome = ledger.StateResolved, ledger.StateFailed
	}
	if _, err := p.x.o.Store.Settle(bg, st); err != nil {
		if errors.Is(err, ledger.ErrIllegalTransition) || errors.Is(err, ledger.ErrOutcomeConflict) {
			p.x.log.Error("a failure reported for an intent the ledger holds as succeeded; not applied, needs reconciliation",
				"client_id", it.ClientID, "err", err)
			return p.reread(ctx, it.ClientID, o, note)
		}
		return outcome{stage: stageUnknown, detail: "record the failure: " + err.Error()}
	}
	return outcome{stage: stageFailed, detail: note}
}

// reread reports the intent as the ledger holds it, after a write that
// raced with another path (a webhook that finished it).
func (p protocol) reread(ctx context.Context, cid string, o op, detail string) outcome {
	it, err := p.x.o.Store.Intent(context.WithoutCancel(ctx), cid)
	if err != nil {
		return outcome{stage: stageUnknown, detail: detail + "; read the intent: " + err.Error()}
	}
	if it.State.Final() {
		return p.recorded(it)
	}
	return outcome{stage: stageUnknown, detail: detail}
}

// recorded reports an intent the ledger already holds as final, without
// sending or writing.
func (p protocol) recorded(it ledger.Intent) outcome {
	ref := it.VenueRef
	switch it.State {
	case ledger.StateSucceeded:
		return outcome{stage: stageDone, ans: answer{verdict: done, ref: ref}, detail: "already succeeded in the ledger"}
	case ledger.StateResolved:
		if it.Outcome == ledger.StateSucceeded {
			return outcome{stage: stageDone, ans: answer{verdict: done, ref: ref}, detail: "already succeeded in the ledger"}
		}
	}
	return outcome{stage: stageFailed, detail: "already failed in the ledger; not sent again"}
}

type sendResult int

const (
	sentOK       sendResult = iota
	sentRejected            // definitively not done
	sentUnknown             // may have been done
)

// classify reads a send error the way the venue clients define them: an
// unknown outcome, or an error that cannot be placed, is unknown; a
// refusal before sending or a definitive answer from the venue (a 4xx) is
// a rejection. A timeout is never a rejection.
func classify(err error) sendResult {
	if err == nil {
		return sentOK
	}
	if errors.Is(err, hercle.ErrOutcomeUnknown) || errors.Is(err, heropayments.ErrOutcomeUnknown) {
		return sentUnknown
	}
	switch {
	case errors.Is(err, hercle.ErrNotSent), errors.Is(err, heropayments.ErrNotSent),
		errors.Is(err, hercle.ErrInvalidInput), errors.Is(err, heropayments.ErrInvalidInput),
		errors.Is(err, heropayments.ErrLimitExceeded), errors.Is(err, heropayments.ErrInexactAmount):
		return sentRejected
	}
	var he *hercle.APIError
	if errors.As(err, &he) && he.Status < 500 {
		return sentRejected
	}
	var pe *heropayments.APIError
	if errors.As(err, &pe) && pe.Status < 500 {
		return sentRejected
	}
	return sentUnknown
}

// clip bounds a note kept in the ledger.
func clip(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

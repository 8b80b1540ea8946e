package hercle

import "strings"

// BankingStatus is the status of a fiat deposit, withdrawal or payout.
// Values are kept as sent, so an undocumented one is not lost.
type BankingStatus string

// Banking statuses. Withdrawals use EXECUTING, payouts PENDING; the rest
// are common to both.
const (
	BankingCreated    BankingStatus = "CREATED"
	BankingConfirming BankingStatus = "CONFIRMING"
	BankingConfirmed  BankingStatus = "CONFIRMED"
	BankingExecuting  BankingStatus = "EXECUTING"
	BankingPending    BankingStatus = "PENDING"
	BankingSuccess    BankingStatus = "SUCCESS"
	BankingFailure    BankingStatus = "FAILURE"
	BankingRejected   BankingStatus = "REJECTED"
)

// Final reports whether the status can no longer change (SUCCESS, FAILURE
// or REJECTED), ignoring case.
func (s BankingStatus) Final() bool {
	switch BankingStatus(strings.ToUpper(string(s))) {
	case BankingSuccess, BankingFailure, BankingRejected:
		return true
	}
	return false
}

// Effect is what a movement's status means for the movement it reports: a
// deposit, withdrawal, payout or bank transfer.
type Effect int

// Effects of a status (see BankingStatus.Effect and MovementStatus.Effect).
const (
	// EffectPending: the movement is still under way; nothing is settled.
	EffectPending Effect = iota
	// EffectSucceed: the movement is complete. A withdrawal or payout has
	// reached its destination; a deposit may be credited.
	EffectSucceed
	// EffectFail: the movement did not happen. A withdrawal or payout is
	// to be reversed; a deposit is not credited.
	EffectFail
	// EffectUnknown: a status the documents do not list. Never to be
	// applied: guessing could move money the wrong way.
	EffectUnknown
)

func (e Effect) String() string {
	switch e {
	case EffectPending:
		return "pending"
	case EffectSucceed:
		return "succeed"
	case EffectFail:
		return "fail"
	}
	return "unknown"
}

// Effect maps a banking status as the webhooks report it, ignoring case,
// to its effect:
//
//	CREATED, CONFIRMING, CONFIRMED, EXECUTING, PENDING  pending
//	SUCCESS                                              succeed
//	FAILURE, REJECTED                                    fail
//	anything else (padded too)                           unknown
//
// CONFIRMED is not a success here: in the webhook document's lists it
// comes before EXECUTING (withdrawals) and PENDING (payouts), and Final
// excludes it; it is the request's approval, not its execution. The REST
// reading differs: see MovementStatus.Effect.
func (s BankingStatus) Effect() Effect {
	switch BankingStatus(strings.ToUpper(string(s))) {
	case BankingCreated, BankingConfirming, BankingConfirmed, BankingExecuting, BankingPending:
		return EffectPending
	case BankingSuccess:
		return EffectSucceed
	case BankingFailure, BankingRejected:
		return EffectFail
	}
	return EffectUnknown
}

// Effect maps a withdrawal's or transfer's status as the REST history
// lists it, ignoring case and surrounding space, to its effect:
//
//	CONFIRMED, SUCCESS          succeed
//	FAILURE, FAILED, REJECTED   fail
//	CREATED, CONFIRMING         pending
//	anything else               unknown
//
// The REST pages list CREATED, CONFIRMING and CONFIRMED, CONFIRMED being
// their last state (the venue releases the allocated amount then); the
// webhook words SUCCESS, FAILURE and REJECTED, and FAILED, are read too.
// A caller polling the history treats unknown as still under way.
func (s MovementStatus) Effect() Effect {
	switch MovementStatus(strings.ToUpper(strings.TrimSpace(string(s)))) {
	case MovementConfirmed, MovementStatus(BankingSuccess):
		return EffectSucceed
	case MovementStatus(BankingFailure), "FAILED", MovementStatus(BankingRejected):
		return EffectFail
	case MovementCreated, MovementConfirming:
		return EffectPending
	}
	return EffectUnknown
}

package inbound

import (
	"strings"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
)

// Effect is what a banking status does to the movement it reports.
type Effect int

// Effects of a banking status (see StatusEffect).
const (
	// EffectRecord: the movement is still under way. The event is kept in
	// the inbox and nothing else changes.
	EffectRecord Effect = iota
	// EffectSucceed: the movement is complete. A withdrawal or payout
	// settles (transit to the destination) and its intent succeeds; a
	// deposit is credited.
	EffectSucceed
	// EffectFail: the movement did not happen. A withdrawal or payout is
	// reversed (transit back to the venue) and its intent fails; a deposit
	// is not credited.
	EffectFail
	// EffectUnknown: a status the documents do not list. Recorded, counted
	// and logged, never applied: guessing could move money the wrong way.
	EffectUnknown
)

func (e Effect) String() string {
	switch e {
	case EffectRecord:
		return "record"
	case EffectSucceed:
		return "succeed"
	case EffectFail:
		return "fail"
	}
	return "unknown"
}

// StatusEffect maps a banking status, ignoring case, to its effect:
//
//	CREATED, CONFIRMING, CONFIRMED, EXECUTING, PENDING  record only
//	SUCCESS                                              succeed
//	FAILURE, REJECTED                                    fail
//	anything else (padded too)                           unknown (recorded, not applied)
//
// CONFIRMED is not a success: in the webhook document's lists it comes
// before EXECUTING (withdrawals) and PENDING (payouts), and
// hercle.BankingStatus.Final excludes it; it is the request's approval, not
// its execution.
func StatusEffect(s hercle.BankingStatus) Effect {
	switch hercle.BankingStatus(strings.ToUpper(string(s))) {
	case hercle.BankingCreated, hercle.BankingConfirming, hercle.BankingConfirmed,
		hercle.BankingExecuting, hercle.BankingPending:
		return EffectRecord
	case hercle.BankingSuccess:
		return EffectSucceed
	case hercle.BankingFailure, hercle.BankingRejected:
		return EffectFail
	}
	return EffectUnknown
}

// payeeAddressRank orders payee address statuses for breaking ties between
// updates stamped with the same time: the later stage wins.
func payeeAddressRank(s webhook.PayeeAddressStatus) int {
	switch s {
	case webhook.PayeeAddressCreated:
		return 0
	case webhook.PayeeAddressPending:
		return 1
	case webhook.PayeeAddressReviewing:
		return 2
	case webhook.PayeeAddressApproved, webhook.PayeeAddressRefused:
		return 3
	case webhook.PayeeAddressDeleted:
		return 4
	}
	return -1
}

// registrationRank orders end-user registration statuses for ties.
func registrationRank(s webhook.RegistrationStatus) int {
	switch webhook.RegistrationStatus(strings.ToUpper(string(s))) {
	case webhook.RegistrationPending:
		return 0
	case webhook.RegistrationActive, webhook.RegistrationRejected:
		return 1
	case webhook.RegistrationSuspended:
		return 2
	}
	return -1
}

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

package inbound

import (
	"strings"

	"github.com/otcdesk/engine/hercle/webhook"
)

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

package treasury

import (
	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
)

// sourceOf is the venue a movement sent by method leaves from.
func sourceOf(method execution.Method) ledger.Venue {
	if method == execution.MethodSettlement {
		return ledger.Heropayments
	}
	return ledger.Hercle
}

// destinationAccount is the ledger account a destination's money goes to.
// The sent entry names it (ledger.RefTo), so whichever path settles the
// movement (a poll, the venue's webhook in package inbound) credits it. A
// Lightning destination is named by its configured name: each payment pays
// a new invoice.
func destinationAccount(typ, network, address, name string) ledger.Account {
	switch typ {
	case "lightning":
		a := ledger.ExternalLightning(name)
		if _, err := ledger.ParseAccount(a.String()); err != nil {
			return ledger.ExternalUnknown()
		}
		return a
	case "hercle_deposit":
		return ledger.VenueAvailable(ledger.Hercle)
	case "bank":
		return ledger.Destination("BANK", address)
	}
	return ledger.Destination(network, address)
}

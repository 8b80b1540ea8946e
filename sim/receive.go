package sim

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Receive credits amount as a deposit arriving from outside the venue (a
// transfer on a blockchain from sender) when address is one of the
// venue's deposit addresses for asset, the asset matched without regard to
// case. It reports false, and changes nothing, when address is not one or
// amount is not positive. Simulators of other services deliver their
// payouts to the venue through it (package sim/heropay's Link).
func (v *Venue) Receive(address string, asset market.Asset, amount decimal.Decimal, sender string) (Transaction, bool) {
	now := v.begin()
	defer v.mu.Unlock()
	if !amount.IsPositive() {
		return Transaction{}, false
	}
	for _, d := range v.deposits {
		if d.Address == address && strings.EqualFold(string(d.Asset), string(asset)) {
			return v.creditLocked(now, d.Asset, amount, "", &Account{Address: sender}), true
		}
	}
	return Transaction{}, false
}

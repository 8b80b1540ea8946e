package risk

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// Transfer is money treasury wants to send out: a crypto withdrawal, a
// Lightning payment or a bank transfer to a named destination.
type Transfer struct {
	// Destination is the configured destination's name, never an address.
	Destination string
	Asset       market.Asset
	Amount      decimal.Decimal
	// Policy names the treasury policy that asked, for logs.
	Policy string
	// BetweenVenues marks a movement between two of our own venues (a
	// settlement): no money leaves the business, so no cap applies; the
	// stops (kill switch, gate, breaker) and the balance at the source
	// still do.
	BetweenVenues bool
}

// String describes the transfer for logs.
func (t Transfer) String() string {
	return fmt.Sprintf("transfer %s %s to %s", t.Amount, t.Asset, t.Destination)
}

// CheckTransfer runs the pre-transfer checks: kill switch, gate, a cap
// configured for the destination, a fresh valuation in the reference,
// available and minimum balance, then the destination's and the global
// daily caps. On success both caps hold the transfer's value.
func (e *Engine) CheckTransfer(ctx context.Context, now time.Time, v strategy.View, t Transfer) (Approval, error) {
	a, rej := e.checkTransfer(ctx, now, v, t)
	if rej != nil {
		rej.Transfer = t
		return Approval{}, e.reject(now, rej)
	}
	return a, nil
}

func (e *Engine) checkTransfer(ctx context.Context, now time.Time, v strategy.View, t Transfer) (Approval, *Rejection) {
	if t.Destination == "" || t.Asset == "" || !t.Amount.IsPositive() {
		return Approval{}, &Rejection{Reason: Invalid, Detail: "destination, asset and a positive amount are required"}
	}
	if rej := e.stopped(now); rej != nil {
		return Approval{}, rej
	}
	if t.BetweenVenues {
		return Approval{}, e.spend(v, t.Asset, t.Amount)
	}
	limit, ok := e.l.Transfers.Destinations[t.Destination]
	if !ok {
		return Approval{}, &Rejection{Reason: DestinationCap, Detail: "no daily cap configured for " + t.Destination}
	}
	value, rej := e.value(v, now, t.Amount, t.Asset)
	if rej != nil {
		return Approval{}, rej
	}
	if rej := e.spend(v, t.Asset, t.Amount); rej != nil {
		return Approval{}, rej
	}
	return e.reserve(ctx, now, value, []capKey{
		{keyTransfer + "/" + t.Destination, limit.Decimal, DestinationCap},
		{keyTransfer, e.l.Transfers.MaxDaily.Decimal, TransferCap},
	})
}

package pnl

import (
	"context"
	"errors"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/portfolio"
)

// Manual is the attribution key, and the intents' strategy name, of
// what an operator placed by hand (engine admin order, convert).
const Manual = "manual"

// TreasuryKey returns the attribution key of treasury policy name.
func TreasuryKey(policy string) string { return "treasury:" + policy }

// Intents reads the intents entries name. *ledger.Store satisfies it.
type Intents interface {
	Intent(ctx context.Context, clientID string) (ledger.Intent, error)
}

// attribution maps Client-Ids to attribution keys from the intents
// recorded under them: an order or RFQ intent to its strategy (a treasury
// conversion's is already "treasury:<policy>", an operator's Manual), a
// movement to "treasury:<policy>". Each Client-Id is read once. It is not
// safe for concurrent use.
type attribution struct {
	intents Intents
	cache   map[string]string
	ctx     context.Context
	err     error // the first read that failed for another reason than not found
}

func newAttribution(ctx context.Context, in Intents) *attribution {
	return &attribution{intents: in, cache: map[string]string{}, ctx: ctx}
}

// key is the portfolio.Inputs.Attribution function.
func (a *attribution) key(clientID string) string {
	if clientID == "" {
		return portfolio.Unattributed
	}
	if k, ok := a.cache[clientID]; ok {
		return k
	}
	it, err := a.intents.Intent(a.ctx, clientID)
	if err != nil {
		if !errors.Is(err, ledger.ErrNotFound) && a.err == nil {
			a.err = err
		}
		a.cache[clientID] = portfolio.Unattributed
		return portfolio.Unattributed
	}
	k := KeyOf(it)
	a.cache[clientID] = k
	return k
}

// KeyOf returns the attribution key of an intent: its strategy for an
// order or RFQ, "treasury:<policy>" for a treasury movement, else
// portfolio.Unattributed.
func KeyOf(it ledger.Intent) string {
	if s, ok := execution.StrategyOf(it); ok && s != "" {
		return s
	}
	if m, ok := execution.MovementOf(it); ok {
		return TreasuryKey(m.Policy)
	}
	return portfolio.Unattributed
}

package strategy

import "errors"

// Errors returned by Convert and by the built-ins' sizing.
var (
	// ErrNoPair means no listed pair joins the two assets.
	ErrNoPair = errors.New("strategy: no pair between the assets")
	// ErrNoPrice means the pair has no tick yet, or a tick with no price.
	ErrNoPrice = errors.New("strategy: no price for the pair")
	// ErrStalePrice means the pair's last tick is too old to trade on.
	ErrStalePrice = errors.New("strategy: price is stale")
	// ErrUnknownKind is returned by Registry.New for an unregistered kind.
	ErrUnknownKind = errors.New("strategy: unknown kind")
	// ErrDuplicateKind is returned by Registry.Register for a kind already registered.
	ErrDuplicateKind = errors.New("strategy: kind already registered")
)

package treasury

import "errors"

// Sentinel errors. Sweep wraps them with the policy, the destination and
// the detail; callers branch with errors.Is.
var (
	// ErrUnknownPolicy: no policy has that name.
	ErrUnknownPolicy = errors.New("treasury: unknown policy")
	// ErrNotAllowlisted: the movement would go somewhere the configured
	// allowlist does not name. Nothing was sent.
	ErrNotAllowlisted = errors.New("treasury: destination not in the allowlist")
	// ErrNotApproved: the destination is not whitelisted and approved (or,
	// for a payee address, APPROVED) at the venue. Nothing was sent.
	ErrNotApproved = errors.New("treasury: destination not approved at the venue")
	// ErrCapReached: the daily caps leave less than the minimum sweep.
	// Nothing was sent.
	ErrCapReached = errors.New("treasury: daily cap reached")
	// ErrMaintenance: the maintenance gate is closed. Nothing was sent.
	ErrMaintenance = errors.New("treasury: maintenance window")
	// ErrRejected: the venue (or the risk check) definitively refused the
	// movement; its transit posting was reversed and its caps released.
	ErrRejected = errors.New("treasury: movement refused")
	// ErrUnresolved: the outcome is unknown and the venue has no record of
	// the movement yet; it stays unknown and is looked up on every poll.
	// Nothing may be sent for it again.
	ErrUnresolved = errors.New("treasury: movement outcome unresolved")
	// ErrMissingDependency: the configuration needs a dependency Deps
	// lacks (a Heropayments client, a payee registry, a converter, an
	// invoice source).
	ErrMissingDependency = errors.New("treasury: missing dependency")
)

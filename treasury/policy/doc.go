// Package policy owns the schema of the [treasury] configuration section:
// the declarative sweep policies, the destination allowlist, the daily caps
// and the Heropayments settlement, with their TOML names, their defaults and
// their validation.
//
// It is a leaf so that both config (which holds the section) and treasury
// (which runs it) can import it without importing each other.
//
// # Validation
//
// Problems returns every problem at once, each under its key path relative
// to the section ("policies.btc-cold.max"). It checks each value (decimals
// are strings, never TOML floats; cron specs parse; min <= target <= max)
// and the section as a whole: a policy naming an unknown destination or one
// for another asset, caps below the minimum sweep size, policies managing
// overlapping ranges of one balance, and chains that loop.
//
// # Defaults
//
// The zero Config is valid and does nothing. A zero duration or count means
// the documented default (see the Default* constants); a policy without
// dry_run is in dry run: new policies only log what they would send until
// dry_run = false is written down.
//
// # What it must never do
//
// Perform I/O, hold secrets (no field is a credential), or accept money as
// a binary float.
package policy

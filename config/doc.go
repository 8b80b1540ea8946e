// Package config owns the engine's configuration: the TOML schema, its
// defaults, validation, and the secrets read from the environment.
//
// Load starts from Default, decodes the file over it, refuses every key the
// schema does not know, and validates every section, reporting all problems
// at once, each with its key path. Durations are strings ("5s"); amounts are
// decimal strings ("250000.50"), never TOML floats.
//
// Secrets (the Hercle API key, the Heropayments key and secret, the admin
// token) are never read from the file: a secret found there is refused with a
// message naming the environment variable it belongs in. LoadSecrets reads
// them from the environment or from files named by *_FILE variables. A
// Secret never prints its value: not through fmt, slog, JSON or errors.
//
// A loaded Config is a value; callers treat it as read-only.
package config

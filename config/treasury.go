package config

import "github.com/otcdesk/engine/treasury/policy"

// Treasury is the [treasury] section: the destination allowlist, the daily
// caps, the sweep, convert and settlement policies. Its schema, defaults
// and validation belong to package treasury/policy, a leaf that both this
// package and package treasury import; the zero value (no section) is
// valid and does nothing.
type Treasury = policy.Config

// treasuryProblems reports the section's problems under "treasury.".
func treasuryProblems(t Treasury) []Problem {
	var ps []Problem
	for _, p := range t.Problems() {
		ps = append(ps, Problem{Key: "treasury." + p.Key, Msg: p.Msg})
	}
	return ps
}

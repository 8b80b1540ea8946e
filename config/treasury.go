package config

import (
	"slices"

	"github.com/otcdesk/engine/treasury/policy"
)

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

// transferCapProblems reports every destination a policy that sends
// (dry_run = false) pays without a risk.transfers.destinations cap: risk
// refuses every transfer to such a destination, so the policy could never
// send. A dry-run policy needs none until it is switched on; a settlement,
// which moves money between two of our venues, none at all.
func (c Config) transferCapProblems() []Problem {
	var ps []Problem
	seen := map[string]bool{}
	names := make([]string, 0, len(c.Treasury.Policies))
	for name := range c.Treasury.Policies {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := c.Treasury.Policies[name]
		dest := p.Destination
		if dest == "" || p.IsDryRun() || p.Kind == policy.KindSettlement || seen[dest] {
			continue
		}
		if _, ok := c.Treasury.Destinations[dest]; !ok {
			continue // reported by the treasury section
		}
		if _, ok := c.Risk.Transfers.Destinations[dest]; !ok {
			seen[dest] = true
			ps = append(ps, Problem{Key: "risk.transfers.destinations." + dest,
				Msg: "missing: treasury policy " + name + " sends to " + dest + ", and risk refuses every transfer to a destination without a daily cap (in risk.reference)"})
		}
	}
	return ps
}

package config

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/otcdesk/engine/internal/venuehttp"
	"github.com/otcdesk/engine/treasury/policy"
)

// Metrics configures the HTTP listener for /metrics, /healthz and /readyz.
type Metrics struct {
	// Addr is host:port; empty disables the listener. It must be
	// loopback unless AllowRemote is set: the metrics show balances and
	// are not authenticated.
	Addr        string `toml:"addr"`
	AllowRemote bool   `toml:"allow_remote"`
}

// Admin configures the admin endpoints (status, pause, resume, kill),
// guarded by the bearer token in ADMIN_TOKEN.
type Admin struct {
	// Addr is host:port; empty disables them. It must be loopback unless
	// AllowRemote is set, and a remote listener speaks only HTTPS: give
	// TLSCert and TLSKey (PEM files).
	Addr        string `toml:"addr"`
	AllowRemote bool   `toml:"allow_remote"`
	TLSCert     string `toml:"tls_cert"`
	TLSKey      string `toml:"tls_key"`
}

// listenerProblems checks the daemon's own listeners: loopback unless
// allowed, and a remote admin listener only over HTTPS.
func (c Config) listenerProblems() []Problem {
	var ps []Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	listen := func(key, addr string, remoteOK bool) {
		if addr == "" {
			return
		}
		host, _, err := net.SplitHostPort(addr)
		switch {
		case err != nil:
			add(key, "must be host:port, got %q", addr)
		case !remoteOK && !venuehttp.IsLoopback(host):
			section, _, _ := strings.Cut(key, ".")
			add(key, "must be a loopback address unless %s.allow_remote is set, got %q", section, addr)
		}
	}
	listen("metrics.addr", c.Metrics.Addr, c.Metrics.AllowRemote)
	listen("admin.addr", c.Admin.Addr, c.Admin.AllowRemote)
	if (c.Admin.TLSCert == "") != (c.Admin.TLSKey == "") {
		add("admin.tls_cert", "give both tls_cert and tls_key, or neither")
	}
	if c.Admin.AllowRemote && c.Admin.Addr != "" && c.Admin.TLSCert == "" {
		add("admin.allow_remote", "a remote admin listener must speak HTTPS: set admin.tls_cert and admin.tls_key (the bearer token would cross the network in clear)")
	}
	return ps
}

// strategyProblems checks what every [[strategy]] table needs; each
// kind's factory checks its params (daemon.Check).
func (c Config) strategyProblems() []Problem {
	var ps []Problem
	names := map[string]bool{}
	for i, s := range c.Strategies {
		key := fmt.Sprintf("strategy[%d]", i)
		if s.Kind == "" {
			ps = append(ps, Problem{Key: key + ".kind", Msg: "required (rebalance, twap, threshold, autoconvert or a registered kind)"})
		}
		switch {
		case s.Name == "":
			ps = append(ps, Problem{Key: key + ".name", Msg: "required: a unique instance name"})
		case names[s.Name]:
			ps = append(ps, Problem{Key: key + ".name", Msg: fmt.Sprintf("%q is used by two strategies", s.Name)})
		}
		names[s.Name] = true
	}
	return ps
}

// acrossSections checks rules that join two sections.
func (c Config) acrossSections() []Problem {
	var ps []Problem
	if c.HA.Enabled && c.Mode != ModeLive {
		ps = append(ps, Problem{Key: "ha.enabled", Msg: fmt.Sprintf("needs live mode: in %s mode each engine runs its own simulator, so a pair would not share a venue", c.Mode)})
	}
	if (c.Mode == ModeLive || c.Mode == ModeShadow) && c.Hercle.Environment == "" && c.Hercle.BaseURL == "" {
		ps = append(ps, Problem{Key: "hercle.environment", Msg: fmt.Sprintf(`required in %s mode: "sandbox" or "production"`, c.Mode)})
	}
	if c.Webhook.Enabled && c.Mode == ModeLive && len(c.Webhook.PublicKeys) == 0 {
		ps = append(ps, Problem{Key: "webhook.public_keys", Msg: "required in live mode: list the PEM file(s) of Hercle's webhook public key"})
	}
	return append(ps, c.transferCapProblems()...)
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

package config

import (
	"bytes"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/otcdesk/engine/internal/venuehttp"
	"github.com/otcdesk/engine/risk"
)

// Feeds configures the price subscriptions the engine trades on.
type Feeds struct {
	// Pairs are subscribed on the hub at start-up and after every
	// reconnect. Strategies only see ticks of these pairs.
	Pairs []FeedPair `toml:"pairs"`
	// StaleAfter is how long a pair may go without a tick before it is
	// reported stale (metrics, /readyz). Risk's max_price_age decides
	// whether a price may be traded on.
	StaleAfter Duration `toml:"stale_after"`
}

// FeedPair is one price subscription: a pair at a size in its base asset.
type FeedPair struct {
	Pair string `toml:"pair"`
	Size Amount `toml:"size"`
}

// Execution tunes how orders whose outcome is not yet known are followed.
type Execution struct {
	// FollowEvery is the interval between lookups by Client-Id of an order
	// answered Created or Pending, or whose answer was lost.
	FollowEvery Duration `toml:"follow_every"`
	// Lookups bounds those lookups. An order the venue still has no record
	// of then fails (it was never received); one still open stays unknown
	// for the next recovery.
	Lookups int `toml:"lookups"`
}

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

// Strategy is one [[strategy]] table: an instance of a registered kind.
type Strategy struct {
	Kind string `toml:"kind"`
	Name string `toml:"name"`
	// Disabled keeps the table in the file without running it.
	Disabled bool `toml:"disabled"`
	// Params are the kind's own settings, decoded by its factory through
	// Decode, which refuses keys the kind does not know.
	Params map[string]any `toml:"params"`
}

// Decode fills v, the kind's typed params struct, from Params. Keys v has
// no field for are an error, as everywhere else in the file.
func (s Strategy) Decode(v any) error {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(s.Params); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	md, err := toml.NewDecoder(&buf).Decode(v)
	if err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = "params." + k.String()
		}
		sort.Strings(keys)
		return fmt.Errorf("unknown key(s) %s", strings.Join(keys, ", "))
	}
	return nil
}

func defaultRisk() risk.Limits { return risk.DefaultLimits() }

func (c Config) engineProblems() []Problem {
	var ps []Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	seen := map[string]bool{}
	for i, p := range c.Feeds.Pairs {
		key := fmt.Sprintf("feeds.pairs[%d]", i)
		switch {
		case p.Pair == "" || strings.ToUpper(p.Pair) != p.Pair:
			add(key+".pair", "must be an upper-case pair symbol such as \"BTCUSDT\", got %q", p.Pair)
		case seen[p.Pair]:
			add(key+".pair", "%s is listed twice; one size per pair", p.Pair)
		}
		seen[p.Pair] = true
		if p.Size.err != nil {
			add(key+".size", "%v", p.Size.err)
		} else if !p.Size.IsPositive() {
			add(key+".size", "must be positive, got %s", p.Size.Decimal)
		}
	}
	if d := c.Feeds.StaleAfter; d.err != nil {
		add("feeds.stale_after", "%v", d.err)
	} else if d.Duration < 100*time.Millisecond {
		add("feeds.stale_after", "must be at least 100ms, got %s", d.Duration)
	}
	if d := c.Execution.FollowEvery; d.err != nil {
		add("execution.follow_every", "%v", d.err)
	} else if d.Duration < 10*time.Millisecond {
		add("execution.follow_every", "must be at least 10ms, got %s", d.Duration)
	}
	if c.Execution.Lookups < 1 || c.Execution.Lookups > 1000 {
		add("execution.lookups", "must be from 1 to 1000, got %d", c.Execution.Lookups)
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

	names := map[string]bool{}
	for i, s := range c.Strategies {
		key := fmt.Sprintf("strategy[%d]", i)
		if s.Kind == "" {
			add(key+".kind", "required (rebalance, twap, threshold, autoconvert or a registered kind)")
		}
		if s.Name == "" {
			add(key+".name", "required: a unique instance name")
		} else if names[s.Name] {
			add(key+".name", "%q is used by two strategies", s.Name)
		}
		names[s.Name] = true
	}
	for _, p := range c.Risk.Problems() {
		ps = append(ps, Problem{Key: "risk." + p.Key, Msg: p.Msg})
	}
	return ps
}

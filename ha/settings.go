package ha

import (
	"strings"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
)

// Settings is the [ha] section. The zero value (and DefaultSettings) is
// off: one engine, no etcd.
type Settings struct {
	// Enabled runs the engine as one of an active/standby pair.
	Enabled bool `toml:"enabled"`
	// Endpoints are the etcd members' client URLs.
	Endpoints []string `toml:"endpoints"`
	// CAFile, CertFile and KeyFile are the TLS files for etcd (client
	// certificate authentication); empty: plain TCP, for loopback only.
	CAFile   string `toml:"ca_file"`
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	// Prefix is the etcd key prefix of this engine pair: one per account.
	Prefix string `toml:"prefix"`
	// LeaseTTL is the leader's lease: a node that has not renewed it for
	// this long has lost leadership, and the standby takes over. The leader
	// stops sending LeaseTTL/5 before that.
	LeaseTTL tomlval.Duration `toml:"lease_ttl"`
	// Node names this engine; unique within the pair. Empty: the host name.
	Node string `toml:"node"`
	// DialTimeout bounds connecting to etcd and each etcd request.
	DialTimeout tomlval.Duration `toml:"dial_timeout"`
	// LogRetain is how many entries of the replicated books the leader
	// keeps in etcd beyond what every running node has applied, for a
	// node that comes back (restored from a backup) to catch up from.
	LogRetain int `toml:"log_retain"`
}

// DefaultSettings is the section a file leaves out: off.
func DefaultSettings() Settings {
	return Settings{Prefix: "/otc-engine/", LeaseTTL: tomlval.Dur(5 * time.Second),
		DialTimeout: tomlval.Dur(5 * time.Second), LogRetain: 100000}
}

// Problems lists what is wrong with the section, keys relative to it.
func (s Settings) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	if !s.Enabled {
		return ps
	}
	if len(s.Endpoints) == 0 {
		ps.Add("endpoints", "name the etcd members' client URLs (three members survive the loss of one)")
	}
	for i, e := range s.Endpoints {
		if !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
			ps.Add("endpoints", "endpoint %d: want http:// or https://, got %q", i, e)
		}
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		ps.Add("cert_file", "cert_file and key_file go together")
	}
	if !strings.HasPrefix(s.Prefix, "/") || !strings.HasSuffix(s.Prefix, "/") {
		ps.Add("prefix", "must start and end with /, for example \"/otc-engine/desk-1/\"")
	}
	ps.DurationIn("lease_ttl", s.LeaseTTL, 2*time.Second, time.Minute)
	ps.DurationIn("dial_timeout", s.DialTimeout, 100*time.Millisecond, time.Minute)
	if s.LogRetain < 100 {
		ps.Add("log_retain", "keep at least 100 entries")
	}
	return ps
}

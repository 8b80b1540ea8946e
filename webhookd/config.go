package webhookd

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
)

// Defaults and bounds of the [webhook] section.
const (
	DefaultAddr      = "127.0.0.1:8780"
	DefaultPath      = "/webhooks/hercle"
	DefaultMaxSkew   = 5 * time.Minute
	DefaultBodyLimit = 1 << 20
	// A flood of 1 MiB forged bodies then holds at most 8 MiB of them
	// in memory, and 256 connections cost a few MiB of buffers.
	DefaultMaxConnections   = 256
	DefaultMaxInflightBytes = 8 << 20
	DefaultInflightWait     = 5 * time.Second
	DefaultRefusalLogEvery  = time.Minute

	minMaxSkew          = 10 * time.Second
	maxMaxSkew          = time.Hour
	minBodyLimit        = 1 << 10
	maxBodyLimit        = 64 << 20
	maxMaxConnections   = 65536
	maxMaxInflightBytes = 1 << 30
	minInflightWait     = 10 * time.Millisecond
	maxInflightWait     = time.Minute
	minRefusalLogEvery  = time.Second
	maxRefusalLogEvery  = time.Hour
	maxPathLen          = 256
)

// Config configures the endpoint that receives Hercle's signed webhooks
// (deposits, withdrawal and payout statuses, balances, end users, payees).
// Each one is verified, stored in the ledger inbox and only then
// acknowledged.
//
// The zero value is a disabled endpoint and is valid. Every field but
// Enabled, Addr, TLSCert, TLSKey and PublicKeys takes its default when
// left zero (WithDefaults); Addr has none when the endpoint is enabled: it
// must be given.
type Config struct {
	// Enabled starts the endpoint.
	Enabled bool `toml:"enabled"`
	// Addr is the listen address, host:port. Port 0 picks a free port
	// (tests, paper mode). Hercle must reach it: bind a public address,
	// or loopback behind a reverse proxy.
	Addr string `toml:"addr"`
	// Path is the URL path webhooks are posted to, for example
	// "/webhooks/hercle"; every other path answers 404.
	Path string `toml:"path"`
	// TLSCert and TLSKey are PEM files: the server certificate (with its
	// chain) and its private key. Give both or neither; with both the
	// endpoint speaks HTTPS only.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// PublicKeys are PEM files holding the RSA public keys webhooks may be
	// signed with. During a key rotation list the old and the new file; a
	// webhook is accepted if any key verifies it. Required in live mode;
	// in paper mode the simulator's key is trusted.
	PublicKeys []string `toml:"public_keys"`
	// MaxSkew bounds the distance between X-Config-Timestamp and the
	// receiver's clock, in either direction (replay protection). Zero
	// means DefaultMaxSkew.
	MaxSkew tomlval.Duration `toml:"max_skew"`
	// BodyLimit is the largest request body accepted, in bytes (413
	// above). Zero means DefaultBodyLimit.
	BodyLimit int64 `toml:"body_limit"`
	// MaxConnections caps the connections open at once on the listener
	// (Hercle's webhooks and the Heropayments callbacks served beside
	// them); further connections wait in the kernel's accept queue until
	// one closes. Zero means DefaultMaxConnections.
	MaxConnections int `toml:"max_connections"`
	// MaxInflightBytes caps the request body bytes being read or held at
	// once, across all requests: each request reserves its Content-Length
	// (BodyLimit when it has none) before its body is read. At least
	// BodyLimit. Zero means DefaultMaxInflightBytes, or BodyLimit
	// when that is larger.
	MaxInflightBytes int64 `toml:"max_inflight_bytes"`
	// InflightWait is how long a request waits for MaxInflightBytes to
	// have room for its body before it is answered 503 with Retry-After.
	// Zero means DefaultInflightWait.
	InflightWait tomlval.Duration `toml:"inflight_wait"`
	// RefusalLogEvery is the interval of the one summary line that
	// reports refused requests (by reason and path, with the first few in
	// detail); a refusal never logs a line of its own. Zero means
	// DefaultRefusalLogEvery.
	RefusalLogEvery tomlval.Duration `toml:"refusal_log_every"`
}

// DefaultConfig returns the section's defaults: disabled, on loopback.
func DefaultConfig() Config {
	return Config{
		Addr:      DefaultAddr,
		Path:      DefaultPath,
		MaxSkew:   tomlval.Dur(DefaultMaxSkew),
		BodyLimit: DefaultBodyLimit,

		MaxConnections:   DefaultMaxConnections,
		MaxInflightBytes: DefaultMaxInflightBytes,
		InflightWait:     tomlval.Dur(DefaultInflightWait),
		RefusalLogEvery:  tomlval.Dur(DefaultRefusalLogEvery),
	}
}

// WithDefaults returns w with its zero fields that have a default
// replaced by it.
func (w Config) WithDefaults() Config {
	if w.Path == "" {
		w.Path = DefaultPath
	}
	if w.MaxSkew.Duration == 0 && w.MaxSkew.Err() == nil {
		w.MaxSkew = tomlval.Dur(DefaultMaxSkew)
	}
	if w.BodyLimit == 0 {
		w.BodyLimit = DefaultBodyLimit
	}
	if w.MaxConnections == 0 {
		w.MaxConnections = DefaultMaxConnections
	}
	if w.MaxInflightBytes == 0 {
		w.MaxInflightBytes = max(DefaultMaxInflightBytes, w.BodyLimit)
	}
	if w.InflightWait.Duration == 0 && w.InflightWait.Err() == nil {
		w.InflightWait = tomlval.Dur(DefaultInflightWait)
	}
	if w.RefusalLogEvery.Duration == 0 && w.RefusalLogEvery.Err() == nil {
		w.RefusalLogEvery = tomlval.Dur(DefaultRefusalLogEvery)
	}
	w.PublicKeys = append([]string(nil), w.PublicKeys...)
	return w
}

// TLS reports whether the endpoint serves HTTPS (both files given).
func (w Config) TLS() bool { return w.TLSCert != "" && w.TLSKey != "" }

// Validate checks the section alone, keys relative to it. It does not
// read the files it names: the endpoint reports an unreadable or malformed
// file when it starts.
func (w Config) Validate() error { return tomlval.Problems(w.Problems()).Err("webhook") }

// Problems lists what is wrong with the section, keys relative to it.
func (w Config) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	w.listenProblems(&ps)
	w.limitProblems(&ps)
	return ps
}

// listenProblems checks where the endpoint listens and what it trusts:
// address, path, TLS files and public keys.
func (w Config) listenProblems(ps *tomlval.Problems) {
	add := ps.Add
	switch {
	case w.Addr == "" && w.Enabled:
		add("addr", "required when the endpoint is enabled: host:port to listen on, e.g. %q", DefaultAddr)
	case w.Addr != "":
		if msg := checkListenAddr(w.Addr); msg != "" {
			add("addr", "%s", msg)
		}
	}

	if w.Path != "" {
		switch {
		case len(w.Path) > maxPathLen:
			add("path", "longer than %d characters", maxPathLen)
		case !strings.HasPrefix(w.Path, "/"):
			add("path", "must start with /, got %q", w.Path)
		case strings.ContainsAny(w.Path, "?#{}*%") || strings.ContainsFunc(w.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			add("path", "must be a plain URL path without spaces, query, fragment, escapes or patterns, got %q", w.Path)
		case path.Clean(w.Path) != w.Path:
			add("path", "must be a clean path (no //, /./, /../ or trailing /), got %q; use %q", w.Path, path.Clean(w.Path))
		}
	}

	switch {
	case w.TLSCert != "" && w.TLSKey == "":
		add("tls_key", "tls_cert is set but tls_key is not: give both files or neither")
	case w.TLSKey != "" && w.TLSCert == "":
		add("tls_cert", "tls_key is set but tls_cert is not: give both files or neither")
	}

	seen := map[string]bool{}
	for i, p := range w.PublicKeys {
		key := fmt.Sprintf("public_keys[%d]", i)
		switch {
		case strings.TrimSpace(p) == "":
			add(key, "empty file name")
		case seen[p]:
			add(key, "%q is listed twice", p)
		}
		seen[p] = true
	}
}

// limitProblems checks the bounds on time, bodies and connections.
func (w Config) limitProblems(ps *tomlval.Problems) {
	add := ps.Add
	durations := []struct {
		key           string
		d             tomlval.Duration
		lo, hi, deflt time.Duration
	}{
		{"max_skew", w.MaxSkew, minMaxSkew, maxMaxSkew, DefaultMaxSkew},
		{"inflight_wait", w.InflightWait, minInflightWait, maxInflightWait, DefaultInflightWait},
		{"refusal_log_every", w.RefusalLogEvery, minRefusalLogEvery, maxRefusalLogEvery, DefaultRefusalLogEvery},
	}
	for _, d := range durations {
		switch {
		case d.d.Err() != nil:
			add(d.key, "%v", d.d.Err())
		case d.d.Duration != 0 && (d.d.Duration < d.lo || d.d.Duration > d.hi):
			add(d.key, "must be from %s to %s (or left out for %s), got %s", d.lo, d.hi, d.deflt, d.d.Duration)
		}
	}

	if b := w.BodyLimit; b != 0 && (b < minBodyLimit || b > maxBodyLimit) {
		add("body_limit", "must be from %d to %d bytes (or left out for %d), got %d", minBodyLimit,
			maxBodyLimit, DefaultBodyLimit, b)
	}
	if n := w.MaxConnections; n < 0 || n > maxMaxConnections {
		add("max_connections", "must be from 1 to %d (or left out for %d), got %d", maxMaxConnections,
			DefaultMaxConnections, n)
	}
	body := w.BodyLimit
	if body == 0 {
		body = DefaultBodyLimit
	}
	switch b := w.MaxInflightBytes; {
	case b < 0 || b > maxMaxInflightBytes:
		add("max_inflight_bytes", "must be from body_limit (%d) to %d bytes (or left out for %d), got %d", body,
			maxMaxInflightBytes, DefaultMaxInflightBytes, b)
	case b != 0 && b < body:
		add("max_inflight_bytes", "must be at least body_limit (%d bytes), or a body of that size could never be read; got %d", body, b)
	}
}

// checkListenAddr returns what is wrong with a listen address, or "".
func checkListenAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("must be host:port, got %q", addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || strconv.FormatUint(n, 10) != port {
		return fmt.Sprintf("port must be a number from 0 to 65535, got %q", port)
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Sprintf("host %q is neither an IP address nor a host name", host)
	}
	return ""
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

package config

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"
)

// Defaults and bounds of the [webhook] section.
const (
	DefaultWebhookAddr      = "127.0.0.1:8780"
	DefaultWebhookPath      = "/webhooks/hercle"
	DefaultWebhookMaxSkew   = 5 * time.Minute
	DefaultWebhookBodyLimit = 1 << 20
	// A flood of 1 MiB forged bodies then holds at most 8 MiB of them
	// in memory, and 256 connections cost a few MiB of buffers.
	DefaultWebhookMaxConnections   = 256
	DefaultWebhookMaxInflightBytes = 8 << 20
	DefaultWebhookInflightWait     = 5 * time.Second
	DefaultWebhookRefusalLogEvery  = time.Minute

	MinWebhookMaxSkew         = 10 * time.Second
	MaxWebhookMaxSkew         = time.Hour
	MinWebhookBodyLimit       = 1 << 10
	MaxWebhookBodyLimit       = 64 << 20
	MaxWebhookMaxConnections  = 65536
	MaxWebhookInflightBytes   = 1 << 30
	MinWebhookInflightWait    = 10 * time.Millisecond
	MaxWebhookInflightWait    = time.Minute
	MinWebhookRefusalLogEvery = time.Second
	MaxWebhookRefusalLogEvery = time.Hour
	maxWebhookPathLen         = 256
)

// Webhook configures the endpoint that receives Hercle's signed webhooks
// (deposits, withdrawal and payout statuses, balances, end users, payees).
// Each one is verified, stored in the ledger inbox and only then
// acknowledged.
//
// The zero value is a disabled endpoint and is valid. Every field but
// Enabled, Addr, TLSCert, TLSKey and PublicKeys takes its default when
// left zero (WithDefaults); Addr has none when the endpoint is enabled: it
// must be given.
type Webhook struct {
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
	// MaxSkew bounds the distance between X-Webhook-Timestamp and the
	// receiver's clock, in either direction (replay protection). Zero
	// means DefaultWebhookMaxSkew.
	MaxSkew Duration `toml:"max_skew"`
	// BodyLimit is the largest request body accepted, in bytes (413
	// above). Zero means DefaultWebhookBodyLimit.
	BodyLimit int64 `toml:"body_limit"`
	// MaxConnections caps the connections open at once on the listener
	// (Hercle's webhooks and the Heropayments callbacks served beside
	// them); further connections wait in the kernel's accept queue until
	// one closes. Zero means DefaultWebhookMaxConnections.
	MaxConnections int `toml:"max_connections"`
	// MaxInflightBytes caps the request body bytes being read or held at
	// once, across all requests: each request reserves its Content-Length
	// (BodyLimit when it has none) before its body is read. At least
	// BodyLimit. Zero means DefaultWebhookMaxInflightBytes, or BodyLimit
	// when that is larger.
	MaxInflightBytes int64 `toml:"max_inflight_bytes"`
	// InflightWait is how long a request waits for MaxInflightBytes to
	// have room for its body before it is answered 503 with Retry-After.
	// Zero means DefaultWebhookInflightWait.
	InflightWait Duration `toml:"inflight_wait"`
	// RefusalLogEvery is the interval of the one summary line that
	// reports refused requests (by reason and path, with the first few in
	// detail); a refusal never logs a line of its own. Zero means
	// DefaultWebhookRefusalLogEvery.
	RefusalLogEvery Duration `toml:"refusal_log_every"`
}

// DefaultWebhook returns the section's defaults: disabled, on loopback.
func DefaultWebhook() Webhook {
	return Webhook{
		Addr:      DefaultWebhookAddr,
		Path:      DefaultWebhookPath,
		MaxSkew:   D(DefaultWebhookMaxSkew),
		BodyLimit: DefaultWebhookBodyLimit,

		MaxConnections:   DefaultWebhookMaxConnections,
		MaxInflightBytes: DefaultWebhookMaxInflightBytes,
		InflightWait:     D(DefaultWebhookInflightWait),
		RefusalLogEvery:  D(DefaultWebhookRefusalLogEvery),
	}
}

// WithDefaults returns w with its zero fields that have a default
// replaced by it.
func (w Webhook) WithDefaults() Webhook {
	if w.Path == "" {
		w.Path = DefaultWebhookPath
	}
	if w.MaxSkew.Duration == 0 && w.MaxSkew.err == nil {
		w.MaxSkew = D(DefaultWebhookMaxSkew)
	}
	if w.BodyLimit == 0 {
		w.BodyLimit = DefaultWebhookBodyLimit
	}
	if w.MaxConnections == 0 {
		w.MaxConnections = DefaultWebhookMaxConnections
	}
	if w.MaxInflightBytes == 0 {
		w.MaxInflightBytes = max(DefaultWebhookMaxInflightBytes, w.BodyLimit)
	}
	if w.InflightWait.Duration == 0 && w.InflightWait.err == nil {
		w.InflightWait = D(DefaultWebhookInflightWait)
	}
	if w.RefusalLogEvery.Duration == 0 && w.RefusalLogEvery.err == nil {
		w.RefusalLogEvery = D(DefaultWebhookRefusalLogEvery)
	}
	w.PublicKeys = append([]string(nil), w.PublicKeys...)
	return w
}

// TLS reports whether the endpoint serves HTTPS (both files given).
func (w Webhook) TLS() bool { return w.TLSCert != "" && w.TLSKey != "" }

// Validate checks the section alone, with key paths under "webhook". It
// does not read the files it names: the endpoint reports an unreadable
// or malformed file when it starts.
func (w Webhook) Validate() error {
	if ps := w.problems(); len(ps) > 0 {
		return &Error{Name: "config", Problems: ps}
	}
	return nil
}

// webhookProblems is the section's part of Config.problems: the section's
// own checks and the public keys live mode requires.
func (c Config) webhookProblems() []Problem {
	ps := c.Webhook.problems()
	if c.Webhook.Enabled && c.Mode == ModeLive && len(c.Webhook.PublicKeys) == 0 {
		ps = append(ps, Problem{Key: "webhook.public_keys", Msg: "required in live mode: list the PEM file(s) of Hercle's webhook public key"})
	}
	return ps
}

func (w Webhook) problems() []Problem {
	var ps []Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: "webhook." + key, Msg: fmt.Sprintf(format, args...)})
	}

	switch {
	case w.Addr == "" && w.Enabled:
		add("addr", "required when the endpoint is enabled: host:port to listen on, e.g. %q", DefaultWebhookAddr)
	case w.Addr != "":
		if msg := checkListenAddr(w.Addr); msg != "" {
			add("addr", "%s", msg)
		}
	}

	if w.Path != "" {
		switch {
		case len(w.Path) > maxWebhookPathLen:
			add("path", "longer than %d characters", maxWebhookPathLen)
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

	durations := []struct {
		key           string
		d             Duration
		lo, hi, deflt time.Duration
	}{
		{"max_skew", w.MaxSkew, MinWebhookMaxSkew, MaxWebhookMaxSkew, DefaultWebhookMaxSkew},
		{"inflight_wait", w.InflightWait, MinWebhookInflightWait, MaxWebhookInflightWait, DefaultWebhookInflightWait},
		{"refusal_log_every", w.RefusalLogEvery, MinWebhookRefusalLogEvery, MaxWebhookRefusalLogEvery, DefaultWebhookRefusalLogEvery},
	}
	for _, d := range durations {
		switch {
		case d.d.err != nil:
			add(d.key, "%v", d.d.err)
		case d.d.Duration != 0 && (d.d.Duration < d.lo || d.d.Duration > d.hi):
			add(d.key, "must be from %s to %s (or left out for %s), got %s", d.lo, d.hi, d.deflt, d.d.Duration)
		}
	}

	if b := w.BodyLimit; b != 0 && (b < MinWebhookBodyLimit || b > MaxWebhookBodyLimit) {
		add("body_limit", "must be from %d to %d bytes (or left out for %d), got %d", MinWebhookBodyLimit,
			MaxWebhookBodyLimit, DefaultWebhookBodyLimit, b)
	}
	if n := w.MaxConnections; n < 0 || n > MaxWebhookMaxConnections {
		add("max_connections", "must be from 1 to %d (or left out for %d), got %d", MaxWebhookMaxConnections,
			DefaultWebhookMaxConnections, n)
	}
	body := w.BodyLimit
	if body == 0 {
		body = DefaultWebhookBodyLimit
	}
	switch b := w.MaxInflightBytes; {
	case b < 0 || b > MaxWebhookInflightBytes:
		add("max_inflight_bytes", "must be from body_limit (%d) to %d bytes (or left out for %d), got %d", body,
			MaxWebhookInflightBytes, DefaultWebhookMaxInflightBytes, b)
	case b != 0 && b < body:
		add("max_inflight_bytes", "must be at least body_limit (%d bytes), or a body of that size could never be read; got %d", body, b)
	}
	return ps
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

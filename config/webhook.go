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

	MinWebhookMaxSkew   = 10 * time.Second
	MaxWebhookMaxSkew   = time.Hour
	MinWebhookBodyLimit = 1 << 10
	MaxWebhookBodyLimit = 64 << 20
	maxWebhookPathLen   = 256
)

// Webhook configures the endpoint that receives Hercle's signed webhooks
// (deposits, withdrawal and payout statuses, balances, end users, payees).
// Each one is verified, stored in the ledger inbox and only then
// acknowledged.
//
// The zero value is a disabled endpoint and is valid. Path, MaxSkew and
// BodyLimit left zero take their defaults (WithDefaults); Addr has none
// when the endpoint is enabled: it must be given.
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
}

// DefaultWebhook returns the section's defaults: disabled, on loopback.
func DefaultWebhook() Webhook {
	return Webhook{
		Addr:      DefaultWebhookAddr,
		Path:      DefaultWebhookPath,
		MaxSkew:   D(DefaultWebhookMaxSkew),
		BodyLimit: DefaultWebhookBodyLimit,
	}
}

// WithDefaults returns w with zero Path, MaxSkew and BodyLimit replaced by
// their defaults.
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
		return &Error{Path: "config", Problems: ps}
	}
	return nil
}

// webhookProblems is the section's part of Config.problems: the section's
// own checks and the public keys live mode requires.
func (c Config) webhookProblems() []Problem {
	ps := c.Webhook.problems()
	if c.Webhook.Enabled && c.Mode == ModeLive && len(c.Webhook.PublicKeys) == 0 {
		ps = append(ps, Problem{"webhook.public_keys", "required in live mode: list the PEM file(s) of Hercle's webhook public key"})
	}
	return ps
}

func (w Webhook) problems() []Problem {
	var ps []Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{"webhook." + key, fmt.Sprintf(format, args...)})
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

	switch d := w.MaxSkew; {
	case d.err != nil:
		add("max_skew", "%v", d.err)
	case d.Duration != 0 && (d.Duration < MinWebhookMaxSkew || d.Duration > MaxWebhookMaxSkew):
		add("max_skew", "must be from %s to %s (or left out for %s), got %s", MinWebhookMaxSkew, MaxWebhookMaxSkew,
			DefaultWebhookMaxSkew, d.Duration)
	}

	if b := w.BodyLimit; b != 0 && (b < MinWebhookBodyLimit || b > MaxWebhookBodyLimit) {
		add("body_limit", "must be from %d to %d bytes (or left out for %d), got %d", MinWebhookBodyLimit,
			MaxWebhookBodyLimit, DefaultWebhookBodyLimit, b)
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

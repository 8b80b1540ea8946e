// Package redact keeps secrets out of logs: a slog.Handler that replaces
// every occurrence of the process's secret values, and the value of any
// attribute whose key names a credential, before the record is written.
//
// It is a second line of defence. Secrets are wrapped in config.Secret,
// which already prints as "[redacted]"; this catches a secret that reached
// a log line by another path (an error message quoting a header, a URL
// with an access_token parameter).
package redact

import (
	"context"
	"log/slog"
	"strings"
)

// Mask is what a secret is replaced with.
const Mask = "[redacted]"

// minSecretLen is the shortest value treated as a secret: replacing a
// two-letter "secret" everywhere would mangle the log and protect nothing.
const minSecretLen = 6

// credentialKeys are attribute keys whose values are always masked.
var credentialKeys = []string{"api_key", "apikey", "secret", "token", "password", "authorization", "signature", "private_key"}

// Handler wraps next so that no record it writes contains one of secrets.
// Empty and very short secrets are ignored.
func Handler(next slog.Handler, secrets ...string) slog.Handler {
	var s []string
	for _, v := range secrets {
		if len(v) >= minSecretLen {
			s = append(s, v)
		}
	}
	return &handler{next: next, secrets: s}
}

type handler struct {
	next    slog.Handler
	secrets []string
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &handler{next: h.next.WithAttrs(clean), secrets: h.secrets}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), secrets: h.secrets}
}

func (h *handler) attr(a slog.Attr) slog.Attr {
	if isCredential(a.Key) {
		return slog.String(a.Key, Mask)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		clean := make([]slog.Attr, len(g))
		for i, x := range g {
			clean[i] = h.attr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindString:
		return slog.String(a.Key, h.scrub(v.String()))
	case slog.KindAny:
		// Errors, Stringers and structs are rendered as text, then scrubbed.
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.scrub(x.Error()))
		case interface{ String() string }:
			return slog.String(a.Key, h.scrub(x.String()))
		}
		if len(h.secrets) > 0 {
			return slog.String(a.Key, h.scrub(slog.AnyValue(v.Any()).String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// scrub replaces every secret in s.
func (h *handler) scrub(s string) string {
	for _, sec := range h.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return s
}

func isCredential(key string) bool {
	k := strings.ToLower(key)
	for _, c := range credentialKeys {
		if strings.Contains(k, c) {
			return true
		}
	}
	return false
}

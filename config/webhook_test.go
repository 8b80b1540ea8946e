package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/webhookd"
)

func TestWebhookExampleSection(t *testing.T) {
	cfg, err := Load("../config.toml")
	if err != nil {
		t.Fatalf("Load(config.toml) = %v", err)
	}
	w := cfg.Webhook
	if !w.Enabled || w.Addr != webhookd.DefaultAddr || w.Path != webhookd.DefaultPath || w.MaxSkew.Duration != 5*time.Minute ||
		w.BodyLimit != 1<<20 || len(w.PublicKeys) != 0 || w.TLS() || w.MaxConnections != webhookd.DefaultMaxConnections ||
		w.MaxInflightBytes != webhookd.DefaultMaxInflightBytes || w.InflightWait.Duration != webhookd.DefaultInflightWait ||
		w.RefusalLogEvery.Duration != webhookd.DefaultRefusalLogEvery {
		t.Errorf("config.toml [webhook] = %+v, want the defaults, enabled (paper mode trusts the simulator's key)", w)
	}
	if ps := cfg.Webhook.Problems(); len(ps) != 0 {
		t.Errorf("config.toml [webhook] problems = %v, want none", ps)
	}
	if err := webhookd.DefaultConfig().Validate(); err != nil {
		t.Errorf("webhookd.DefaultConfig().Validate() = %v", err)
	}
	if err := (webhookd.Config{}).Validate(); err != nil {
		t.Errorf("webhookd.Config{}.Validate() = %v; the zero value (disabled) must be valid", err)
	}
}

func TestWebhookWithDefaults(t *testing.T) {
	w := webhookd.Config{Enabled: true, Addr: "127.0.0.1:0", PublicKeys: []string{"k.pem"}}.WithDefaults()
	if w.Path != webhookd.DefaultPath || w.MaxSkew.Duration != webhookd.DefaultMaxSkew || w.BodyLimit != webhookd.DefaultBodyLimit ||
		w.MaxConnections != webhookd.DefaultMaxConnections || w.MaxInflightBytes != webhookd.DefaultMaxInflightBytes ||
		w.InflightWait.Duration != webhookd.DefaultInflightWait || w.RefusalLogEvery.Duration != webhookd.DefaultRefusalLogEvery {
		t.Errorf("WithDefaults() = %+v", w)
	}
	if err := w.Validate(); err != nil {
		t.Errorf("WithDefaults().Validate() = %v", err)
	}
	set := webhookd.Config{Path: "/h", MaxSkew: tomlval.Dur(time.Minute), BodyLimit: 4096, MaxConnections: 8, MaxInflightBytes: 8192,
		InflightWait: tomlval.Dur(time.Second), RefusalLogEvery: tomlval.Dur(time.Hour)}.WithDefaults()
	if set.Path != "/h" || set.MaxSkew.Duration != time.Minute || set.BodyLimit != 4096 || set.MaxConnections != 8 ||
		set.MaxInflightBytes != 8192 || set.InflightWait.Duration != time.Second || set.RefusalLogEvery.Duration != time.Hour {
		t.Errorf("WithDefaults() replaced set values: %+v", set)
	}
	// The default budget never makes a body of the configured limit unreadable.
	if big := (webhookd.Config{BodyLimit: 32 << 20}).WithDefaults(); big.MaxInflightBytes != 32<<20 || big.Validate() != nil {
		t.Errorf("WithDefaults() with body_limit 32 MiB: max_inflight_bytes = %d, Validate() = %v; want 32 MiB, valid",
			big.MaxInflightBytes, big.Validate())
	}
}

func TestWebhookProblems(t *testing.T) {
	const head = "mode = \"paper\"\n[webhook]\n"
	tests := []struct {
		name string
		toml string
		want []string // each must appear among the problems; none means valid
	}{
		{"enabled paper without keys", head + "enabled = true\naddr = \"127.0.0.1:0\"\n", nil},
		{"enabled live with keys", "mode = \"live\"\n[hercle]\nenvironment = \"sandbox\"\n[webhook]\nenabled = true\naddr = \":8443\"\npublic_keys = [\"a.pem\", \"b.pem\"]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n", nil},
		{"disabled may be incomplete", head + "enabled = false\naddr = \"\"\n", nil},
		{"live needs keys", "mode = \"live\"\n[hercle]\nenvironment = \"sandbox\"\n[webhook]\nenabled = true\naddr = \":8443\"\n", []string{"webhook.public_keys: required in live mode"}},
		{"enabled needs addr", head + "enabled = true\naddr = \"\"\n", []string{"webhook.addr: required when the endpoint is enabled"}},
		{"addr without port", head + "addr = \"localhost\"\n", []string{"webhook.addr: must be host:port"}},
		{"addr bad port", head + "addr = \"127.0.0.1:70000\"\n", []string{"webhook.addr: port must be a number"}},
		{"addr bad host", head + "addr = \"exa mple:80\"\n", []string{"webhook.addr: host \"exa mple\""}},
		{"relative path", head + "path = \"webhooks\"\n", []string{"webhook.path: must start with /"}},
		{"unclean path", head + "path = \"/webhooks//hercle/\"\n", []string{"webhook.path: must be a clean path", `use "/webhooks/hercle"`}},
		{"query in path", head + "path = \"/hook?x=1\"\n", []string{"webhook.path: must be a plain URL path"}},
		{"pattern in path", head + "path = \"/hook/{id}\"\n", []string{"webhook.path: must be a plain URL path"}},
		{"cert without key", head + "tls_cert = \"c.pem\"\n", []string{"webhook.tls_key: tls_cert is set but tls_key is not"}},
		{"key without cert", head + "tls_key = \"k.pem\"\n", []string{"webhook.tls_cert: tls_key is set but tls_cert is not"}},
		{"empty and duplicate keys", head + "public_keys = [\"a.pem\", \"\", \"a.pem\"]\n", []string{"webhook.public_keys[1]: empty file name", `webhook.public_keys[2]: "a.pem" is listed twice`}},
		{"skew too small", head + "max_skew = \"1s\"\n", []string{"webhook.max_skew: must be from 10s to 1h0m0s"}},
		{"skew negative", head + "max_skew = \"-5m\"\n", []string{"webhook.max_skew: must be from"}},
		{"skew not a duration", head + "max_skew = 300\n", []string{"webhook.max_skew: duration must be a string"}},
		{"body too small", head + "body_limit = 10\n", []string{"webhook.body_limit: must be from 1024 to 67108864 bytes"}},
		{"body negative", head + "body_limit = -1\n", []string{"webhook.body_limit: must be from"}},
		{"limits set", head + "max_connections = 1\nmax_inflight_bytes = 1048576\ninflight_wait = \"10ms\"\nrefusal_log_every = \"1s\"\n", nil},
		{"connections negative", head + "max_connections = -1\n", []string{"webhook.max_connections: must be from 1 to 65536"}},
		{"connections too many", head + "max_connections = 100000\n", []string{"webhook.max_connections: must be from 1 to 65536"}},
		{"inflight below body limit", head + "body_limit = 2097152\nmax_inflight_bytes = 1048576\n", []string{"webhook.max_inflight_bytes: must be at least body_limit (2097152 bytes)"}},
		{"inflight below default body limit", head + "max_inflight_bytes = 4096\n", []string{"webhook.max_inflight_bytes: must be at least body_limit (1048576 bytes)"}},
		{"inflight too large", head + "max_inflight_bytes = 2147483648\n", []string{"webhook.max_inflight_bytes: must be from body_limit"}},
		{"inflight wait too short", head + "inflight_wait = \"1ms\"\n", []string{"webhook.inflight_wait: must be from 10ms to 1m0s"}},
		{"inflight wait not a duration", head + "inflight_wait = 5\n", []string{"webhook.inflight_wait: duration must be a string"}},
		{"refusal log too often", head + "refusal_log_every = \"100ms\"\n", []string{"webhook.refusal_log_every: must be from 1s to 1h0m0s"}},
		{"refusal log too rare", head + "refusal_log_every = \"2h\"\n", []string{"webhook.refusal_log_every: must be from 1s to 1h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.toml", []byte(tt.toml))
			var ps []Problem
			var ce *Error
			if errors.As(err, &ce) {
				for _, p := range ce.Problems {
					if strings.HasPrefix(p.Key, "webhook") {
						ps = append(ps, p)
					}
				}
			} else if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			var msgs []string
			for _, p := range ps {
				msgs = append(msgs, p.String())
			}
			all := strings.Join(msgs, "\n")
			if len(tt.want) == 0 && len(ps) != 0 {
				t.Fatalf("problems = %q, want none", all)
			}
			if len(tt.want) > 0 && len(ps) == 0 {
				t.Fatalf("no problems, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems = %q, want one containing %q", all, w)
				}
			}
		})
	}
}

func TestWebhookUnknownKey(t *testing.T) {
	_, err := Parse("test.toml", []byte("mode = \"paper\"\n[webhook]\npublic_key = \"a.pem\"\n"))
	if err == nil || !strings.Contains(err.Error(), "webhook.public_key: unknown key") {
		t.Fatalf("Parse() = %v, want webhook.public_key: unknown key", err)
	}
}

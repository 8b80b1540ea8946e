package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHeropaymentsSection(t *testing.T) {
	cfg, err := Parse("t.toml", []byte(`mode = "paper"
[heropayments]
enabled = true
base_url = "https://api.heropayments.io"
flow = "custody"
callback_path = "/hooks/heropayments"
callback_url = "https://engine.example.com/hooks/heropayments"
poll_after = "20m"
poll_every = "2m"
merchant_daily_limit = "50000"
customer_daily_limit = "2000.50"
`))
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	h := cfg.Heropayments
	if !h.Enabled || h.Flow != "custody" || h.CallbackPath != "/hooks/heropayments" || h.PollAfter.Duration != 20*time.Minute ||
		h.PollEvery.Duration != 2*time.Minute || h.MerchantDailyLimit.String() != "50000" || h.CustomerDailyLimit.String() != "2000.5" ||
		!h.HasLimits() || h.LimitsCurrency != "USDT" || h.RateLimit != 5 {
		t.Errorf("Heropayments = %+v", h)
	}
	if d := Default().Heropayments; d.Enabled || d.Flow != "v2" || d.HasLimits() || d.PollAfter.Duration != 15*time.Minute {
		t.Errorf("default section %+v; want disabled, v2, no limits, poll after 15m", d)
	}
}

func TestHeropaymentsProblems(t *testing.T) {
	for _, c := range []struct {
		name, toml string
		want       []string
	}{
		{"flow", `flow = "v3"`, []string{`heropayments.flow: must be "v2" or "custody"`}},
		{"base url", `base_url = "http://api.heropayments.io"`, []string{"heropayments.base_url: plain http"}},
		{"callback path", `callback_path = "hooks"`, []string{"heropayments.callback_path: must be a URL path"}},
		{"callback url", `callback_url = "ftp://x"`, []string{"heropayments.callback_url: must be an absolute http(s) URL"}},
		{"durations", "poll_after = \"0s\"\npoll_every = \"soon\"", []string{"heropayments.poll_after: must be at least 1s", `heropayments.poll_every: duration "soon"`}},
		{"client", "rate_limit = 0.0\nburst = 0\nmax_retries = 11", []string{"heropayments.rate_limit", "heropayments.burst", "heropayments.max_retries"}},
		{"one limit", `merchant_daily_limit = "100"`, []string{"heropayments.merchant_daily_limit: set both"}},
		{"customer over merchant", "merchant_daily_limit = \"100\"\ncustomer_daily_limit = \"200\"", []string{"heropayments.customer_daily_limit: 200 exceeds"}},
		{"float limit", `merchant_daily_limit = 100.5`, []string{"heropayments.merchant_daily_limit: want a decimal string"}},
		{"negative limit", `customer_daily_limit = "-1"`, []string{"heropayments.customer_daily_limit: must not be negative"}},
		{"limits currency", "merchant_daily_limit = \"100\"\ncustomer_daily_limit = \"10\"\nlimits_currency = \"usdt\"", []string{"heropayments.limits_currency"}},
		{"secret in file", `api_secret = "s3cr3t"`, []string{"heropayments.api_secret: secrets are not read", "HEROPAYMENTS_API_SECRET"}},
		{"key in file", `api_key = "k3y"`, []string{"heropayments.api_key: secrets are not read", "HEROPAYMENTS_API_KEY"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.toml", []byte("mode = \"paper\"\n[heropayments]\n"+c.toml+"\n"))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse() = %v, want *config.Error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse() = %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "k3y") {
				t.Errorf("Parse() repeats a secret: %q", err)
			}
		})
	}
}

func TestHeropaymentsSecrets(t *testing.T) {
	cfg, err := Parse("t.toml", []byte("mode = \"live\"\n[hercle]\nenvironment = \"sandbox\"\n[heropayments]\nenabled = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := Secrets{HercleAPIKey: NewSecret("h")}
	if err := cfg.RequireSecrets(s); err == nil || !strings.Contains(err.Error(), "HEROPAYMENTS_API_KEY") || !strings.Contains(err.Error(), "HEROPAYMENTS_API_SECRET") {
		t.Errorf("RequireSecrets(no Heropayments secrets) = %v, want both named", err)
	}
	s.HeropaymentsKey, s.HeropaymentsSecret = NewSecret("k"), NewSecret("s")
	if err := cfg.RequireSecrets(s); err != nil {
		t.Errorf("RequireSecrets(all) = %v", err)
	}
	cfg.Heropayments.Enabled = false
	if err := cfg.RequireSecrets(Secrets{HercleAPIKey: NewSecret("h")}); err != nil {
		t.Errorf("RequireSecrets with heropayments disabled = %v", err)
	}
	cfg.Mode, cfg.Heropayments.Enabled = ModePaper, true
	if err := cfg.RequireSecrets(Secrets{}); err != nil {
		t.Errorf("RequireSecrets in paper mode = %v; the simulator has its own credentials", err)
	}
}

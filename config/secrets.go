package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/otcdesk/engine/merchant"
)

// Secret is a credential. Its String, GoString, MarshalText and LogValue all
// print "[redacted]", so it cannot leak through fmt, slog or JSON by accident;
// Reveal returns the value for the one place that sends it.
type Secret struct{ v string }

// NewSecret wraps v.
func NewSecret(v string) Secret { return Secret{v} }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return s.v }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s.v != "" }

func (s Secret) String() string                { return redacted(s) }
func (s Secret) GoString() string              { return redacted(s) }
func (s Secret) MarshalText() ([]byte, error)  { return []byte(redacted(s)), nil }
func (s Secret) LogValue() slog.Value          { return slog.StringValue(redacted(s)) }
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted(s)) }

func redacted(s Secret) string {
	if s.v == "" {
		return "[unset]"
	}
	return "[redacted]"
}

// Secrets are the credentials the engine uses. Each comes from an environment
// variable, or from the file named by the same variable with a _FILE suffix.
type Secrets struct {
	HercleAPIKey       Secret // HERCLE_API_KEY
	HeropaymentsKey    Secret // HEROPAYMENTS_API_KEY
	HeropaymentsSecret Secret // HEROPAYMENTS_API_SECRET
	AdminToken         Secret // ADMIN_TOKEN
	// AdminName names the holder of the admin token in the audit trail
	// (ADMIN_TOKEN_NAME; "admin" when unset). It is not a secret.
	AdminName string
}

// secretVars maps each secret's environment variable to the TOML key names a
// user might mistakenly put it under, for the refusal message.
var secretVars = []struct {
	env  string
	keys []string
}{
	{"HERCLE_API_KEY", []string{"hercle.api_key", "hercle.apikey", "hercle.key", "hercle.token"}},
	{"HEROPAYMENTS_API_KEY", []string{"heropayments.api_key", "heropayments.apikey", "heropayments.key"}},
	{"HEROPAYMENTS_API_SECRET", []string{"heropayments.api_secret", "heropayments.secret"}},
	{"ADMIN_TOKEN", []string{"admin.token", "admin.admin_token", "admin_token"}},
}

// secretHome returns the environment variable a TOML key that looks like a
// secret belongs in, or "" if the key does not look like one.
func secretHome(key string) string {
	k := strings.ToLower(key)
	for _, s := range secretVars {
		for _, name := range s.keys {
			if k == name {
				return s.env
			}
		}
	}
	last := k[strings.LastIndex(k, ".")+1:]
	for _, word := range []string{"api_key", "apikey", "secret", "token", "password", "passphrase", "private_key"} {
		if strings.Contains(last, word) {
			switch {
			case strings.HasPrefix(k, "hercle."):
				return "HERCLE_API_KEY"
			case strings.HasPrefix(k, "heropayments.") && strings.Contains(last, "secret"):
				return "HEROPAYMENTS_API_SECRET"
			case strings.HasPrefix(k, "heropayments."):
				return "HEROPAYMENTS_API_KEY"
			case strings.HasPrefix(k, "admin."):
				return "ADMIN_TOKEN"
			}
			return "an environment variable"
		}
	}
	return ""
}

// LoadSecrets reads every secret from getenv: NAME, or the file named by
// NAME_FILE (trailing newlines trimmed). Setting both is an error, as is an
// unreadable or empty file. A missing secret is not an error here; the
// component that needs it says so.
func LoadSecrets(getenv func(string) string) (Secrets, error) {
	var s Secrets
	var errs []error
	read := func(name string) Secret {
		v, f := getenv(name), getenv(name+"_FILE")
		switch {
		case v != "" && f != "":
			errs = append(errs, fmt.Errorf("%s and %s_FILE are both set: set one", name, name))
		case f != "":
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return Secret{}
			}
			v = strings.TrimRight(string(b), "\r\n")
			if v == "" {
				errs = append(errs, fmt.Errorf("%s_FILE: %s is empty", name, f))
			}
		}
		return Secret{v}
	}
	s.HercleAPIKey = read("HERCLE_API_KEY")
	s.HeropaymentsKey = read("HEROPAYMENTS_API_KEY")
	s.HeropaymentsSecret = read("HEROPAYMENTS_API_SECRET")
	s.AdminToken = read("ADMIN_TOKEN")
	s.AdminName = strings.TrimSpace(getenv("ADMIN_TOKEN_NAME"))
	if s.AdminName == "" {
		s.AdminName = "admin"
	}
	if len(s.AdminName) > 64 {
		errs = append(errs, errors.New("ADMIN_TOKEN_NAME: at most 64 bytes"))
	}
	return s, errors.Join(errs...)
}

// Values returns every secret that is set, for a log scrubber. Handle the
// result as carefully as the secrets themselves.
func (s Secrets) Values() []string {
	var out []string
	for _, v := range []Secret{s.HercleAPIKey, s.HeropaymentsKey, s.HeropaymentsSecret, s.AdminToken} {
		if v.IsSet() {
			out = append(out, v.v)
		}
	}
	return out
}

// requireHeropaymentsSecrets reports the Heropayments secrets an enabled live section
// lacks. Paper mode uses the simulator's own credentials.
func requireHeropaymentsSecrets(h merchant.Settings, mode string, s Secrets) error {
	if !h.Enabled || mode != ModeLive {
		return nil
	}
	var errs []error
	if !s.HeropaymentsKey.IsSet() {
		errs = append(errs, errors.New("heropayments is enabled in live mode: set HEROPAYMENTS_API_KEY or HEROPAYMENTS_API_KEY_FILE"))
	}
	if !s.HeropaymentsSecret.IsSet() {
		errs = append(errs, errors.New("heropayments is enabled in live mode: set HEROPAYMENTS_API_SECRET or HEROPAYMENTS_API_SECRET_FILE (it also verifies the callbacks)"))
	}
	return errors.Join(errs...)
}

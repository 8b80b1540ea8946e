package notify

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// readSecret returns the value of the variable name from getenv, or the
// content of the file named by name_FILE (trailing newlines trimmed).
// Its errors name the variable and the file, never the value.
func readSecret(getenv func(string) string, sink, name string) (string, error) {
	fail := func(err error) (string, error) { return "", &SecretError{Sink: sink, Var: name, Err: err} }
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return fail(fmt.Errorf("both %s and %s_FILE are set: set one", name, name))
	case v != "":
		return v, nil
	case file == "":
		return fail(unsetError{name})
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return fail(fmt.Errorf("%s_FILE: %w", name, err))
	}
	v = strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return fail(fmt.Errorf("%s_FILE: %s is empty", name, file))
	}
	return v, nil
}

// unsetError says which variables to set; it is ErrSecretUnset.
type unsetError struct{ name string }

func (e unsetError) Error() string {
	return fmt.Sprintf("not set; set %s or %s_FILE", e.name, e.name)
}

func (e unsetError) Is(target error) bool { return target == ErrSecretUnset }

// secrets are one sink's resolved secrets; each is empty when the sink's
// type has none of that kind.
type secrets struct {
	url    string // Slack, or a webhook with url_env
	token  string // Telegram
	signer string // webhook
}

// values returns the secrets that are set.
func (s secrets) values() []string {
	var out []string
	for _, v := range []string{s.url, s.token, s.signer} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// resolveSecrets reads the secrets s names. A URL read from the
// environment is checked here, where its variable can be named.
func (s SinkConfig) resolveSecrets(getenv func(string) string) (secrets, error) {
	var out secrets
	var errs []error
	read := func(name string) string {
		if name == "" {
			return ""
		}
		v, err := readSecret(getenv, s.Name, name)
		errs = append(errs, err)
		return v
	}
	out.url = read(s.URLEnv)
	if out.url != "" {
		if err := checkURL(out.url); err != nil {
			errs = append(errs, &SecretError{Sink: s.Name, Var: s.URLEnv, Err: err})
		}
	}
	out.token = read(s.TokenEnv)
	if strings.ContainsAny(out.token, "/?#% \t") {
		errs = append(errs, &SecretError{Sink: s.Name, Var: s.TokenEnv, Err: errors.New("is not a bot token (it has characters a token never has; the value is not shown)")})
	}
	out.signer = read(s.SecretEnv)
	return out, errors.Join(errs...)
}

// SecretValues returns the value of every secret c names that getenv (or
// a _FILE) provides, for a log scrubber such as internal/redact; missing
// ones are left out. Handle the result as carefully as the secrets.
func (c Config) SecretValues(getenv func(string) string) []string {
	var out []string
	for _, s := range c.Sinks {
		sec, _ := s.resolveSecrets(getenv)
		out = append(out, sec.values()...)
	}
	return out
}

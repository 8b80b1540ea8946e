package notify

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// Sink types.
const (
	TypeSlack    = "slack"
	TypeTelegram = "telegram"
	TypeWebhook  = "webhook"
)

// Defaults, applied by WithDefaults to zero fields.
const (
	DefaultDedupWindow    = 10 * time.Minute
	DefaultGiveUpAfter    = 10 * time.Minute
	DefaultDrainGrace     = 5 * time.Second
	DefaultRequestTimeout = 10 * time.Second
	DefaultDropLogEvery   = time.Minute
	DefaultQueueSize      = 256
	// DefaultRatePerMinute and DefaultBurst stay under Slack's one message
	// per second per webhook and Telegram's 20 per minute per group.
	DefaultRatePerMinute = 20
	DefaultBurst         = 5
	// DefaultTelegramURL is the Bot API's base URL.
	DefaultTelegramURL = "https://api.telegram.org"
)

// Config is the [notify] section. Every zero field means its default, so a
// section with only sinks is complete; no sinks means no notifications.
// It holds no secret: a sink names the environment variables its secrets
// are read from.
type Config struct {
	// DedupWindow: an event whose Key a sink has queued within this window
	// is not queued for it again.
	DedupWindow tomlval.Duration `toml:"dedup_window"`
	// GiveUpAfter bounds how long an event may wait and be retried, from
	// the moment it was queued; then it is dropped and counted.
	GiveUpAfter tomlval.Duration `toml:"give_up_after"`
	// DrainGrace is how long shutdown keeps sending what is queued.
	DrainGrace tomlval.Duration `toml:"drain_grace"`
	// RequestTimeout bounds one HTTP attempt.
	RequestTimeout tomlval.Duration `toml:"request_timeout"`
	// DropLogEvery is the shortest interval between two log lines of a
	// sink counting dropped events.
	DropLogEvery tomlval.Duration `toml:"drop_log_every"`
	// QueueSize is how many events each sink holds while it sends; past it
	// new events are dropped and counted.
	QueueSize int          `toml:"queue_size"`
	Sinks     []SinkConfig `toml:"sinks"`
}

// SinkConfig is one [[notify.sinks]] table. Which fields a sink uses
// depends on its Type; setting one it does not use is an error.
type SinkConfig struct {
	// Name labels the sink in logs and metrics: lower-case letters,
	// digits, "-" and "_", unique.
	Name string `toml:"name"`
	// Type is "slack", "telegram" or "webhook".
	Type string `toml:"type"`
	// Classes are the event classes the sink receives (see Classes).
	Classes []string `toml:"classes"`
	// URL is a webhook sink's endpoint, when it is not a secret.
	URL string `toml:"url"`
	// URLEnv names the environment variable holding the URL (or, with
	// _FILE appended, a file holding it): required for Slack, whose
	// incoming-webhook URL is itself the credential; for a webhook sink,
	// instead of URL.
	URLEnv string `toml:"url_env"`
	// BaseURL overrides the Telegram Bot API's base URL.
	BaseURL string `toml:"base_url"`
	// ChatID is the Telegram chat: a number or "@channelname".
	ChatID ChatID `toml:"chat_id"`
	// TokenEnv names the variable holding the Telegram bot token.
	TokenEnv string `toml:"token_env"`
	// SecretEnv names the variable holding a webhook sink's signing secret.
	SecretEnv string `toml:"secret_env"`
	// RatePerMinute and Burst shape the sink's token bucket: events over
	// the rate are summed up in one "N more events" message.
	RatePerMinute float64 `toml:"rate_per_minute"`
	Burst         int     `toml:"burst"`
}

// ChatID is a Telegram chat id. In TOML it may be written as a number
// (-1001234567890) or a string ("@desk_alerts").
type ChatID string

// UnmarshalTOML implements toml.Unmarshaler.
func (c *ChatID) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		*c = ChatID(x)
	case int64:
		*c = ChatID(strconv.FormatInt(x, 10))
	default:
		return fmt.Errorf("chat_id must be a number or a string, got %T", v)
	}
	return nil
}

// DefaultConfig returns the configuration with every default and no sink.
func DefaultConfig() Config { return Config{}.WithDefaults() }

// WithDefaults returns c with every zero field, its sinks' included, set to
// its default. A value that failed to decode is kept for Validate.
func (c Config) WithDefaults() Config {
	dur := func(d *tomlval.Duration, def time.Duration) {
		if d.Duration == 0 && d.Err() == nil {
			*d = tomlval.Dur(def)
		}
	}
	dur(&c.DedupWindow, DefaultDedupWindow)
	dur(&c.GiveUpAfter, DefaultGiveUpAfter)
	dur(&c.DrainGrace, DefaultDrainGrace)
	dur(&c.RequestTimeout, DefaultRequestTimeout)
	dur(&c.DropLogEvery, DefaultDropLogEvery)
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	c.Sinks = slices.Clone(c.Sinks)
	for i := range c.Sinks {
		s := &c.Sinks[i]
		if s.RatePerMinute == 0 {
			s.RatePerMinute = DefaultRatePerMinute
		}
		if s.Burst == 0 {
			s.Burst = DefaultBurst
		}
		if s.Type == TypeTelegram && s.BaseURL == "" {
			s.BaseURL = DefaultTelegramURL
		}
	}
	return c
}

var (
	sinkName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Validate returns every problem, each prefixed with its key path
// ("notify.sinks[1].type: ..."), joined; nil for a valid section. Zero
// fields are valid: they take their defaults. No message quotes the value
// of a *_env key, in case a secret was pasted there by mistake.
func (c Config) Validate() error {
	var p tomlval.Problems
	for _, d := range []struct {
		key string
		v   tomlval.Duration
	}{
		{"dedup_window", c.DedupWindow},
		{"give_up_after", c.GiveUpAfter},
		{"drain_grace", c.DrainGrace},
		{"request_timeout", c.RequestTimeout},
		{"drop_log_every", c.DropLogEvery},
	} {
		if p.Duration("notify."+d.key, d.v) && d.v.Duration < 0 {
			p.Add("notify."+d.key, "must not be negative, got %s", d.v.Duration)
		}
	}
	if c.QueueSize < 0 || c.QueueSize > 1_000_000 {
		p.Add("notify.queue_size", "must be from 1 to 1000000 (0: %d), got %d", DefaultQueueSize, c.QueueSize)
	}
	names := map[string]int{}
	for i, s := range c.Sinks {
		key := fmt.Sprintf("notify.sinks[%d]", i)
		if j, dup := names[s.Name]; dup {
			p.Add(key+".name", "%q is already the name of notify.sinks[%d]", s.Name, j)
		} else if s.Name != "" {
			names[s.Name] = i
		}
		s.problems(&p, key)
	}
	return p.Err("notify")
}

// problems adds the sink's problems under key: what every sink has, then
// what its type needs and must not have.
func (s SinkConfig) problems(p *tomlval.Problems, key string) {
	s.commonProblems(p, key)
	s.typeProblems(p, key)
}

// commonProblems checks the name, classes and rate limit.
func (s SinkConfig) commonProblems(p *tomlval.Problems, key string) {
	if !sinkName.MatchString(s.Name) {
		p.Add(key+".name", "must be lower-case letters, digits, - and _ (it labels logs and metrics), got %q", s.Name)
	}
	if len(s.Classes) == 0 {
		p.Add(key+".classes", "must list at least one of %v", Classes())
	}
	for j, cl := range s.Classes {
		switch {
		case !Class(cl).known():
			p.Add(fmt.Sprintf("%s.classes[%d]", key, j), "unknown class %q: want one of %v", cl, Classes())
		case slices.Index(s.Classes, cl) < j:
			p.Add(fmt.Sprintf("%s.classes[%d]", key, j), "%q is listed twice", cl)
		}
	}
	if s.RatePerMinute < 0 {
		p.Add(key+".rate_per_minute", "must not be negative (0: %d), got %v", DefaultRatePerMinute, s.RatePerMinute)
	}
	if s.Burst < 0 {
		p.Add(key+".burst", "must not be negative (0: %d), got %d", DefaultBurst, s.Burst)
	}
}

// typeProblems checks what the sink's type needs (a secret's variable, a
// chat, a URL) and refuses fields another type uses.
func (s SinkConfig) typeProblems(p *tomlval.Problems, key string) {
	env := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			p.Add(key+"."+field, "required: the name of the environment variable holding the %s sink's secret", s.Type)
		case v != "" && !envName.MatchString(v):
			p.Add(key+"."+field, "must name an environment variable (letters, digits and _), not hold the secret itself; the value is not shown")
		}
	}
	unused := func(fields ...string) {
		for _, f := range fields {
			p.Add(key+"."+f, "is not used by a %s sink; remove it", s.Type)
		}
	}
	var extra []string
	set := func(field string, isSet bool) {
		if isSet {
			extra = append(extra, field)
		}
	}
	switch s.Type {
	case TypeSlack:
		if s.URL != "" {
			p.Add(key+".url", "a Slack incoming-webhook URL is a secret: remove it, put it in the environment and name the variable in url_env")
		}
		env("url_env", s.URLEnv, true)
		set("base_url", s.BaseURL != "")
		set("chat_id", s.ChatID != "")
		set("token_env", s.TokenEnv != "")
		set("secret_env", s.SecretEnv != "")
	case TypeTelegram:
		if s.ChatID == "" {
			p.Add(key+".chat_id", "required: the chat to send to, a number or \"@channelname\"")
		}
		env("token_env", s.TokenEnv, true)
		if s.BaseURL != "" {
			if _, err := venuehttp.ParseBaseURL(s.BaseURL); err != nil {
				p.Add(key+".base_url", "%v", err)
			}
		}
		set("url", s.URL != "")
		set("url_env", s.URLEnv != "")
		set("secret_env", s.SecretEnv != "")
	case TypeWebhook:
		switch {
		case s.URL == "" && s.URLEnv == "":
			p.Add(key+".url", "required: set url, or url_env to read it from the environment")
		case s.URL != "" && s.URLEnv != "":
			p.Add(key+".url", "set url or url_env, not both")
		case s.URL != "":
			if err := checkURL(s.URL); err != nil {
				p.Add(key+".url", "%v", err)
			}
		}
		env("url_env", s.URLEnv, false)
		env("secret_env", s.SecretEnv, true)
		set("base_url", s.BaseURL != "")
		set("chat_id", s.ChatID != "")
		set("token_env", s.TokenEnv != "")
	default:
		p.Add(key+".type", "must be %q, %q or %q, got %q", TypeSlack, TypeTelegram, TypeWebhook, s.Type)
	}
	unused(extra...)
}

// checkURL accepts an absolute https URL, or http to a loopback host (a
// local receiver), without credentials. Its messages never quote the URL:
// it may be a secret.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return errors.New("must be an absolute https URL (the value is not shown)")
	case u.User != nil:
		return errors.New("must not carry credentials in the URL")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && venuehttp.IsLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return errors.New("plain http is allowed only to a loopback host; use https")
	}
	return errors.New("scheme must be https")
}

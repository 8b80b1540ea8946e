package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/otcdesk/engine/backtest"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/internal/venuehttp"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/webhookd"
)

// Modes the engine runs in.
const (
	// ModePaper runs everything against the simulator started in-process on
	// loopback, over the real protocols. It is the safe default.
	ModePaper = "paper"
	// ModeLive connects to Hercle with HERCLE_API_KEY; it must be chosen
	// explicitly together with hercle.environment.
	ModeLive = "live"
)

// Config is the whole configuration. Each component takes its own section.
type Config struct {
	// Mode is "paper" or "live". Required: the file must say which.
	Mode   string     `toml:"mode"`
	Log    Log        `toml:"log"`
	Hercle Hercle     `toml:"hercle"`
	Sim    sim.Config `toml:"sim"`
	Ledger Ledger     `toml:"ledger"`

	Maintenance Maintenance `toml:"maintenance"`

	Feeds      Feeds           `toml:"feeds"`
	Risk       risk.Limits     `toml:"risk"`
	Execution  Execution       `toml:"execution"`
	Strategies []Strategy      `toml:"strategy"`
	Metrics    Metrics         `toml:"metrics"`
	Admin      Admin           `toml:"admin"`
	Treasury   Treasury        `toml:"treasury"`
	Webhook    webhookd.Config `toml:"webhook"`

	Heropayments Heropayments       `toml:"heropayments"`
	Reconcile    reconcile.Settings `toml:"reconcile"`
	Backtest     backtest.Config    `toml:"backtest"`
}

// Log configures the process log.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// Hercle configures the Hercle REST client. In paper mode Environment and
// BaseURL are ignored: the client talks to the embedded simulator.
type Hercle struct {
	// Environment is "sandbox" or "production". Required in live mode.
	Environment string `toml:"environment"`
	// BaseURL overrides Environment, for a proxy or a standalone simulator.
	BaseURL string `toml:"base_url"`
	// Timeout bounds each request, retries included.
	Timeout Duration `toml:"timeout"`
	// RateLimit is the client-side ceiling in requests per second.
	RateLimit float64 `toml:"rate_limit"`
	// Burst is how many requests may go at once above the steady rate.
	Burst int `toml:"burst"`
	// MaxRetries bounds automatic retries of a request that provably was not
	// processed (and of reads). Money-moving requests are never retried blindly.
	MaxRetries int `toml:"max_retries"`
}

// Ledger configures the bbolt ledger.
type Ledger struct {
	// Path of the database file, created 0600.
	Path string `toml:"path"`
	// LockTimeout bounds the wait for a file held by another process.
	LockTimeout Duration `toml:"lock_timeout"`
}

// Maintenance is the venue's weekly maintenance window and any announced
// extra windows. While one is open (margins included) nothing new is sent
// that moves money, and feed drops do not alert.
type Maintenance struct {
	// Zone is a fixed offset ("UTC+01:00", never moves with daylight
	// saving) or an IANA name ("Europe/Rome", moves with it).
	Zone    string `toml:"zone"`
	Weekday string `toml:"weekday"`
	Start   string `toml:"start"` // HH:MM in Zone
	End     string `toml:"end"`   // HH:MM in Zone; at or before Start means the next day
	// MarginBefore and MarginAfter widen every window.
	MarginBefore Duration            `toml:"margin_before"`
	MarginAfter  Duration            `toml:"margin_after"`
	Extra        []MaintenanceWindow `toml:"extra"`
}

// MaintenanceWindow is a one-off window, given as TOML offset date-times.
type MaintenanceWindow struct {
	From time.Time `toml:"from"`
	To   time.Time `toml:"to"`
}

// Gate builds the maintenance gate the scheduler, execution and treasury
// share.
func (m Maintenance) Gate() (*scheduler.Gate, error) {
	var errs []error
	zone, err := scheduler.ParseZone(m.Zone)
	errs = append(errs, err)
	day, err := scheduler.ParseWeekday(m.Weekday)
	errs = append(errs, err)
	sh, sm, err := scheduler.ParseClock(m.Start)
	errs = append(errs, err)
	eh, em, err := scheduler.ParseClock(m.End)
	errs = append(errs, err)
	errs = append(errs, m.MarginBefore.err, m.MarginAfter.err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	gc := scheduler.GateConfig{
		Weekly: []scheduler.Weekly{{Day: day, StartHour: sh, StartMinute: sm, EndHour: eh, EndMinute: em, Zone: zone}},
		Before: m.MarginBefore.Duration,
		After:  m.MarginAfter.Duration,
	}
	for _, x := range m.Extra {
		gc.Extra = append(gc.Extra, scheduler.Span{From: x.From, To: x.To})
	}
	return scheduler.NewGate(gc)
}

// Default returns the configuration used for every key a file leaves out.
func Default() Config {
	return Config{
		Mode: ModePaper,
		Log:  Log{Level: "info", Format: "text"},
		Hercle: Hercle{
			Timeout:    D(10 * time.Second),
			RateLimit:  10,
			Burst:      5,
			MaxRetries: 4,
		},
		Sim: sim.DefaultConfig(),
		Ledger: Ledger{
			Path:        "data/ledger.db",
			LockTimeout: D(time.Second),
		},
		Maintenance: Maintenance{
			Zone:         "UTC+01:00",
			Weekday:      "Wednesday",
			Start:        "10:00",
			End:          "11:00",
			MarginBefore: D(5 * time.Minute),
			MarginAfter:  D(5 * time.Minute),
		},
		Feeds:     Feeds{StaleAfter: D(5 * time.Second)},
		Risk:      defaultRisk(),
		Execution: Execution{FollowEvery: D(time.Second), Lookups: 30},
		Metrics:   Metrics{Addr: "127.0.0.1:9464"},
		Admin:     Admin{Addr: "127.0.0.1:9465"},

		Heropayments: DefaultHeropayments(),
	}
}

// Problem is one thing wrong with a configuration, under its dotted key
// path ("hercle.timeout").
type Problem = tomlval.Problem

// Error lists every problem found in a configuration file; Name is the
// file.
type Error = tomlval.Error

// Load reads the TOML file at path over Default and validates it. It returns
// *Error listing every problem, or a plain error if the file cannot be read
// or is not TOML at all.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return Parse(path, b)
}

// Parse is Load on bytes already read; name is used in messages.
func Parse(name string, data []byte) (Config, error) {
	cfg := Default()
	md, err := toml.NewDecoder(strings.NewReader(string(data))).Decode(&cfg)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Config{}, &Error{Name: name, Problems: []Problem{{
				Key: fmt.Sprintf("line %d", pe.Position.Line), Msg: pe.Message,
			}}}
		}
		return Config{}, &Error{Name: name, Problems: []Problem{{Key: "(file)", Msg: err.Error()}}}
	}
	var ps []Problem
	for _, k := range md.Undecoded() {
		key := k.String()
		if strings.HasPrefix(key, "strategy.params.") {
			continue // checked strictly by Strategy.Decode
		}
		if env := secretHome(key); env != "" {
			ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf("secrets are not read from the config file; remove it and set %s (or %s_FILE)", env, env)})
			continue
		}
		ps = append(ps, Problem{Key: key, Msg: "unknown key"})
	}
	if !md.IsDefined("mode") {
		ps = append(ps, Problem{Key: "mode", Msg: `required: set "paper" or "live"`})
	}
	if cfg.Mode == ModeLive && !md.IsDefined("hercle", "environment") && cfg.Hercle.BaseURL == "" {
		ps = append(ps, Problem{Key: "hercle.environment", Msg: `required in live mode: "sandbox" or "production"`})
	}
	ps = append(ps, cfg.problems()...)
	if len(ps) > 0 {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
		return Config{}, &Error{Name: name, Problems: ps}
	}
	return cfg, nil
}

// Validate checks a configuration built in Go (Load already validates).
func (c Config) Validate() error {
	if ps := c.problems(); len(ps) > 0 {
		return &Error{Name: "config", Problems: ps}
	}
	return nil
}

func (c Config) problems() []Problem {
	var ps []Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	duration := func(key string, d Duration, min time.Duration) {
		if d.err != nil {
			add(key, "%v", d.err)
		} else if d.Duration < min {
			add(key, "must be at least %s, got %s", min, d.Duration)
		}
	}
	sub := func(section string, sps []Problem) {
		for _, p := range sps {
			ps = append(ps, Problem{Key: section + "." + p.Key, Msg: p.Msg})
		}
	}

	switch c.Mode {
	case ModePaper, ModeLive:
	default:
		add("mode", `must be "paper" or "live", got %q`, c.Mode)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", `must be debug, info, warn or error, got %q`, c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format", `must be "text" or "json", got %q`, c.Log.Format)
	}

	switch c.Hercle.Environment {
	case "", "sandbox", "production":
	default:
		add("hercle.environment", `must be "sandbox" or "production", got %q`, c.Hercle.Environment)
	}
	if c.Hercle.BaseURL != "" {
		u, err := url.Parse(c.Hercle.BaseURL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			add("hercle.base_url", "must be an absolute http(s) URL, got %q", c.Hercle.BaseURL)
		case u.Scheme == "http" && !venuehttp.IsLoopback(u.Hostname()):
			add("hercle.base_url", "plain http is only allowed to a loopback host (the simulator); use https")
		case u.User != nil:
			add("hercle.base_url", "must not carry credentials; the API key comes from HERCLE_API_KEY")
		}
	}
	duration("hercle.timeout", c.Hercle.Timeout, time.Millisecond)
	if c.Hercle.RateLimit <= 0 {
		add("hercle.rate_limit", "must be a positive number of requests per second, got %v", c.Hercle.RateLimit)
	}
	if c.Hercle.Burst < 1 {
		add("hercle.burst", "must be at least 1, got %d", c.Hercle.Burst)
	}
	if c.Hercle.MaxRetries < 0 || c.Hercle.MaxRetries > 10 {
		add("hercle.max_retries", "must be from 0 to 10, got %d", c.Hercle.MaxRetries)
	}

	sub("sim", c.Sim.Problems())

	if c.Ledger.Path == "" {
		add("ledger.path", "must name the ledger file")
	}
	duration("ledger.lock_timeout", c.Ledger.LockTimeout, time.Millisecond)

	m := c.Maintenance
	before := len(ps)
	if _, err := scheduler.ParseZone(m.Zone); err != nil {
		add("maintenance.zone", "%v", err)
	}
	if _, err := scheduler.ParseWeekday(m.Weekday); err != nil {
		add("maintenance.weekday", "%v", err)
	}
	if _, _, err := scheduler.ParseClock(m.Start); err != nil {
		add("maintenance.start", "%v", err)
	}
	if _, _, err := scheduler.ParseClock(m.End); err != nil {
		add("maintenance.end", "%v", err)
	}
	duration("maintenance.margin_before", m.MarginBefore, 0)
	duration("maintenance.margin_after", m.MarginAfter, 0)
	for i, x := range m.Extra {
		if !x.To.After(x.From) {
			add(fmt.Sprintf("maintenance.extra[%d]", i), "to (%s) must be after from (%s)", x.To.Format(time.RFC3339), x.From.Format(time.RFC3339))
		}
	}
	if len(ps) == before {
		if _, err := m.Gate(); err != nil {
			add("maintenance", "%v", err)
		}
	}
	ps = append(ps, treasuryProblems(c.Treasury)...)
	ps = append(ps, c.transferCapProblems()...)
	sub("webhook", c.Webhook.Problems())
	if c.Webhook.Enabled && c.Mode == ModeLive && len(c.Webhook.PublicKeys) == 0 {
		add("webhook.public_keys", "required in live mode: list the PEM file(s) of Hercle's webhook public key")
	}
	ps = append(ps, heropaymentsProblems(c.Heropayments)...)
	sub("reconcile", c.Reconcile.Problems())
	return append(ps, c.engineProblems()...)
}

// RequireSecrets reports the secrets the configuration needs but lacks.
func (c Config) RequireSecrets(s Secrets) error {
	if c.Mode == ModeLive && !s.HercleAPIKey.IsSet() {
		return errors.New("live mode needs the Hercle API key: set HERCLE_API_KEY or HERCLE_API_KEY_FILE")
	}
	if s.AdminToken.IsSet() && len(s.AdminToken.Reveal()) < MinAdminToken {
		return fmt.Errorf("ADMIN_TOKEN is %d bytes, shorter than %d: make one with `openssl rand -hex 32` (or `head -c 32 /dev/urandom | base64`)",
			len(s.AdminToken.Reveal()), MinAdminToken)
	}
	return c.Heropayments.RequireSecrets(c.Mode, s)
}

// MinAdminToken is the shortest admin token accepted, in bytes: guessing
// it must be out of reach even without the throttle.
const MinAdminToken = 32

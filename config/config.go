package config

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/otcdesk/engine/backtest"
	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/ha"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/merchant"
	"github.com/otcdesk/engine/notify"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/treasury/policy"
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
	// ModeShadow trades against the in-process simulator at the real
	// venue's prices: the engine's price feed is Hercle's hub (at
	// hercle.environment or base_url, with HERCLE_API_KEY), and each price
	// sets the simulator's. Nothing but the hub's price subscriptions goes
	// to Hercle: no REST client to it is built, so no order, RFQ or
	// movement can leave for it.
	ModeShadow = "shadow"
)

// InProcessVenue reports whether the engine trades against a simulator
// it starts itself: paper mode without hercle.base_url, and shadow mode.
func (c Config) InProcessVenue() bool {
	return c.Mode == ModeShadow || c.Mode == ModePaper && c.Hercle.BaseURL == ""
}

// Config is the whole configuration: each section is the type of the
// component that reads it, with its defaults and validation beside it.
// This package only reads the file, composes the sections, checks what
// spans two of them, and resolves secrets.
type Config struct {
	// Mode is "paper" or "live". Required: the file must say which.
	Mode   string          `toml:"mode"`
	Log    Log             `toml:"log"`
	Hercle hercle.Settings `toml:"hercle"`
	Sim    sim.Config      `toml:"sim"`
	Ledger ledger.Settings `toml:"ledger"`

	Maintenance scheduler.Maintenance `toml:"maintenance"`

	Feeds      feeds.Settings     `toml:"feeds"`
	Risk       risk.Limits        `toml:"risk"`
	Execution  execution.Settings `toml:"execution"`
	Strategies []strategy.Spec    `toml:"strategy"`
	Metrics    Metrics            `toml:"metrics"`
	Admin      Admin              `toml:"admin"`
	Treasury   policy.Config      `toml:"treasury"`
	Webhook    webhookd.Config    `toml:"webhook"`

	Heropayments merchant.Settings  `toml:"heropayments"`
	Reconcile    reconcile.Settings `toml:"reconcile"`
	Backtest     backtest.Config    `toml:"backtest"`
	HA           ha.Settings        `toml:"ha"`

	// Portfolio is the cost method of PnL; its reference and day zone
	// are risk's.
	Portfolio pnl.Settings `toml:"portfolio"`
	// Notify configures the direct notifications (Slack, Telegram, a
	// signed webhook); no sink means none.
	Notify notify.Config `toml:"notify"`
}

// Log configures the process log.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// Default returns the configuration used for every key a file leaves out.
func Default() Config {
	return Config{
		Mode:         ModePaper,
		Log:          Log{Level: "info", Format: "text"},
		Hercle:       hercle.DefaultSettings(),
		Sim:          sim.DefaultConfig(),
		Ledger:       ledger.DefaultSettings(),
		Maintenance:  scheduler.DefaultMaintenance(),
		Feeds:        feeds.DefaultSettings(),
		Risk:         risk.DefaultLimits(),
		Execution:    execution.DefaultSettings(),
		Metrics:      Metrics{Addr: "127.0.0.1:9464"},
		Admin:        Admin{Addr: "127.0.0.1:9465"},
		Heropayments: merchant.DefaultSettings(),
		HA:           ha.DefaultSettings(),
		Portfolio:    pnl.DefaultSettings(),
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
		return Config{}, &Error{Name: name, Problems: []Problem{tomlval.DecodeProblem(err)}}
	}
	var ps []Problem
	for _, k := range md.Undecoded() {
		key := k.String()
		if strings.HasPrefix(key, "strategy.params.") {
			continue // checked strictly by strategy.Spec.Decode
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
	// A policy that does not say sends in paper mode (to the simulator)
	// and only logs in live mode.
	cfg.Treasury = cfg.Treasury.WithDryRun(cfg.Mode == ModeLive)
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
	var ps tomlval.Problems
	switch c.Mode {
	case ModePaper, ModeLive, ModeShadow:
	default:
		ps.Add("mode", `must be "paper", "live" or "shadow", got %q`, c.Mode)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		ps.Add("log.level", `must be debug, info, warn or error, got %q`, c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		ps.Add("log.format", `must be "text" or "json", got %q`, c.Log.Format)
	}
	ps.Under("hercle", c.Hercle.Problems())
	ps.Under("sim", c.Sim.Problems())
	ps.Under("ledger", c.Ledger.Problems())
	ps.Under("maintenance", c.Maintenance.Problems())
	ps.Under("feeds", c.Feeds.Problems())
	ps.Under("risk", c.Risk.Problems())
	ps.Under("execution", c.Execution.Problems())
	ps.Under("treasury", c.Treasury.Problems())
	ps.Under("webhook", c.Webhook.Problems())
	ps.Under("heropayments", c.Heropayments.Problems())
	ps.Under("reconcile", c.Reconcile.Problems())
	ps.Under("ha", c.HA.Problems())
	ps.Under("portfolio", c.Portfolio.Problems())
	var notifyErr *tomlval.Error
	if errors.As(c.Notify.Validate(), &notifyErr) {
		ps = append(ps, notifyErr.Problems...) // keyed notify.… already
	}
	ps = append(ps, c.listenerProblems()...)
	ps = append(ps, c.strategyProblems()...)
	return append(ps, c.acrossSections()...)
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
	return requireHeropaymentsSecrets(c.Heropayments, c.Mode, s)
}

// RequireRunSecrets is RequireSecrets and what `engine run` needs beyond
// it: the venue's key in shadow mode (to follow Hercle's prices) and in
// paper mode against hercle.base_url. Commands that only read the ledger
// need neither.
func (c Config) RequireRunSecrets(s Secrets) error {
	if err := c.RequireSecrets(s); err != nil {
		return err
	}
	switch {
	case c.Mode == ModeShadow && !s.HercleAPIKey.IsSet():
		return errors.New("shadow mode follows Hercle's prices with its API key (read-only: price subscriptions only): set HERCLE_API_KEY or HERCLE_API_KEY_FILE")
	case c.Mode == ModePaper && c.Hercle.BaseURL != "" && !s.HercleAPIKey.IsSet():
		return errors.New("paper mode against the venue at hercle.base_url needs its API key: set HERCLE_API_KEY (`engine sim` prints it)")
	}
	return nil
}

// MinAdminToken is the shortest admin token accepted, in bytes: guessing
// it must be out of reach even without the throttle.
const MinAdminToken = 32

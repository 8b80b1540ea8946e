package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/sim/heropay"
)

const simExample = `engine sim -config config.toml -addr 127.0.0.1:8700 -hub-drop-every 30s -whitelist-approval manual -heropayments
  then point a client at it: base_url = "http://127.0.0.1:8700" and the keys as printed;
  list what waits for approval and approve a whitelist entry:
    curl -H "Authorization: Bearer $HERCLE_API_KEY" http://127.0.0.1:8700/sim/control/approvals
    curl -X POST -H "Authorization: Bearer $HERCLE_API_KEY" http://127.0.0.1:8700/sim/control/whitelist/<id>/approve
  flags left out take the file's [sim] section; a flag given wins over it`

// simFlags are engine sim's flags beyond the file: each one given changes
// the loaded [sim] section (set), so the file's value stands unless a
// flag overrides it.
type simFlags struct {
	path, addr                 *string
	hookURL, hookKey, envelope *string
	heropayments               *bool
	callbackURL                *string
	set                        []func(*sim.Config)
	names                      []string // the flags given, for the log
}

// define registers the flags on fs.
func (f *simFlags) define(fs *flag.FlagSet) {
	f.path = fs.String("config", defaultConfigPath, "configuration file; its [sim] section configures the simulator, its [maintenance] the window")
	f.addr = fs.String("addr", "", "listen address, loopback only (default: sim.addr of the file)")
	f.hookURL = fs.String("webhook-url", "", "post a signed webhook for every state change to this URL, e.g. http://127.0.0.1:8780/webhooks/hercle")
	f.hookKey = fs.String("webhook-key", "sim-webhook.pem", "with -webhook-url: where to write the webhooks' public key (PEM), for webhook.public_keys")
	f.envelope = fs.String("webhook-envelope", "A", "with -webhook-url: envelope version, A (EventId…, Data a JSON string) or B (eventId…, data an object)")
	f.heropayments = fs.Bool("heropayments", false, "also serve the Heropayments simulator, linked to the venue, with its customers of [sim.customers]")
	f.callbackURL = fs.String("customers-callback-url", "", "with -heropayments: the merchant's callback `URL` for the deposits customers open themselves (empty: customers only pay deposits a merchant opened)")
	str := func(name, usage string, to func(*sim.Config, string)) {
		fs.Func(name, usage, func(v string) error {
			f.given(name, func(c *sim.Config) { to(c, v) })
			return nil
		})
	}
	rate := func(name, usage string, to func(*sim.Config) *float64) {
		key := strings.ReplaceAll(strings.TrimPrefix(name, "webhook-"), "-", "_")
		fs.Func(name, usage+", a `rate` from 0 to 1 (default: sim.webhooks."+key+")", func(v string) error {
			r, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("want a number from 0 to 1, got %q", v)
			}
			f.given(name, func(c *sim.Config) { *to(c) = r })
			return nil
		})
	}
	dur := func(name, usage string, to func(*sim.Config) *tomlval.Duration) {
		fs.Func(name, usage, func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("want a duration such as 30s, got %q", v)
			}
			f.given(name, func(c *sim.Config) { *to(c) = tomlval.Dur(d) })
			return nil
		})
	}
	str("hub-envelope", "hub message envelope `form`: string (the guide's JSON.parse form), object or embedded (default: sim.hub.envelope)",
		func(c *sim.Config, v string) { c.Hub.Envelope = v })
	dur("hub-drop-every", "drop every hub connection every `duration`, 0s never (default: sim.hub.drop_every)",
		func(c *sim.Config) *tomlval.Duration { return &c.Hub.DropEvery })
	rate("webhook-duplicate", "share of webhooks delivered twice", func(c *sim.Config) *float64 { return &c.Webhooks.Duplicate })
	rate("webhook-bad-signature", "share of webhooks whose first attempt is badly signed", func(c *sim.Config) *float64 { return &c.Webhooks.BadSignature })
	rate("webhook-stale-timestamp", "share of webhooks whose first attempt is signed -webhook-stale-by in the past",
		func(c *sim.Config) *float64 { return &c.Webhooks.StaleTimestamp })
	rate("webhook-delay", "share of webhooks delayed up to -webhook-max-delay", func(c *sim.Config) *float64 { return &c.Webhooks.Delay })
	rate("webhook-reorder", "share of webhooks held back behind the next", func(c *sim.Config) *float64 { return &c.Webhooks.Reorder })
	dur("webhook-max-delay", "longest webhook delay, a `duration` (default: sim.webhooks.max_delay)",
		func(c *sim.Config) *tomlval.Duration { return &c.Webhooks.MaxDelay })
	dur("webhook-stale-by", "age of a stale webhook timestamp, a `duration` (default: sim.webhooks.stale_by)",
		func(c *sim.Config) *tomlval.Duration { return &c.Webhooks.StaleBy })
	str("whitelist-approval", "whitelist approval `mode`: auto, or manual (entries wait for POST /sim/control/whitelist/{id}/approve) (default: sim.whitelist_approval)",
		func(c *sim.Config, v string) { c.WhitelistApproval = v })
	str("payee-approval", "payee address approval `mode`: auto, or manual (addresses wait for POST /sim/control/payee-addresses/{id}/approve) (default: sim.payee_approval)",
		func(c *sim.Config, v string) { c.PayeeApproval = v })
	fs.BoolFunc("maintenance", "keep the [maintenance] window: REST answers 503 and the hub closes while it is open; -maintenance=false turns it off (default: sim.maintenance)",
		func(v string) error {
			on, err := strconv.ParseBool(v)
			if err != nil {
				return err
			}
			f.given("maintenance", func(c *sim.Config) { c.Maintenance = on })
			return nil
		})
	dur("customers-every", "with -heropayments: a customer pays every `duration`, 0s none (default: sim.customers.every)",
		func(c *sim.Config) *tomlval.Duration { return &c.Customers.Every })
}

func (f *simFlags) given(name string, set func(*sim.Config)) {
	f.set = append(f.set, set)
	f.names = append(f.names, "-"+name)
}

// apply overrides cfg's [sim] section with the flags given and checks the
// result.
func (f *simFlags) apply(cfg *config.Config) error {
	for _, set := range f.set {
		set(&cfg.Sim)
	}
	if *f.addr != "" {
		cfg.Sim.Addr = *f.addr
	}
	var msgs []string
	for _, p := range cfg.Sim.Problems() {
		msgs = append(msgs, "sim."+p.String())
	}
	if len(msgs) > 0 {
		return fmt.Errorf("sim: %s (from %s or a flag)", strings.Join(msgs, "; "), *f.path)
	}
	return nil
}

// cmdSim runs the venue simulator standalone until interrupted.
func cmdSim(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "sim", "sim [-config FILE] [-addr HOST:PORT] [flags]", simExample)
	var f simFlags
	f.define(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "sim: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg, err := config.Load(*f.path)
	if err != nil {
		fmt.Fprintf(e.stderr, "%v\n", err)
		return exitUsage
	}
	if err := f.apply(&cfg); err != nil {
		fmt.Fprintf(e.stderr, "%v\n", err)
		return exitUsage
	}
	logger, err := newLogger(e.stderr, cfg.Log, config.Secrets{})
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *f.path, err)
		return exitUsage
	}
	opts, err := f.options(cfg, logger)
	if err != nil {
		fmt.Fprintf(e.stderr, "sim: %v\n", err)
		return exitUsage
	}
	opts.Clock = e.clock
	srv, err := sim.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "sim: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "HERCLE_BASE_URL=%s\nHERCLE_API_KEY=%s\n", srv.URL(), srv.APIKey())
	if w := srv.Webhooks(); w != nil {
		fmt.Fprintf(e.stdout, "HERCLE_WEBHOOK_PUBLIC_KEY=%s\n", w.PublicKeyFile())
	}
	stop := func() {}
	if *f.heropayments {
		if stop, err = f.startHeropayments(ctx, e, cfg, srv, logger); err != nil {
			fmt.Fprintf(e.stderr, "sim: %v\n", err)
			_ = srv.Close()
			return exitUsage
		}
	}
	s := cfg.Sim
	logger.Info("simulator serving", "url", srv.URL(), "control", srv.URL()+sim.ControlPath, "seed", opts.Seed,
		"dedup", opts.Dedup, "flags", strings.Join(f.names, " "),
		"whitelist_approval", s.WhitelistApproval, "payee_approval", s.PayeeApproval, "maintenance", opts.Maintenance != nil,
		"hub_envelope", s.Hub.Envelope, "hub_drop_every", s.Hub.DropEvery.Duration,
		"rate_limited", opts.Faults.RateLimited, "reset_before_read", opts.Faults.ResetBeforeRead,
		"error_after_apply", opts.Faults.ErrorAfterApply, "latency", opts.Faults.Latency,
		"webhook_faults", fmt.Sprintf("%+v", opts.Webhooks.Faults))
	<-ctx.Done()
	stop()
	if err := srv.Close(); err != nil {
		logger.Error("simulator shutdown", "err", err)
		return exitFailure
	}
	logger.Info("simulator stopped")
	return exitOK
}

// options builds the simulator's options from the section, the
// [maintenance] window and the webhook flags.
func (f *simFlags) options(cfg config.Config, logger *slog.Logger) (sim.Options, error) {
	opts := cfg.Sim.Options()
	opts.Logger = logger
	var err error
	if opts.Maintenance, err = cfg.Sim.MaintenanceWindow(cfg.Maintenance); err != nil {
		return opts, err
	}
	if *f.hookURL == "" {
		return opts, nil
	}
	opts.Webhooks.URL, opts.Webhooks.PublicKeyFile, opts.Webhooks.Logger = *f.hookURL, *f.hookKey, logger
	switch strings.ToUpper(*f.envelope) {
	case "A":
	case "B":
		opts.Webhooks.Format = sim.WebhookFormat{CamelCase: true, EmbeddedData: true}
	default:
		return opts, fmt.Errorf("-webhook-envelope must be A or B, got %q", *f.envelope)
	}
	return opts, nil
}

// startHeropayments serves the Heropayments simulator beside the venue,
// linked to it, with [sim.customers] paying; it prints its URL and
// credentials and returns what stops it.
func (f *simFlags) startHeropayments(ctx context.Context, e *env, cfg config.Config, srv *sim.Server, logger *slog.Logger) (func(), error) {
	key, secret := simSecret(), simSecret()
	hp, err := heropay.Start(ctx, heropay.Options{APIKey: key, APISecret: secret, Seed: uint64(cfg.Sim.Seed),
		Customers: heropay.CustomersFrom(cfg.Sim.Customers, *f.callbackURL, heropay.Flow(cfg.Heropayments.Flow)), Logger: logger.With("component", "sim-heropayments")})
	if err != nil {
		return nil, fmt.Errorf("heropayments simulator: %w", err)
	}
	link := heropay.StartLink(ctx, hp, srv.Venue(), heropay.LinkOptions{})
	fmt.Fprintf(e.stdout, "HEROPAYMENTS_BASE_URL=%s\nHEROPAYMENTS_API_KEY=%s\nHEROPAYMENTS_API_SECRET=%s\n", hp.URL(), key, secret)
	logger.Info("heropayments simulator serving", "url", hp.URL(), "customers_every", cfg.Sim.Customers.Every.Duration,
		"customers", cfg.Sim.Customers.Count, "callback_url", *f.callbackURL)
	return func() { link.Close(); hp.Close() }, nil
}

// simSecret is a fresh random credential for the Heropayments simulator.
func simSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return "sim_" + hex.EncodeToString(b)
}

package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/customers"
	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/ha"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/notify"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/sim/heropay"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
	"github.com/otcdesk/engine/treasury"
)

// Options are the daemon's collaborators beyond its configuration. The
// zero value runs the built-in strategies with a discarding logger.
type Options struct {
	Logger *slog.Logger
	// Strategies resolves [[strategy]] kinds; nil means strategy.Builtins().
	// Register a custom Go strategy here.
	Strategies *strategy.Registry
	// Sim adjusts the paper-mode simulator's options after they are built
	// from [sim] (tests inject faults or a different seed). Nil: as
	// configured.
	Sim func(*sim.Options)
	// Heropayments adjusts the paper-mode Heropayments simulator's
	// options the same way.
	Heropayments func(*heropay.Options)
	// HTTPClient carries REST requests; nil means the client's own.
	// Tests and the latency benchmark wrap the transport.
	HTTPClient *http.Client
	// Started, if set, is called once the daemon trades: listeners bound,
	// recovery done, the loop running.
	Started func(Info)
	// Getenv reads the variables [notify] sinks name their secrets in;
	// nil means os.Getenv.
	Getenv func(string) string
	// Notify adjusts the notifier's options after they are built (tests
	// give it a manual clock or a client). Nil: as configured.
	Notify func(*notify.Options)
	// Reload, if set, reads the configuration again for Reload (SIGHUP,
	// POST /admin/reload), checked as engine run checks it.
	Reload func() (config.Config, error)
	// Step, if set, is called before each start-up step with its name;
	// tests stop or break the start-up at each step in turn.
	Step func(name string)
	// Clock is the engine's clock, handed to every component; the zero
	// value is the system clock.
	Clock clock.Clock
}

// Info describes a started daemon, for tests and the start-up log.
type Info struct {
	MetricsURL string // "" when [metrics] addr is empty
	AdminURL   string // "" when [admin] addr is empty
	VenueURL   string // Hercle base URL (the simulator's in paper mode)
	WebhookURL string // where Hercle's webhooks are posted; "" when [webhook] is disabled
	// Sim is the in-process simulator in paper mode; nil in live mode.
	Sim *sim.Server
	// Heropayments is the in-process Heropayments simulator in paper mode
	// with [heropayments] enabled; nil otherwise.
	Heropayments *heropay.Server
	// Risk lets tests and the admin endpoints stop and resume trading.
	Risk *risk.Engine
}

// Daemon is one run of the engine. Create it with New and call Run once.
type Daemon struct {
	cfg     config.Config
	secrets config.Secrets
	o       Options
	log     *slog.Logger
	reg     *prometheus.Registry
	m       *metrics
	gate    *scheduler.Gate
	kill    risk.KillFile
	health  *writeHealth
	auth    *adminAuth // nil until the admin listener is up
	strat   strategySpecs
	// notifier tells the desk; without sinks it sends nothing.
	notifier *notify.Notifier

	mu        sync.Mutex // guards the fields below, read by the HTTP handlers
	store     *ledger.Store
	ha        *ha.Node // nil without [ha]
	hub       *hub.Client
	source    *feeds.Source
	risk      *risk.Engine
	loop      *trader.Loop
	portfolio *pnl.Follower
	exec      *execution.Executor
	tr        *treasury.Treasury
	rest      *hercle.Client
	specs     map[string]market.Pair // the venue's pairs, by symbol
	fed       []market.Pair          // the venue's listing of the fed pairs
	started   time.Time
	trading   bool // recovery done and the loop running
	feedPairs []string
	customers *customers.Service
}

// New checks what can be checked without the network (Check: the
// configuration, strategies against feeds and limits, the files it names;
// the secrets) and returns a daemon ready to Run. A refusal wraps
// ErrConfig.
func New(cfg config.Config, secrets config.Secrets, o Options) (*Daemon, error) {
	if o.Strategies == nil {
		o.Strategies = strategy.Builtins()
	}
	if err := Check(cfg, o.Strategies); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := cfg.RequireRunSecrets(secrets); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	gate, err := cfg.Maintenance.Gate()
	if err != nil {
		return nil, fmt.Errorf("maintenance: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	kill := risk.KillFile{Path: filepath.Join(filepath.Dir(cfg.Ledger.Path), "KILLED")}
	n, err := newNotifier(cfg.Notify, o, o.Logger, reg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	d := &Daemon{cfg: cfg, secrets: secrets, o: o, log: o.Logger, reg: reg, m: m, gate: gate, kill: kill, notifier: n}
	d.health = &writeHealth{d: d}
	d.strat.specs = map[string]strategy.Spec{}
	for _, sp := range cfg.Strategies {
		d.strat.specs[sp.Name] = sp
	}
	return d, nil
}

// BuildStrategies builds the enabled [[strategy]] instances of cfg from reg.
// `engine config check` uses it too, so a bad params table is reported
// before the daemon starts.
func BuildStrategies(cfg config.Config, reg *strategy.Registry) ([]strategy.Strategy, error) {
	var out []strategy.Strategy
	var errs []error
	for _, sc := range cfg.Strategies {
		if sc.Disabled {
			continue
		}
		s, err := reg.New(sc.Kind, sc.Name, sc.Decode)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}

// Registry returns the daemon's metrics registry.
func (d *Daemon) Registry() *prometheus.Registry { return d.reg }

// Run runs the engine until ctx ends, then shuts down gracefully: it
// builds and starts the components in order (see the package
// documentation), recovers what the last run left unfinished, trades, and
// on the end of ctx or the failure of any component stops them in reverse
// order. An error or a signal at any step ends it promptly. It returns nil
// after a clean shutdown.
func (d *Daemon) Run(ctx context.Context) (err error) {
	d.mu.Lock()
	d.started = d.o.Clock.Now()
	d.mu.Unlock()
	r := &run{d: d, g: newGroup(d.log, d.o.Clock)}
	defer func() {
		d.setTrading(false)
		err = errors.Join(err, r.g.stop())
		d.log.Info("ledger closed", "path", d.cfg.Ledger.Path)
	}()
	for _, s := range r.steps() {
		if d.o.Step != nil {
			d.o.Step(s.name)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("start-up stopped before %s: %w", s.name, err)
		}
		if err := r.g.failure(); err != nil {
			return booksErr(fmt.Errorf("start-up: %w", err))
		}
		began := d.o.Clock.Now()
		if err := s.fn(ctx); err != nil {
			return booksErr(err)
		}
		d.log.Debug("start-up step done", "step", s.name, "took", d.o.Clock.Since(began).Round(time.Microsecond))
	}
	r.started()
	if err := r.g.wait(ctx); err != nil {
		d.log.Error("a component stopped; shutting down", "err", err)
		return err
	}
	d.log.Info("shutting down: components stop in reverse order; intents in flight finish first")
	return nil
}

// booksErr marks a start-up step's error that is a ledger record or page
// found damaged (by any step, not only the ledger's own check) as
// ErrBooks: nothing has traded yet, and a restart would fail the same way.
func booksErr(err error) error {
	if !errors.Is(err, ErrBooks) && (errors.Is(err, ledger.ErrCorrupt) || errors.Is(err, ledger.ErrNotLedger)) {
		return fmt.Errorf("%w: %w", ErrBooks, err)
	}
	return err
}

// step is one start-up step.
type step struct {
	name string
	fn   func(ctx context.Context) error
}

// steps are the start-up in order: build, recover, serve.
func (r *run) steps() []step {
	return []step{
		{"ledger", r.openLedger},
		{"backups", r.startBackups},
		{"ha", r.joinPair},
		{"notify", r.startNotify},
		{"webhooks", r.startWebhooks},
		{"venue", r.startVenue},
		{"heropayments", r.startHeropayments},
		{"rest", r.connectREST},
		{"listeners", r.listen},
		{"pairs", r.readPairs},
		{"feeds", r.startFeeds},
		{"leadership", r.lead},
		{"engine", r.buildEngine},
		{"treasury", r.buildTreasury},
		{"inbound", r.startInbound},
		{"recover inbox", r.recoverInbox},
		{"recover orders", r.recoverOrders},
		{"recover balances", r.recoverBalances},
		{"recover treasury", r.recoverTreasury},
		{"loop", r.startLoop},
		{"portfolio", r.startPortfolio},
		{"notify state", r.startNotifyState},
		{"summary", r.startSummary},
		{"prices", r.deliverPrices},
		{"reconcile", r.startReconcile},
		{"scheduler", r.startScheduler},
	}
}

func (d *Daemon) setTrading(on bool) {
	d.mu.Lock()
	d.trading = on
	d.mu.Unlock()
}

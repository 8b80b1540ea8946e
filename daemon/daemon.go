package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
	"github.com/otcdesk/engine/treasury"
	"github.com/otcdesk/engine/webhookd"
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
	// HTTPClient carries REST requests; nil means the client's own.
	// Tests and the latency benchmark wrap the transport.
	HTTPClient *http.Client
	// Started, if set, is called once the daemon trades: listeners bound,
	// recovery done, the loop running.
	Started func(Info)
}

// Info describes a started daemon, for tests and the start-up log.
type Info struct {
	MetricsURL string // "" when [metrics] addr is empty
	AdminURL   string // "" when [admin] addr is empty
	VenueURL   string // Hercle base URL (the simulator's in paper mode)
	// Sim is the in-process simulator in paper mode; nil in live mode.
	Sim *sim.Server
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

	mu        sync.Mutex // guards the fields below, read by the HTTP handlers
	store     *ledger.Store
	hub       *hercle.HubClient
	source    *feeds.Source
	risk      *risk.Engine
	gate      *scheduler.Gate
	started   time.Time
	trading   bool // recovery done and the loop running
	feedPairs []string
}

// New checks what can be checked without the network (strategies, limits,
// maintenance calendar) and returns a daemon ready to Run.
func New(cfg config.Config, secrets config.Secrets, o Options) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.RequireSecrets(secrets); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Strategies == nil {
		o.Strategies = strategy.Builtins()
	}
	if _, err := BuildStrategies(cfg, o.Strategies); err != nil {
		return nil, err
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
	return &Daemon{cfg: cfg, secrets: secrets, o: o, log: o.Logger, reg: reg, m: m, gate: gate}, nil
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

// Run runs the engine until ctx ends, then shuts down gracefully. It
// returns nil after a clean shutdown.
func (d *Daemon) Run(ctx context.Context) (err error) {
	d.mu.Lock()
	d.started = time.Now()
	d.mu.Unlock()
	store, err := d.openLedger()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close ledger: %w", cerr))
		}
		d.log.Info("ledger closed", "path", d.cfg.Ledger.Path)
	}()

	// Webhooks stored in the ledger inbox are applied by the processor;
	// credited deposits reach the strategies (autoconvert) through the loop.
	deposits := newDepositRelay(store, d.log)
	proc, err := inbound.New(inbound.Options{Ledger: store, OnDeposit: deposits.push, Metrics: d.reg, Logger: d.log})
	if err != nil {
		return err
	}
	// The webhook endpoint comes up before the simulator, which posts to
	// it, and closes after it.
	hooks, signer, err := d.webhooks(ctx, store, proc)
	if err != nil {
		return err
	}
	if hooks != nil {
		defer func() {
			if err := hooks.Close(); err != nil {
				d.log.Warn("webhook endpoint shutdown", "err", err)
			}
		}()
	}
	venueURL, apiKey, stopSim, simSrv, err := d.venue(ctx, store, hooks, signer)
	if err != nil {
		return err
	}
	defer stopSim()

	hp, err := d.heropayments(ctx, store, simSrv, hooks)
	if err != nil {
		return err
	}
	defer hp.close()

	rest, err := hercle.NewClient(hercle.Config{
		Environment: d.cfg.Hercle.Environment,
		BaseURL:     venueURL,
		APIKey:      apiKey,
		HTTPClient:  d.o.HTTPClient,
		Timeout:     d.cfg.Hercle.Timeout.Duration,
		RateLimit:   d.cfg.Hercle.RateLimit,
		Burst:       d.cfg.Hercle.Burst,
		MaxRetries:  d.cfg.Hercle.MaxRetries,
		Metrics:     d.reg,
		Logger:      d.log,
	})
	if err != nil {
		return fmt.Errorf("hercle client: %w", err)
	}
	// Live mode with environment only: the client resolved the URL.
	if venueURL == "" {
		venueURL = rest.BaseURL()
	}

	listeners, err := d.listen(ctx)
	if err != nil {
		return err
	}
	defer listeners.close(d.log)

	specs, err := d.readPairs(ctx, rest)
	if err != nil {
		return err
	}
	source, err := feeds.NewSource(feeds.Config{
		StaleAfter: d.cfg.Feeds.StaleAfter.Duration,
		OnStale:    d.onStale,
		Logger:     d.log,
		Registerer: d.reg,
	})
	if err != nil {
		return err
	}
	rk, err := risk.New(d.cfg.Risk, risk.Options{
		Counters: newLedgerCounters(store, d.log),
		Gate:     d.gate,
		Logger:   d.log,
		Registry: d.reg,
	})
	if err != nil {
		return err
	}
	// Reading the kill-switch file and publishing the engine are one step
	// under d.mu, which /admin/kill takes to record a kill that arrives
	// before the engine exists: such a kill is in the file when it is read.
	d.mu.Lock()
	reason, killed, err := readKill(d.killFile())
	if err == nil {
		d.risk = rk
	}
	d.mu.Unlock()
	if err != nil {
		return err
	}
	if killed {
		rk.Kill(reason)
		d.log.Warn("kill switch is on from a previous run or from start-up; trading stays stopped until resumed", "reason", reason)
	}
	maxAge := d.cfg.Risk.MaxPriceAge.Duration
	exec, err := execution.New(execution.Options{
		Venue: rest,
		Store: store,
		Pairs: func(s string) (market.Pair, bool) { p, ok := specs[s]; return p, ok },
		CheckQuote: func(now time.Time, in strategy.Intent, q risk.Quote) error {
			return rk.CheckQuote(now, feedView{v: source.View(), specs: specs, now: now, maxAge: maxAge}, in, q)
		},
		Follow:   d.cfg.Execution.FollowEvery.Duration,
		Lookups:  d.cfg.Execution.Lookups,
		Logger:   d.log,
		Registry: d.reg,
	})
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.store, d.source, d.risk = store, source, rk
	d.mu.Unlock()

	if err := d.recover(ctx, exec); err != nil {
		return err
	}
	balances, err := d.balances(ctx, rest, store)
	if err != nil {
		return err
	}
	strategies, err := BuildStrategies(d.cfg, d.o.Strategies)
	if err != nil {
		return err
	}
	if err := restoreStrategies(ctx, store, strategies, d.log); err != nil {
		return err
	}
	pairList := make([]market.Pair, 0, len(specs))
	for _, p := range specs {
		pairList = append(pairList, p)
	}
	sort.Slice(pairList, func(i, j int) bool { return pairList[i].Symbol < pairList[j].Symbol })
	loop, err := trader.New(trader.Options{
		Strategies: strategies,
		Risk:       rk,
		Exec:       exec,
		Clock:      scheduler.System{},
		MaxAge:     maxAge,
		Pairs:      pairList,
		Balances:   balances,
		NewID:      hercle.NewClientID,
		Logger:     d.log,
		Registry:   d.reg,
	})
	if err != nil {
		return err
	}

	sched, err := scheduler.New(scheduler.Options{Gate: d.gate, Logger: d.log, Registry: d.reg})
	if err != nil {
		return err
	}
	// Treasury's movements out of the business pass risk's transfer check
	// (risk.transfers caps in the reference currency, minimum balances)
	// and its conversions the pre-trade check, on prices from the feed and
	// the ledger's balances at the source.
	riskView := func(src ledger.Venue) strategy.View {
		return newTransferView(ctx, store, src, feedView{v: source.View(), specs: specs, now: time.Now(), maxAge: maxAge}, pairList, d.log)
	}
	tr, err := treasury.New(d.cfg.Treasury, treasury.Deps{
		Ledger:       store,
		Hercle:       rest,
		Gate:         killGate{d.gate, rk},
		Payees:       proc.Registry(),
		Convert:      riskedConverter{exec: exec, risk: rk, log: d.log, view: func() strategy.View { return riskView(ledger.Hercle) }},
		OnDeposit:    deposits.push,
		Heropayments: hp.treasuryClient(),
		Risk:         rk,
		View:         riskView,
		Logger:       d.log.With("component", "treasury"),
		Metrics:      d.reg,
	})
	if err != nil {
		return fmt.Errorf("treasury: %w", err)
	}
	rec, err := d.reconciler(store, rest, hp, rk, deposits)
	if err != nil {
		return err
	}

	hub, err := hercle.NewHubClient(hercle.HubConfig{
		BaseURL:    venueURL,
		APIKey:     apiKey,
		Logger:     d.log,
		Registerer: d.reg,
		OnPrice:    source.HandlePrice,
		OnEvent:    d.onHubEvent,
		OnState: func(s hercle.HubState) {
			source.HandleState(s)
			d.onHubState(s)
		},
	})
	if err != nil {
		return fmt.Errorf("hub client: %w", err)
	}
	d.mu.Lock()
	d.hub = hub
	d.mu.Unlock()

	// Everything below runs until runCtx ends; the loop stops first and
	// lets its intents finish, then the feed, then the listeners.
	var wg sync.WaitGroup
	feedCtx, stopFeed := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		stopFeed()
		wg.Wait()
	}()
	wg.Add(5)
	go func() {
		defer wg.Done()
		if err := hub.Run(feedCtx); err != nil && feedCtx.Err() == nil {
			d.log.Error("hub client stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := proc.Run(feedCtx); err != nil && feedCtx.Err() == nil {
			d.log.Error("webhook processor stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		deposits.run(feedCtx, loop)
	}()
	// Treasury resolves its unfinished movements once the inbox is applied
	// (a status webhook stored before a crash may already settle them).
	if err := proc.Sync(ctx); err != nil {
		return fmt.Errorf("apply stored webhooks: %w", err)
	}
	if err := tr.Recover(ctx); err != nil {
		return fmt.Errorf("treasury recovery: %w", err)
	}
	if err := tr.Register(sched); err != nil {
		return fmt.Errorf("treasury: %w", err)
	}
	if err := sched.Add(rec.Job()); err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	if hp.merchant != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hp.merchant.Run(feedCtx); err != nil && feedCtx.Err() == nil {
				d.log.Error("heropayments processor stopped", "err", err)
			}
		}()
	}
	// Reconciliation runs once now (in the background: it only reads the
	// venue and imports what the venue did without us), then on schedule.
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := rec.Serve(feedCtx); err != nil && feedCtx.Err() == nil {
			d.log.Error("reconciliation stopped", "err", err)
		}
	}()
	// The scheduler stops with the loop (no new sweeps during shutdown),
	// and when Run returns early with a start-up error.
	schedCtx, stopSched := context.WithCancel(ctx)
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		if err := sched.Run(schedCtx); err != nil && schedCtx.Err() == nil {
			d.log.Error("scheduler stopped", "err", err)
		}
	}()
	defer func() {
		stopSched()
		<-schedDone
	}()
	go func() {
		defer wg.Done()
		source.Run(feedCtx)
	}()
	go func() {
		defer wg.Done()
		pump(feedCtx, source, loop, d.log)
	}()
	for i, fp := range d.cfg.Feeds.Pairs {
		if _, ok := specs[fp.Pair]; !ok {
			return fmt.Errorf("feeds.pairs[%d]: the venue does not list %s", i, fp.Pair)
		}
		id := fmt.Sprintf("feed-%s", fp.Pair)
		if err := source.Subscribe(ctx, hub, id, fp.Pair, fp.Size.Decimal); err != nil {
			return err
		}
		d.mu.Lock()
		d.feedPairs = append(d.feedPairs, fp.Pair)
		d.mu.Unlock()
	}

	d.mu.Lock()
	d.trading = true
	d.mu.Unlock()
	names := make([]string, len(strategies))
	for i, s := range strategies {
		names[i] = s.Name()
	}
	d.log.Info("engine running", "mode", d.cfg.Mode, "venue", venueURL, "strategies", names,
		"pairs", d.feedPairs, "metrics", listeners.metricsURL, "admin", listeners.adminURL)
	if d.o.Started != nil {
		d.o.Started(Info{MetricsURL: listeners.metricsURL, AdminURL: listeners.adminURL, VenueURL: venueURL, Sim: simSrv, Risk: rk})
	}
	err = loop.Run(ctx)
	d.mu.Lock()
	d.trading = false
	d.mu.Unlock()
	d.log.Info("shutting down: event loop stopped, intents in flight finished")
	return err
}

// openLedger opens the ledger file, creating its directory.
func (d *Daemon) openLedger() (*ledger.Store, error) {
	path := d.cfg.Ledger.Path
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("ledger directory: %w", err)
	}
	store, err := ledger.Open(path, ledger.Options{
		LockTimeout: d.cfg.Ledger.LockTimeout.Duration,
		OnCommit: func(took time.Duration, writes int) {
			d.m.commit.Observe(took.Seconds())
			d.m.writes.Add(float64(writes))
		},
	})
	if err != nil {
		return nil, err
	}
	d.log.Info("ledger open", "path", path)
	return store, nil
}

// venue returns the Hercle base URL and key: the in-process simulator's in
// paper mode, the configured ones in live mode. stop closes the simulator
// after everything that talks to it has stopped.
//
// Paper trading carries on across runs: a ledger with history seeds the new
// simulator with the ledger's Hercle balances, so books and venue agree.
func (d *Daemon) venue(ctx context.Context, store *ledger.Store, hooks *webhookd.Server, signer *sim.WebhookSigner) (url, key string, stop func(), srv *sim.Server, err error) {
	if d.cfg.Mode != config.ModePaper {
		return d.cfg.Hercle.BaseURL, d.secrets.HercleAPIKey.Reveal(), func() {}, nil, nil
	}
	opts := sim.FromConfig(d.cfg.Sim)
	opts.Logger = d.log.With("component", "sim")
	if bal, n, ok, err := ledgerVenueBalances(ctx, store); err != nil {
		return "", "", nil, nil, err
	} else if ok {
		opts.Balances = bal
		// A new seed per session, so the simulator's ids (trades,
		// transactions) never repeat ones already in the ledger.
		opts.Seed += n
		d.log.Info("paper mode: simulator starts from the ledger's balances", "assets", len(bal), "seed", opts.Seed)
	}
	if hooks != nil {
		opts.Webhooks = sim.WebhookOptions{URL: hooks.URL(), Signer: signer, Logger: opts.Logger}
	}
	if d.o.Sim != nil {
		d.o.Sim(&opts)
	}
	// The simulator outlives the caller's context: intents in flight at
	// shutdown still need their answers.
	srv, err = sim.Start(context.WithoutCancel(ctx), opts)
	if err != nil {
		return "", "", nil, nil, fmt.Errorf("start simulator: %w", err)
	}
	d.log.Info("paper mode: simulator started in-process", "url", srv.URL(), "seed", opts.Seed)
	stop = func() {
		if err := srv.Close(); err != nil {
			d.log.Error("simulator shutdown", "err", err)
		}
	}
	return srv.URL(), srv.APIKey(), stop, srv, nil
}

// webhooks starts the webhook endpoint when [webhook] enables it. In paper
// mode it trusts a key pair made for this run, with which the simulator
// signs; the public key is written beside the ledger.
func (d *Daemon) webhooks(ctx context.Context, store *ledger.Store, proc *inbound.Processor) (*webhookd.Server, *sim.WebhookSigner, error) {
	cfg := d.cfg.Webhook
	if !cfg.Enabled {
		return nil, nil, nil
	}
	var signer *sim.WebhookSigner
	if d.cfg.Mode == config.ModePaper {
		var err error
		if signer, err = sim.GenerateWebhookSigner(); err != nil {
			return nil, nil, err
		}
		pem := filepath.Join(filepath.Dir(d.cfg.Ledger.Path), "sim-webhook-key.pem")
		if err := signer.WritePublicKeyPEM(pem); err != nil {
			return nil, nil, err
		}
		cfg.PublicKeys = []string{pem}
	}
	inbox := inbound.NewWebhookInbox(store, proc.Notify, d.log)
	// Run closes the endpoint once intents in flight have finished and the
	// simulator has stopped, not as soon as ctx ends: their outcomes still
	// arrive by webhook during the shutdown.
	srv, err := webhookd.Start(context.WithoutCancel(ctx), cfg, inbox, d.log.With("component", "webhooks"), d.reg)
	if err != nil {
		return nil, nil, fmt.Errorf("webhook endpoint: %w", err)
	}
	return srv, signer, nil
}

// readPairs reads the venue's pairs.
func (d *Daemon) readPairs(ctx context.Context, rest *hercle.Client) (map[string]market.Pair, error) {
	list, err := rest.Pairs(ctx)
	if err != nil {
		return nil, fmt.Errorf("read pairs: %w", err)
	}
	specs := make(map[string]market.Pair, len(list))
	for _, p := range list {
		specs[p.Name] = p.Market()
	}
	return specs, nil
}

// recover resolves every unfinished order and RFQ intent before trading
// starts. An outcome the venue cannot tell yet is retried with backoff:
// trading on a portfolio with an unknown trade in it is how duplicates
// happen.
func (d *Daemon) recover(ctx context.Context, exec *execution.Executor) error {
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		results, err := exec.Recover(ctx)
		if err != nil {
			return err
		}
		unresolved := 0
		for _, r := range results {
			d.m.recovered.WithLabelValues(r.Status.String()).Inc()
			if r.Status == execution.Unresolved {
				unresolved++
			}
		}
		if len(results) > 0 {
			d.log.Info("recovery", "attempt", attempt, "intents", len(results), "unresolved", unresolved)
		}
		if unresolved == 0 {
			return nil
		}
		d.log.Warn("intents with unknown outcome; trading waits until they resolve", "unresolved", unresolved, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// balances reads the venue balances (available plus allocated per asset).
// Into a ledger with no Hercle history it posts them as opening balances,
// so the books start equal to the venue; afterwards reconciliation owns
// any difference.
func (d *Daemon) balances(ctx context.Context, rest *hercle.Client, store *ledger.Store) (map[market.Asset]decimal.Decimal, error) {
	b, err := rest.Balances(ctx)
	if err != nil {
		return nil, fmt.Errorf("read balances: %w", err)
	}
	out := map[market.Asset]decimal.Decimal{}
	for _, a := range b.Assets {
		out[market.Asset(a.Name)] = a.Available.Decimal.Add(a.Allocated.Decimal)
	}
	posted, err := postOpening(ctx, store, b)
	if err != nil {
		return nil, err
	}
	if posted {
		d.log.Info("opening balances posted to the new ledger", "assets", len(b.Assets), "sequence", b.Sequence)
	}
	for _, a := range b.Assets {
		d.m.balance.WithLabelValues(a.Name).Set(a.Available.Decimal.Add(a.Allocated.Decimal).InexactFloat64())
	}
	return out, nil
}

// pump hands the source's ticks to the loop until ctx ends, logging each
// pair's first price and every resumption after a gap.
func pump(ctx context.Context, s *feeds.Source, l *trader.Loop, log *slog.Logger) {
	seen := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-s.Updates():
			if t := u.Tick; !seen[t.Pair] || u.Gap {
				seen[t.Pair] = true
				log.Info("price", "pair", t.Pair, "size", t.Size, "buy", t.BuyPrice, "sell", t.SellPrice, "gap", u.Gap)
			}
			l.Tick(ctx, u.Tick)
		}
	}
}

func (d *Daemon) onStale(pair string, stale bool, at time.Time) {
	if stale && !d.gate.Open(at) {
		d.log.Info("pair stale during maintenance", "pair", pair)
		return
	}
	if stale {
		d.log.Warn("pair stale: no tick within the threshold; strategies will not trade it", "pair", pair)
	} else {
		d.log.Info("pair fresh again", "pair", pair)
	}
}

func (d *Daemon) onHubState(s hercle.HubState) {
	switch {
	case s.Status == hercle.HubReconnecting && !d.gate.Open(s.Since):
		d.log.Info("price feed reconnecting during maintenance", "err", s.LastError)
	case s.Status == hercle.HubReconnecting:
		d.log.Warn("price feed lost; reconnecting", "err", s.LastError)
	}
}

// onHubEvent counts execution events the hub pushes. Execution confirms
// its orders through their replies and REST lookups by Client-Id; the
// pushes are logged for the operator.
func (d *Daemon) onHubEvent(ev hercle.HubEvent) {
	d.m.hubEvents.WithLabelValues(ev.Subject).Inc()
	if ev.Subject == hercle.SubjectOrderExecuted && ev.ClientID == "" {
		d.log.Debug("hub: order executed", "subject", ev.Subject)
	}
}

package daemon

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/customers"
	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/ha"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/trader"
	"github.com/otcdesk/engine/treasury"
	"github.com/otcdesk/engine/treasury/policy"
	"github.com/otcdesk/engine/webhookd"
)

// run is one run's components, built and started in order by Run's
// steps.
type run struct {
	d *Daemon
	g *group

	store     *ledger.Store
	proc      *inbound.Processor
	relay     *inbound.Relay
	confirm   *reconcile.Confirmer
	customers *customers.Service
	hooks     *webhookd.Server
	signer    *sim.WebhookSigner
	simSrv    *sim.Server
	venueURL  string
	apiKey    string
	hp        *heropaymentsRail
	rest      *hercle.Client
	ls        *listeners
	specs     map[string]market.Pair
	pairs     []market.Pair
	source    *feeds.Source
	eng       *trader.Engine
	tr        *treasury.Treasury
	rec       *reconcile.Reconciler
	ha        *ha.Node // nil without [ha]
	pf        *pnl.Follower
	names     []string // the strategies'
}

// ErrConfig marks a start-up refused because of the configuration: fix the
// file (the error names the key) and start again; restarting as is cannot
// help.
var ErrConfig = errors.New("configuration refused")

// ErrBooks marks a start-up refused because the ledger cannot be trusted:
// it does not verify or cannot be read. Restarting will not help; an
// operator restores it from a backup (or reads `engine ledger verify`).
var ErrBooks = errors.New("the books do not verify; nothing was traded: restore the ledger from a backup, or run `engine ledger verify` for details")

// openLedger opens the ledger file, creating its directory, and checks the
// books (ledger.Store.Check) before anything else; it is closed last.
func (r *run) openLedger(ctx context.Context) error {
	d := r.d
	path := d.cfg.Ledger.Path
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("ledger directory: %w", err)
	}
	// Before the ledger is opened: Check writes its checkpoint, and a
	// refused start-up must leave the file as it found it.
	if err := d.kill.CheckWritable(); err != nil {
		return fmt.Errorf("ledger directory %s: %w: the kill switch could not be recorded there; give the engine a writable directory", filepath.Dir(path), err)
	}
	store, err := ledger.Open(path, ledger.Options{
		LockTimeout: d.cfg.Ledger.LockTimeout.Duration,
		Clock:       d.o.Clock,
		OnCommit: func(took time.Duration, writes int) {
			d.m.commit.Observe(took.Seconds())
			d.m.writes.Add(float64(writes))
		},
		OnWriteError: d.health.failed,
	})
	if errors.Is(err, ledger.ErrNotLedger) || errors.Is(err, ledger.ErrCorrupt) {
		return fmt.Errorf("%w: %w", ErrBooks, err)
	}
	if err != nil {
		return err
	}
	r.g.closer("ledger", store.Close)
	// No money moves on books that do not verify.
	rep, err := store.Check(ctx)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBooks, path, err)
	}
	d.log.Info("ledger open and checked", "path", path, "entries", rep.Seq, "checked", rep.Checked, "full", rep.Full, "took", rep.Took.Round(time.Millisecond))
	r.store = store
	d.mu.Lock()
	d.store = store
	d.mu.Unlock()
	r.g.start("ledger probe", func(ctx context.Context) error { return d.health.probe(ctx, store) })
	r.relay = inbound.NewRelay(store, d.o.Clock, d.log)
	// A deposit's webhook credits it pending; the strategies hear of it
	// once the venue's history confirms it (the Confirmer, or treasury).
	r.proc, err = inbound.New(inbound.Options{Ledger: store, Metrics: d.reg, Logger: d.log, Clock: d.o.Clock})
	return err
}

// startWebhooks starts the webhook endpoint when [webhook] enables it. In
// paper mode it trusts a key pair made for this run, with which the
// simulator signs; the public key is written beside the ledger. It comes
// up before the simulator, which posts to it, and closes after it: the
// outcomes of intents in flight at shutdown still arrive by webhook.
func (r *run) startWebhooks(ctx context.Context) error {
	d := r.d
	cfg := d.cfg.Webhook
	if !cfg.Enabled {
		return nil
	}
	if d.cfg.InProcessVenue() {
		// The in-process simulator signs with a key made for this run;
		// it is trusted beside the configured ones, so a desk can also
		// rehearse webhooks signed with its own keys.
		var err error
		if r.signer, err = sim.GenerateWebhookSigner(); err != nil {
			return err
		}
		pem := filepath.Join(filepath.Dir(d.cfg.Ledger.Path), "sim-webhook-key.pem")
		if err := r.signer.WritePublicKeyPEM(pem); err != nil {
			return err
		}
		cfg.PublicKeys = append(slices.Clone(cfg.PublicKeys), pem)
		d.log.Info("paper mode: webhooks signed by the simulator's key are trusted beside webhook.public_keys",
			"simulator_key", pem, "configured_keys", len(d.cfg.Webhook.PublicKeys))
	}
	inbox := inbound.NewWebhookInbox(r.store, r.proc.Notify, d.log)
	srv, err := webhookd.Start(context.WithoutCancel(ctx), cfg, inbox, d.log.With("component", "webhooks"), d.reg)
	if err != nil {
		return fmt.Errorf("webhook endpoint: %w", err)
	}
	r.hooks = srv
	r.g.closer("webhook endpoint", srv.Close)
	return nil
}

// startVenue sets the Hercle base URL and key: the in-process simulator's
// in paper mode, the configured ones in live mode, and in paper mode with
// hercle.base_url set (a standalone `engine sim`, say), that venue's.
//
// Paper trading carries on across runs: a ledger with history seeds the
// new simulator with the ledger's Hercle balances, so books and venue
// agree.
func (r *run) startVenue(ctx context.Context) error {
	d := r.d
	if !d.cfg.InProcessVenue() {
		r.venueURL, r.apiKey = d.cfg.Hercle.BaseURL, d.secrets.HercleAPIKey.Reveal()
		if d.cfg.Mode == config.ModePaper {
			d.log.Info("paper mode against the venue at hercle.base_url (no simulator started in-process)", "url", r.venueURL)
		}
		return nil
	}
	opts := d.cfg.Sim.Options()
	opts.Logger, opts.Clock = d.log.With("component", "sim"), d.o.Clock
	if d.cfg.Mode == config.ModeShadow {
		opts.Pairs = shadowPairs()
	}
	if _, err := r.store.Entry(ctx, reconcile.OpeningKey(ledger.Hercle)); err == nil {
		if opts.Balances, err = r.store.VenueBalances(ctx, ledger.Hercle); err != nil {
			return err
		}
		n, err := r.store.LastSeq(ctx)
		if err != nil {
			return err
		}
		// A new seed per session, so the simulator's ids (trades,
		// transactions) never repeat ones already in the ledger.
		opts.Seed += n
		d.log.Info("paper mode: simulator starts from the ledger's balances", "assets", len(opts.Balances), "seed", opts.Seed)
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return err
	} else if opts.Balances == nil {
		var left []string
		opts.Balances, left = valuedBalances(sim.DefaultBalances(), opts.Pairs, d.cfg.Feeds.Pairs, d.cfg.Risk.Reference)
		if len(left) > 0 {
			d.log.Info("paper mode: the simulator opens without the balances no fed pair values", "reference", d.cfg.Risk.Reference, "left_out", strings.Join(left, ","))
		}
	}
	if r.hooks != nil { // keep the faults of [sim.webhooks]
		opts.Webhooks.URL, opts.Webhooks.Signer, opts.Webhooks.Logger = r.hooks.URL(), r.signer, opts.Logger
	}
	var err error
	if opts.Maintenance, err = d.cfg.Sim.MaintenanceWindow(d.cfg.Maintenance); err != nil {
		return err
	}
	if d.o.Sim != nil {
		d.o.Sim(&opts)
	}
	srv, err := sim.Start(context.WithoutCancel(ctx), opts)
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	r.g.closer("simulator", srv.Close)
	d.log.Info("paper mode: simulator started in-process", "url", srv.URL(), "seed", opts.Seed)
	r.simSrv, r.venueURL, r.apiKey = srv, srv.URL(), srv.APIKey()
	return d.setUpSimAccount(srv.Venue())
}

// setUpSimAccount does in the in-process simulator what the desk does
// once at Hercle before a live engine may pay its treasury destinations:
// whitelist (and, with automatic approval, approve) each crypto
// destination, and open a deposit account in the asset of each bank
// destination that names none, to pay transfers from.
func (d *Daemon) setUpSimAccount(v *sim.Venue) error {
	for _, name := range slices.Sorted(maps.Keys(d.cfg.Treasury.Destinations)) {
		dest := d.cfg.Treasury.Destinations[name]
		if dest.Type == policy.TypeBank && dest.InternalAddressID == "" && !slices.ContainsFunc(v.DepositAddresses(),
			func(a sim.DepositAddress) bool { return string(a.Asset) == dest.Asset }) {
			if _, err := v.CreateDepositAddress(market.Asset(dest.Asset), dest.Network); err != nil {
				return fmt.Errorf("paper mode: open a %s deposit account in the simulator for treasury.destinations.%s: %w", dest.Asset, name, err)
			}
			d.log.Info("paper mode: deposit account opened in the simulator to pay bank transfers from", "destination", name, "asset", dest.Asset)
		}
		if dest.Type != policy.TypeCrypto {
			continue
		}
		w, err := v.WhitelistAddress(sim.WhitelistRequest{Name: name, Asset: market.Asset(dest.Asset), Address: dest.Address,
			Network: dest.Network, Params: dest.AddressParams})
		if err != nil {
			return fmt.Errorf("paper mode: whitelist treasury.destinations.%s in the simulator: %w", name, err)
		}
		if d.cfg.Sim.WhitelistApproval == sim.ApprovalManual {
			d.log.Info("paper mode: destination whitelisted in the simulator, waiting for approval (sim.whitelist_approval = \"manual\")",
				"destination", name, "whitelist_id", w.ID)
			continue
		}
		if err := v.ApproveWhitelist(w.ID); err != nil {
			return fmt.Errorf("paper mode: approve treasury.destinations.%s in the simulator: %w", name, err)
		}
		d.log.Info("paper mode: destination whitelisted and approved in the simulator (at Hercle, the desk's own step)",
			"destination", name, "asset", dest.Asset, "network", dest.Network)
	}
	return nil
}

// connectREST builds the Hercle REST client.
func (r *run) connectREST(context.Context) error {
	d := r.d
	rest, err := hercle.NewClient(hercle.Config{
		Environment: d.cfg.Hercle.Environment,
		BaseURL:     r.venueURL,
		APIKey:      r.apiKey,
		HTTPClient:  r.fenced(d.o.HTTPClient),
		Timeout:     d.cfg.Hercle.Timeout.Duration,
		RateLimit:   d.cfg.Hercle.RateLimit,
		Burst:       d.cfg.Hercle.Burst,
		MaxRetries:  d.cfg.Hercle.MaxRetries,
		Clock:       d.o.Clock,
		Metrics:     d.reg,
		Logger:      d.log,
	})
	if err != nil {
		return fmt.Errorf("hercle client: %w", err)
	}
	if r.venueURL == "" { // live mode with environment only: the client resolved the URL
		r.venueURL = rest.BaseURL()
	}
	r.rest = rest
	return nil
}

// listen binds the metrics and admin listeners; they serve during the rest
// of the start-up (/readyz says not ready, a kill is recorded).
func (r *run) listen(ctx context.Context) error {
	ls, err := r.d.listen(ctx)
	if err != nil {
		return err
	}
	r.ls = ls
	r.g.closer("listeners", func() error { ls.close(r.d.log); return nil })
	if ls.refusals != nil {
		r.g.start("admin refusals", func(ctx context.Context) error {
			ls.refusals.Run(ctx, func(d time.Duration) (<-chan time.Time, func() bool) {
				t := r.d.o.Clock.NewTimer(d)
				return t.C(), t.Stop
			})
			return nil
		})
	}
	return nil
}

// readPairs reads the venue's pairs; every feed pair must be listed.
func (r *run) readPairs(ctx context.Context) error {
	list, err := r.rest.Pairs(ctx)
	if err != nil {
		return fmt.Errorf("read pairs: %w", err)
	}
	r.specs = make(map[string]market.Pair, len(list))
	for _, p := range list {
		r.specs[p.Name] = p.Market()
		r.pairs = append(r.pairs, p.Market())
	}
	sort.Slice(r.pairs, func(i, j int) bool { return r.pairs[i].Symbol < r.pairs[j].Symbol })
	for i, fp := range r.d.cfg.Feeds.Pairs {
		if _, ok := r.specs[fp.Pair]; !ok {
			return fmt.Errorf("%w: feeds.pairs[%d]: the venue does not list %s", ErrConfig, i, fp.Pair)
		}
	}
	return nil
}

// fed returns the venue's listing of the pairs with a price feed.
func (r *run) fed() []market.Pair {
	var out []market.Pair
	for _, fp := range r.d.cfg.Feeds.Pairs {
		if p, ok := r.specs[fp.Pair]; ok {
			out = append(out, p)
		}
	}
	return out
}

// buildEngine builds the feed and the decision path (risk, execution, the
// loop over the ledger). Reading the kill-switch file and publishing risk
// are one step under d.mu, which /admin/kill takes to record a kill that
// arrives before risk exists: such a kill is in the file when it is read.
func (r *run) buildEngine(context.Context) error {
	d := r.d
	source := r.source
	strategies, err := BuildStrategies(d.cfg, d.o.Strategies)
	if err != nil {
		return err
	}
	if err := unreachable(d.cfg.Risk, strategies, r.fed()); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	for _, s := range strategies {
		r.names = append(r.names, s.Name())
	}
	var payments execution.Payments
	if r.hp.client != nil {
		payments = r.hp.client
	}
	maxAge := d.cfg.Risk.MaxPriceAge.Duration
	r.eng, err = trader.NewEngine(trader.EngineOptions{
		Limits: d.cfg.Risk, Counters: risk.NewLedgerCounters(r.store, d.log), Gate: d.gate,
		Store: r.store, Venue: r.rest, Transfers: r.rest, Payments: payments, Pairs: r.pairs,
		Strategies: strategies, Clock: d.o.Clock,
		Prices: trader.Prices(source.View().Last, r.specs, maxAge),
		NewID:  hercle.NewClientID,
		Follow: d.cfg.Execution.FollowEvery.Duration, Lookups: d.cfg.Execution.Lookups,
		MovementLookups: d.cfg.Treasury.LookupsOr(),
		Logger:          d.log, Registry: d.reg,
	})
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	reason, killed, err := d.kill.Read()
	if err != nil {
		return err
	}
	if killed {
		r.eng.Risk.Kill(killPrefix + reason)
		d.log.Warn("kill switch is on from a previous run or from start-up; trading stays stopped until resumed", "reason", reason)
	}
	d.risk, d.source, d.loop = r.eng.Risk, source, r.eng.Loop
	d.exec, d.rest, d.specs, d.fed = r.eng.Exec, r.rest, r.specs, r.fed()
	d.health.attach(r.eng.Risk)
	return nil
}

// buildTreasury builds the treasury and the reconciliation. Treasury
// decides; every movement and conversion it decides is submitted to the
// loop.
func (r *run) buildTreasury(context.Context) error {
	d := r.d
	var hp treasury.Heropayments
	if r.hp.client != nil {
		hp = r.hp.client
	}
	invoices, err := r.invoices()
	if err != nil {
		return err
	}
	tr, err := treasury.New(d.cfg.Treasury, treasury.Deps{
		Ledger: r.store, Hercle: r.rest, Loop: r.eng.Loop, Follow: r.eng.Exec, Heropayments: hp,
		Gate: d.gate, Payees: r.proc.Registry(), Invoices: invoices, OnDeposit: r.relay.Push,
		Logger: d.log.With("component", "treasury"), Metrics: d.reg, Clock: d.o.Clock,
	})
	if err != nil {
		return fmt.Errorf("treasury: %w", err)
	}
	r.tr = tr
	d.mu.Lock()
	d.tr = tr
	d.mu.Unlock()
	if r.rec, err = d.reconciler(r.store, r.rest, r.hp, r.eng.Risk, r.relay); err != nil {
		return err
	}
	r.confirm, err = reconcile.NewConfirmer(reconcile.ConfirmOptions{
		Ledger: r.store, Venue: r.rest, OnConfirmed: r.relay.PushEntry,
		Logger: d.log.With("component", "deposits"), Registry: d.reg, Clock: d.o.Clock,
	})
	if err != nil {
		return err
	}
	return r.buildCustomers()
}

// valuedBalances keeps of balances the reference and the assets a fed pair
// quotes in it (or it in them): an opening balance nothing prices would
// sit in the books unvalued, and every PnL and status would warn of it.
// left are the assets dropped, sorted.
func valuedBalances(balances map[market.Asset]decimal.Decimal, listed []sim.PairConfig, fed []feeds.PairSettings, ref market.Asset) (kept map[market.Asset]decimal.Decimal, left []string) {
	if len(listed) == 0 {
		listed = sim.DefaultPairs()
	}
	valued := map[market.Asset]bool{ref: true}
	for _, f := range fed {
		for _, p := range listed {
			switch {
			case p.Symbol != f.Pair:
			case p.Quote == ref:
				valued[p.Base] = true
			case p.Base == ref:
				valued[p.Quote] = true
			}
		}
	}
	kept = map[market.Asset]decimal.Decimal{}
	for _, a := range slices.Sorted(maps.Keys(balances)) {
		if valued[a] {
			kept[a] = balances[a]
		} else {
			left = append(left, string(a))
		}
	}
	return kept, left
}

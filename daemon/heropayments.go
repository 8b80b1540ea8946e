package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/merchant"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/sim/heropay"
)

// heropaymentsRail is the Heropayments side of the engine, when enabled:
// the signed client and the callback processor (and in paper mode the
// simulator and its link to the Hercle simulator).
type heropaymentsRail struct {
	client   *heropayments.Client
	flow     heropayments.Flow
	merchant *merchant.Processor
	sim      *heropay.Server // paper mode
	// callbackURL is where Heropayments posts statuses to the engine.
	callbackURL string
	closers     []func()
}

func (h *heropaymentsRail) close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
}

func randomSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startHeropayments connects the Heropayments rail, when enabled: in paper
// mode its simulator, linked to the Hercle one; the signed client; the
// callback processor, served on the webhook listener at
// heropayments.callback_path.
func (r *run) startHeropayments(ctx context.Context) error {
	d := r.d
	cfg := d.cfg.Heropayments
	if cfg.Enabled && r.hooks == nil {
		return errors.New("heropayments: its callbacks are served on the webhook endpoint: enable [webhook]")
	}
	callbackURL := cfg.CallbackURL
	if callbackURL == "" && r.hooks != nil {
		callbackURL = r.hooks.BaseURL() + cfg.CallbackPath
	}
	// With [ha] its requests are fenced as Hercle's are: a payout whose
	// intent this node recorded as leader does not leave once it cannot
	// prove it still leads (the new leader resolves it by lookup).
	rail, secret, err := d.heropaymentsClient(ctx, r.store, r.simSrv, callbackURL, r.fenced(nil))
	if err != nil {
		return err
	}
	r.hp = rail
	r.g.closer("heropayments", func() error { rail.close(); return nil })
	if rail.client == nil {
		return nil
	}
	m, err := merchant.New(merchant.Options{
		Ledger: r.store, Client: rail.client, Secret: secret, Flow: rail.flow, CallbackURL: callbackURL,
		PollAfter: cfg.PollAfter.Duration, PollEvery: cfg.PollEvery.Duration,
		RefusalLogEvery: d.cfg.Webhook.WithDefaults().RefusalLogEvery.Duration,
		Logger:          d.log.With("component", "heropayments"), Metrics: d.reg, Clock: d.o.Clock,
	})
	if err != nil {
		return fmt.Errorf("heropayments: %w", err)
	}
	if err := r.hooks.Handle(cfg.CallbackPath, m.Handler()); err != nil {
		return err
	}
	rail.merchant, rail.callbackURL = m, callbackURL
	r.g.start("heropayments callbacks", m.Run)
	d.log.Info("heropayments callbacks", "url", callbackURL)
	return nil
}

// heropaymentsClient returns the rail with its signed client, and the
// signing secret, when [heropayments] is enabled (an empty rail when not);
// in paper mode it starts the Heropayments simulator, linked to simSrv,
// whose simulated customers ([sim.customers]) pay and call back to
// callbackURL. hc carries its requests (nil: the client's own).
func (d *Daemon) heropaymentsClient(ctx context.Context, store *ledger.Store, simSrv *sim.Server, callbackURL string, hc *http.Client) (*heropaymentsRail, string, error) {
	cfg := d.cfg.Heropayments
	rail := &heropaymentsRail{flow: heropayments.Flow(cfg.Flow)}
	if !cfg.Enabled {
		return rail, "", nil
	}
	base, key, secret := cfg.BaseURL, d.secrets.HeropaymentsKey.Reveal(), d.secrets.HeropaymentsSecret.Reveal()
	if d.cfg.Mode != config.ModeLive {
		// The simulator takes the configured credentials when there are
		// some (a desk rehearsing callbacks signed with its own secret),
		// else credentials made for this run.
		if key == "" || secret == "" {
			key, secret = randomSecret(), randomSecret()
		} else {
			d.log.Info("paper mode: the Heropayments simulator uses HEROPAYMENTS_API_KEY and HEROPAYMENTS_API_SECRET")
		}
		opts := heropay.Options{APIKey: key, APISecret: secret, Seed: uint64(d.cfg.Sim.Seed), Logger: d.log.With("component", "sim-heropayments"),
			Clock: d.o.Clock}
		if callbackURL != "" {
			opts.Customers = heropay.CustomersFrom(d.cfg.Sim.Customers, callbackURL, heropay.Flow(cfg.Flow))
		}
		opts.Step = d.cfg.Sim.Customers.Step.Duration // zero: the simulator's default
		opts.Balance = d.cfg.Sim.Customers.MerchantBalance.Decimal
		if d.o.Heropayments != nil {
			d.o.Heropayments(&opts)
		}
		hp, err := heropay.Start(context.WithoutCancel(ctx), opts)
		if err != nil {
			return nil, "", fmt.Errorf("start Heropayments simulator: %w", err)
		}
		rail.sim = hp
		rail.closers = append(rail.closers, func() { hp.Close() })
		if simSrv != nil {
			link := heropay.StartLink(context.WithoutCancel(ctx), hp, simSrv.Venue(), heropay.LinkOptions{})
			rail.closers = append(rail.closers, link.Close)
		} else {
			d.log.Warn("paper mode: the Hercle venue is not in-process, so settlements from the Heropayments simulator never land there")
		}
		base = hp.URL()
		d.log.Info("paper mode: Heropayments simulator started in-process", "url", base)
	}
	// The merchant's daily withdrawal limits, mirrored so a withdrawal over
	// one is refused before the request; totals persist in the ledger.
	var limits *heropayments.Limits
	if cfg.HasLimits() {
		l, err := heropayments.NewLimits(heropayments.LimitsConfig{
			Currency: cfg.LimitsCurrency, MerchantDaily: cfg.MerchantDailyLimit.Decimal, CustomerDaily: cfg.CustomerDailyLimit.Decimal,
			Counters: merchant.NewLimitCounters(store), Clock: d.o.Clock,
		})
		if err != nil {
			rail.close()
			return nil, "", fmt.Errorf("heropayments limits: %w", err)
		}
		limits = l
	}
	client, err := heropayments.NewClient(heropayments.Config{
		BaseURL: base, APIKey: key, APISecret: secret, Limits: limits, HTTPClient: hc,
		Timeout: cfg.Timeout.Duration, RateLimit: cfg.RateLimit, Burst: cfg.Burst, MaxRetries: cfg.MaxRetries,
		Metrics: d.reg, Logger: d.log, Clock: d.o.Clock,
	})
	if err != nil {
		rail.close()
		return nil, "", fmt.Errorf("heropayments client: %w", err)
	}
	rail.client = client
	return rail, secret, nil
}

// reconciler builds the reconciliation. In paper mode it only reports, and
// against the in-process simulator it looks back a minute only: that
// simulator has no history of earlier sessions.
func (d *Daemon) reconciler(store *ledger.Store, rest *hercle.Client, hp *heropaymentsRail, rk *risk.Engine, relay *inbound.Relay) (*reconcile.Reconciler, error) {
	rc, err := reconcile.FromConfig(d.cfg.Reconcile)
	if err != nil {
		return nil, err
	}
	deps := reconcile.Deps{
		Ledger: reportingLedger{store, d.onReport}, Venue: rest, Metrics: d.reg, Logger: d.log.With("component", "reconcile"),
		OnImport: relay.PushEntry, Clock: d.o.Clock,
	}
	if hp.client != nil {
		deps.Payments, deps.PaymentsFlow = hp.client, hp.flow
	}
	switch {
	case d.cfg.Mode == config.ModeLive:
		deps.Pauser = rk.PauseFor(reconcilePrefix)
	case d.cfg.InProcessVenue():
		// The in-process simulator of this session has no history of
		// earlier ones; it is cheap to compare against, so a paper run
		// shows its reconciliation every minute.
		rc.Lookback = min(rc.Lookback, time.Minute)
		rc.Schedule = "@every 1m"
		d.log.Info("paper mode: reconciliation against the in-process simulator runs every minute")
	}
	return reconcile.New(rc, deps)
}

package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/merchant"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/treasury"
	"github.com/otcdesk/engine/webhookd"
)

// heropaymentsRail is the Heropayments side of the engine, when enabled:
// the signed client and the callback processor (and in paper mode the
// simulator and its link to the Hercle simulator).
type heropaymentsRail struct {
	client   *heropayments.Client
	flow     heropayments.Flow
	merchant *merchant.Processor
	closers  []func()
}

func (h *heropaymentsRail) close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
}

// treasuryClient is the client as treasury's dependency: a nil interface
// when Heropayments is off, so treasury names what is missing.
func (h *heropaymentsRail) treasuryClient() treasury.Heropayments {
	if h.client == nil {
		return nil
	}
	return h.client
}

func randomSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// heropayments connects the Heropayments rail. Its callbacks are served on
// the webhook listener at heropayments.callback_path.
func (d *Daemon) heropayments(ctx context.Context, store *ledger.Store, simSrv *sim.Server, hooks *webhookd.Server) (*heropaymentsRail, error) {
	cfg := d.cfg.Heropayments
	rail := &heropaymentsRail{flow: heropayments.Flow(cfg.Flow)}
	if !cfg.Enabled {
		return rail, nil
	}
	if hooks == nil {
		return nil, errors.New("heropayments: its callbacks are served on the webhook endpoint: enable [webhook]")
	}
	base, key, secret := cfg.BaseURL, d.secrets.HeropaymentsKey.Reveal(), d.secrets.HeropaymentsSecret.Reveal()
	if d.cfg.Mode == config.ModePaper {
		key, secret = randomSecret(), randomSecret()
		hp, err := sim.StartHeropayments(context.WithoutCancel(ctx), sim.HeropaymentsOptions{
			APIKey: key, APISecret: secret, Seed: uint64(d.cfg.Sim.Seed), Logger: d.log.With("component", "sim-heropayments"),
		})
		if err != nil {
			return nil, fmt.Errorf("start Heropayments simulator: %w", err)
		}
		link := sim.LinkHeropayments(context.WithoutCancel(ctx), hp, simSrv.Venue(), sim.LinkOptions{})
		rail.closers = append(rail.closers, func() { hp.Close() }, link.Close)
		base = hp.URL()
		d.log.Info("paper mode: Heropayments simulator started in-process", "url", base)
	}
	// The merchant's daily withdrawal limits, mirrored so a withdrawal over
	// one is refused before the request; totals persist in the ledger.
	var limits *heropayments.Limits
	if cfg.HasLimits() {
		l, err := heropayments.NewLimits(heropayments.LimitsConfig{
			Currency: cfg.LimitsCurrency, MerchantDaily: cfg.MerchantDailyLimit.Decimal, CustomerDaily: cfg.CustomerDailyLimit.Decimal,
			Counters: merchant.NewLimitCounters(store),
		})
		if err != nil {
			rail.close()
			return nil, fmt.Errorf("heropayments limits: %w", err)
		}
		limits = l
	}
	client, err := heropayments.NewClient(heropayments.Config{
		BaseURL: base, APIKey: key, APISecret: secret, Limits: limits,
		Timeout: cfg.Timeout.Duration, RateLimit: cfg.RateLimit, Burst: cfg.Burst, MaxRetries: cfg.MaxRetries,
		Metrics: d.reg, Logger: d.log,
	})
	if err != nil {
		rail.close()
		return nil, fmt.Errorf("heropayments client: %w", err)
	}
	callbackURL := cfg.CallbackURL
	if callbackURL == "" {
		callbackURL = hooks.BaseURL() + cfg.CallbackPath
	}
	m, err := merchant.New(merchant.Options{
		Ledger: store, Client: client, Secret: secret, Flow: rail.flow, CallbackURL: callbackURL,
		PollAfter: cfg.PollAfter.Duration, PollEvery: cfg.PollEvery.Duration,
		Logger: d.log.With("component", "heropayments"), Metrics: d.reg,
	})
	if err != nil {
		rail.close()
		return nil, fmt.Errorf("heropayments: %w", err)
	}
	if err := hooks.Handle(cfg.CallbackPath, m.Handler()); err != nil {
		rail.close()
		return nil, err
	}
	rail.client, rail.merchant = client, m
	d.log.Info("heropayments callbacks", "url", callbackURL)
	return rail, nil
}

// reconciler builds the reconciliation. In paper mode it only reports: the
// simulator of this session has no history of earlier ones.
func (d *Daemon) reconciler(store *ledger.Store, rest *hercle.Client, hp *heropaymentsRail, rk *risk.Engine, deposits *depositRelay) (*reconcile.Reconciler, error) {
	rc, err := reconcile.FromConfig(d.cfg.Reconcile)
	if err != nil {
		return nil, err
	}
	deps := reconcile.Deps{
		Ledger: store, Venue: rest, Metrics: d.reg, Logger: d.log.With("component", "reconcile"),
		OnImport: deposits.pushEntry,
	}
	if hp.client != nil {
		deps.Payments, deps.PaymentsFlow = hp.client, hp.flow
	}
	if d.cfg.Mode == config.ModeLive {
		deps.Pauser = reconcilePauser{rk}
	} else {
		rc.Lookback = min(rc.Lookback, time.Minute)
	}
	return reconcile.New(rc, deps)
}

// reconcilePauser stops trading while reconciliation finds too many
// breaks, and lifts only its own pause: never an operator's kill switch.
type reconcilePauser struct{ rk *risk.Engine }

const reconcileReason = "reconciliation breaks: "

// Pause stops trading unless it is already stopped for another reason (an
// operator's pause or kill switch): overwriting that reason would let
// Resume lift the operator's stop once the breaks clear.
func (p reconcilePauser) Pause(reason string) {
	if killed, why := p.rk.Killed(); killed && !strings.HasPrefix(why, reconcileReason) {
		return
	}
	p.rk.Kill(reconcileReason + reason)
}

func (p reconcilePauser) Resume() {
	if killed, why := p.rk.Killed(); killed && strings.HasPrefix(why, reconcileReason) {
		p.rk.Resume()
	}
}

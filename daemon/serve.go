package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
)

// startLoop runs the event loop. It stops after the prices it is handed,
// reconciliation and the scheduler, and lets the intents in flight finish
// first.
func (r *run) startLoop(context.Context) error {
	r.g.start("loop", r.eng.Loop.Run)
	r.d.setTrading(true)
	return nil
}

// startFeeds connects the hub client and subscribes the configured pairs
// (the hub client subscribes them again after every reconnect), before
// leadership: a standby's prices are as current as the leader's. The
// source holds its ticks back until deliverPrices hands them to the loop.
func (r *run) startFeeds(ctx context.Context) error {
	d := r.d
	source, err := feeds.NewSource(feeds.Config{
		StaleAfter: d.cfg.Feeds.StaleAfter.Duration, OnStale: d.onStale, Logger: d.log, Registerer: d.reg,
		Clock: d.o.Clock, Hold: true,
	})
	if err != nil {
		return err
	}
	r.source = source
	base, key, onPrice := r.venueURL, r.apiKey, r.source.HandlePrice
	if d.cfg.Mode == config.ModeShadow {
		base, key, onPrice = r.shadowFeed()
	}
	hub, err := hub.NewClient(hub.Config{
		BaseURL: base, APIKey: key, Logger: d.log, Registerer: d.reg, Clock: d.o.Clock,
		OnPrice: onPrice,
		OnEvent: d.onHubEvent,
		OnState: func(s hub.State) {
			r.source.HandleState(s)
			d.onHubState(s)
		},
	})
	if err != nil {
		return fmt.Errorf("hub client: %w", err)
	}
	d.mu.Lock()
	d.hub = hub
	d.mu.Unlock()
	r.g.start("feeds", func(ctx context.Context) error {
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.source.Run(ctx)
		}()
		err := hub.Run(ctx)
		<-done
		return err
	})
	for _, fp := range d.cfg.Feeds.Pairs {
		if err := r.source.Subscribe(ctx, hub, "feed-"+fp.Pair, fp.Pair, fp.Size.Decimal); err != nil {
			return err
		}
		d.mu.Lock()
		d.feedPairs = append(d.feedPairs, fp.Pair)
		d.mu.Unlock()
	}
	return nil
}

// deliverPrices hands the feed's ticks to the loop, from the next one on:
// those before it are in the feed's view, which strategies and risk read.
// It stops before the loop.
func (r *run) deliverPrices(context.Context) error {
	r.source.Deliver()
	r.g.start("prices to the loop", func(ctx context.Context) error {
		pump(ctx, r.source, r.eng.Loop, r.d.log)
		return nil
	})
	return nil
}

// startReconcile runs reconciliation once now (in the background: it only
// reads the venue and imports what the venue did without us), then on
// schedule; and the confirmation of deposits against the venue's history,
// which makes them spendable.
func (r *run) startReconcile(context.Context) error {
	r.g.start("reconcile", r.rec.Serve)
	r.g.start("deposit confirmation", r.confirm.Run)
	return nil
}

// startScheduler schedules the treasury policies, their poll and
// reconciliation, and runs them outside maintenance windows. It stops
// first: no new sweep starts during shutdown.
func (r *run) startScheduler(context.Context) error {
	d := r.d
	sched, err := scheduler.New(scheduler.Options{Clock: d.o.Clock, Gate: d.gate, Logger: d.log, Registry: d.reg})
	if err != nil {
		return err
	}
	if err := r.tr.Register(sched); err != nil {
		return fmt.Errorf("treasury: %w", err)
	}
	if err := sched.Add(r.rec.Job()); err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	r.g.start("scheduler", sched.Run)
	if r.customers != nil && d.cfg.InProcessVenue() && d.cfg.Sim.Customers.PayoutEvery.Duration > 0 {
		r.g.start("paper customer payouts", r.paperPayouts)
	}
	return nil
}

// started logs the running engine and tells Options.Started.
func (r *run) started() {
	d := r.d
	d.mu.Lock()
	pairs := append([]string(nil), d.feedPairs...)
	d.mu.Unlock()
	d.log.Info("engine running", "mode", d.cfg.Mode, "venue", r.venueURL, "strategies", r.names,
		"pairs", pairs, "metrics", r.ls.metricsURL, "admin", r.ls.adminURL)
	if d.o.Started != nil {
		info := Info{MetricsURL: r.ls.metricsURL, AdminURL: r.ls.adminURL, VenueURL: r.venueURL, Sim: r.simSrv,
			Heropayments: r.hp.sim, Risk: r.eng.Risk}
		if r.hooks != nil {
			info.WebhookURL = r.hooks.URL()
		}
		d.o.Started(info)
	}
}

// deposit hands a credited deposit to the strategies (autoconvert).
func (r *run) deposit(ctx context.Context, dep inbound.Deposit) {
	r.eng.Loop.Deposit(ctx, strategy.Deposit{ID: dep.TransactionID, Asset: dep.Asset, Amount: dep.Amount, Time: dep.Time})
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

func (d *Daemon) onHubState(s hub.State) {
	switch {
	case s.Status == hub.Reconnecting && !d.gate.Open(s.Since):
		d.log.Info("price feed reconnecting during maintenance", "err", s.LastError)
	case s.Status == hub.Reconnecting:
		d.log.Warn("price feed lost; reconnecting", "err", s.LastError)
	}
}

// onHubEvent counts execution events the hub pushes. Execution confirms
// its orders through their replies and REST lookups by Client-Id; the
// pushes are logged for the operator.
func (d *Daemon) onHubEvent(ev hub.Event) {
	d.m.hubEvents.WithLabelValues(ev.Subject).Inc()
	if ev.Subject == hub.SubjectOrderExecuted && ev.ClientID == "" {
		d.log.Debug("hub: order executed", "subject", ev.Subject)
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/sim"
)

// priceInterval is how often run logs a price per pair.
const priceInterval = 5 * time.Second

// cmdRun runs the engine. For now it connects to the venue (the in-process
// simulator in paper mode, Hercle in live mode), reads pairs and balances,
// and logs a price quote per pair every priceInterval until interrupted.
func cmdRun(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "run", "run [-config FILE]", "engine run -config config.toml")
	path := fs.String("config", defaultConfigPath, "configuration file")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "run: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg, secrets, code := loadConfig(e, *path)
	if code != exitOK {
		return code
	}
	logger, err := newLogger(e.stderr, cfg.Log)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *path, err)
		return exitUsage
	}
	hc := hercle.Config{
		Environment: cfg.Hercle.Environment,
		BaseURL:     cfg.Hercle.BaseURL,
		Timeout:     cfg.Hercle.Timeout.Duration,
		RateLimit:   cfg.Hercle.RateLimit,
		Burst:       cfg.Hercle.Burst,
		MaxRetries:  cfg.Hercle.MaxRetries,
		Logger:      logger,
	}
	if cfg.Mode == config.ModePaper {
		opts := sim.FromConfig(cfg.Sim)
		opts.Logger = logger
		srv, err := sim.Start(ctx, opts)
		if err != nil {
			logger.Error("start simulator", "err", err)
			return exitFailure
		}
		defer func() {
			if err := srv.Close(); err != nil {
				logger.Error("simulator shutdown", "err", err)
			}
		}()
		hc.Environment, hc.BaseURL, hc.APIKey = "", srv.URL(), srv.APIKey()
		logger.Info("paper mode: simulator started in-process", "url", srv.URL(), "seed", opts.Seed)
	} else {
		hc.APIKey = secrets.HercleAPIKey.Reveal()
		logger.Info("live mode", "environment", cfg.Hercle.Environment, "base_url", cfg.Hercle.BaseURL)
	}
	client, err := hercle.NewClient(hc)
	if err != nil {
		logger.Error("hercle client", "err", err)
		return exitUsage
	}
	if err := watchPrices(ctx, client, logger); err != nil {
		logger.Error("run stopped", "err", err)
		return exitFailure
	}
	logger.Info("shutting down")
	return exitOK
}

// watchPrices logs pairs and balances, then a price per pair every
// priceInterval. It returns nil when ctx ends.
func watchPrices(ctx context.Context, c *hercle.Client, logger *slog.Logger) error {
	pairs, err := c.Pairs(ctx)
	if err != nil {
		return ignoreCancel(ctx, fmt.Errorf("pairs: %w", err))
	}
	for _, p := range pairs {
		logger.Info("pair", "pair", p.Name, "min_size", p.MinSize.String(), "max_size", p.MaxSize.String())
	}
	bal, err := c.Balances(ctx)
	if err != nil {
		return ignoreCancel(ctx, fmt.Errorf("balances: %w", err))
	}
	for _, a := range bal.Assets {
		logger.Info("balance", "asset", a.Name, "available", a.Available.String(), "allocated", a.Allocated.String(), "sequence", bal.Sequence)
	}
	tick := time.NewTicker(priceInterval)
	defer tick.Stop()
	for {
		for _, p := range pairs {
			q, err := c.Price(ctx, p.Name, p.MinSize.Decimal)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				logger.Warn("price", "pair", p.Name, "err", err)
				continue
			}
			logger.Info("price", "pair", q.Pair, "size", q.Size.String(), "buy", q.BuyPrice.String(),
				"sell", q.SellPrice.String(), "mark", q.MarkPrice.String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func ignoreCancel(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// newLogger returns the process logger for the log section.
func newLogger(w io.Writer, c config.Log) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.Format) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log.format %q: want text or json", c.Format)
}

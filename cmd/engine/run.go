package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/internal/redact"
	"github.com/otcdesk/engine/strategy"
)

// reloadOnSIGHUP reloads the configuration on each SIGHUP until ctx ends
// or stop is called (see daemon.Reload for what changes live).
func reloadOnSIGHUP(ctx context.Context, d *daemon.Daemon) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				d.ReloadOnSignal(ctx)
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}

// cmdRun runs the engine until interrupted: in paper mode against the
// simulator started in-process, in live mode against Hercle.
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
	logger, err := newLogger(e.stderr, cfg.Log, secrets, cfg.Notify.SecretValues(e.getenv)...)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *path, err)
		return exitUsage
	}
	d, err := daemon.New(cfg, secrets, daemon.Options{Logger: logger, Getenv: e.getenv, Clock: e.clock, Reload: func() (config.Config, error) {
		next, err := config.Load(*path)
		if err == nil {
			err = daemon.Check(next, strategy.Builtins())
		}
		return next, err
	}})
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *path, err)
		return exitUsage
	}
	stopHUP := reloadOnSIGHUP(ctx, d)
	defer stopHUP()
	if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("engine stopped", "err", err)
		switch {
		case errors.Is(err, daemon.ErrBooks):
			return exitBooks
		case errors.Is(err, daemon.ErrConfig):
			return exitUsage
		}
		return exitFailure
	}
	logger.Info("engine stopped")
	return exitOK
}

// newLogger returns the process logger for the log section. Every secret
// value, and each of more (the notification sinks'), is scrubbed from its
// output.
func newLogger(w io.Writer, c config.Log, s config.Secrets, more ...string) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(c.Format) {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text", "":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log.format %q: want text or json", c.Format)
	}
	return slog.New(redact.Handler(h, append(s.Values(), more...)...)), nil
}

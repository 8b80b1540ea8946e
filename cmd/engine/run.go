package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/internal/redact"
)

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
	logger, err := newLogger(e.stderr, cfg.Log, secrets)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *path, err)
		return exitUsage
	}
	d, err := daemon.New(cfg, secrets, daemon.Options{Logger: logger, Clock: e.clock})
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *path, err)
		return exitUsage
	}
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
// value is scrubbed from its output.
func newLogger(w io.Writer, c config.Log, s config.Secrets) (*slog.Logger, error) {
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
	return slog.New(redact.Handler(h, s.Values()...)), nil
}

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/notify"
	"github.com/otcdesk/engine/strategy"
)

const defaultConfigPath = "config.toml"

func cmdConfig(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] != "check" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fmt.Fprint(e.stderr, configUsage)
			return exitOK
		}
		fmt.Fprint(e.stderr, configUsage)
		return exitUsage
	}
	fs := newFlagSet(e, "config check", "config check [-config FILE]",
		"engine config check -config config.toml")
	path := fs.String("config", defaultConfigPath, "configuration file to check")
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "config check: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg, secrets, code := loadConfig(e, *path)
	if code != exitOK {
		return code
	}
	if err := cfg.RequireRunSecrets(secrets); err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *path, err)
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "%s: OK (mode %s)\n", *path, cfg.Mode)
	return exitOK
}

const configUsage = `Usage: engine config check [-config FILE]

Checks a configuration file and the secrets it needs from the environment,
listing every problem with its key path. Exits 0 if the file is valid, 2 if not.

Example:
  engine config check -config config.toml
`

// loadConfig loads and validates the file and the secrets it needs, printing
// every problem. The exit code is exitOK, or exitUsage for a configuration
// error.
func loadConfig(e *env, path string) (config.Config, config.Secrets, int) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "%v\n", err)
		return config.Config{}, config.Secrets{}, exitUsage
	}
	// Everything `engine run` would refuse before it creates anything:
	// strategies against feeds and limits, the files the file names.
	if err = daemon.Check(cfg, strategy.Builtins()); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			ce.Name = path
		}
		fmt.Fprintf(e.stderr, "%v\n", err)
		return config.Config{}, config.Secrets{}, exitUsage
	}
	secrets, err := config.LoadSecrets(e.getenv)
	if err == nil {
		err = cfg.RequireSecrets(secrets)
	}
	if err == nil {
		// The sinks' secrets, as engine run reads them.
		_, err = notify.New(cfg.Notify, notify.Options{Getenv: e.getenv})
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", path, err)
		return config.Config{}, config.Secrets{}, exitUsage
	}
	return cfg, secrets, exitOK
}

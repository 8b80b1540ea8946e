package main

import (
	"context"
	"fmt"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/sim"
)

// cmdSim runs the venue simulator standalone until interrupted.
func cmdSim(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "sim", "sim [-config FILE] [-addr HOST:PORT]",
		"engine sim -config config.toml -addr 127.0.0.1:8700\n"+
			"  then point a client at it: base_url = \"http://127.0.0.1:8700\" and HERCLE_API_KEY as printed")
	path := fs.String("config", defaultConfigPath, "configuration file; its [sim] section configures the simulator")
	addr := fs.String("addr", "", "listen address, loopback only (default: sim.addr of the file)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "sim: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintf(e.stderr, "%v\n", err)
		return exitUsage
	}
	logger, err := newLogger(e.stderr, cfg.Log, config.Secrets{})
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *path, err)
		return exitUsage
	}
	opts := sim.FromConfig(cfg.Sim)
	opts.Logger = logger
	if *addr != "" {
		opts.Addr = *addr
	}
	srv, err := sim.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "sim: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "HERCLE_BASE_URL=%s\nHERCLE_API_KEY=%s\n", srv.URL(), srv.APIKey())
	logger.Info("simulator serving", "url", srv.URL(), "seed", opts.Seed, "dedup", opts.Dedup,
		"rate_limited", opts.Faults.RateLimited, "reset_before_read", opts.Faults.ResetBeforeRead,
		"error_after_apply", opts.Faults.ErrorAfterApply, "latency", opts.Faults.Latency)
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		logger.Error("simulator shutdown", "err", err)
		return exitFailure
	}
	logger.Info("simulator stopped")
	return exitOK
}

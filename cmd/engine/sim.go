package main

import (
	"context"
	"fmt"
	"strings"

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
	hookURL := fs.String("webhook-url", "", "post a signed webhook for every state change to this URL, e.g. http://127.0.0.1:8780/webhooks/hercle")
	hookKey := fs.String("webhook-key", "sim-webhook.pem", "with -webhook-url: where to write the webhooks' public key (PEM), for webhook.public_keys")
	envelope := fs.String("webhook-envelope", "A", "with -webhook-url: envelope version, A (EventId…, Data a JSON string) or B (eventId…, data an object)")
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
	opts := cfg.Sim.Options()
	opts.Logger = logger
	if *addr != "" {
		opts.Addr = *addr
	}
	if *hookURL != "" {
		opts.Webhooks = sim.WebhookOptions{URL: *hookURL, PublicKeyFile: *hookKey, Logger: logger}
		switch strings.ToUpper(*envelope) {
		case "A":
		case "B":
			opts.Webhooks.Format = sim.WebhookFormat{CamelCase: true, EmbeddedData: true}
		default:
			fmt.Fprintf(e.stderr, "sim: -webhook-envelope must be A or B, got %q\n", *envelope)
			return exitUsage
		}
	}
	srv, err := sim.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(e.stderr, "sim: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "HERCLE_BASE_URL=%s\nHERCLE_API_KEY=%s\n", srv.URL(), srv.APIKey())
	if w := srv.Webhooks(); w != nil {
		fmt.Fprintf(e.stdout, "HERCLE_WEBHOOK_PUBLIC_KEY=%s\n", w.PublicKeyFile())
	}
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

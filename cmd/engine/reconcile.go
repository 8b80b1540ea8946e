package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/reconcile"
)

// exitBreaks is reconcile's exit code when the run found breaks, so that
// scripts can tell them from a failure to run (1) or bad usage (2).
const exitBreaks = 3

const reconcileSynopsis = "reconcile [-config FILE] [-since WHEN] [-json] [-dry-run] [-last]"

const reconcileAbout = `Reconciles the ledger with Hercle's REST history: balances, trades,
transactions, withdrawals, bank transfers and the webhooks stored in the
inbox. Movements the venue made that the ledger lacks (deposits, fees,
anything done outside the engine once final) are imported as new entries
flagged source=reconcile; everything else is reported. The report is stored
in the ledger, like the running engine's own reports.

The ledger file must not be held by a running engine: the engine reconciles
itself at start-up and on [reconcile].schedule. In paper mode the venue is
the simulator inside 'engine run' and its history ends with it, so this
command needs hercle.base_url (a standalone 'engine sim') and HERCLE_API_KEY.

Exit status: 0 clean, 3 breaks found, 1 the run failed, 2 usage or
configuration error.
`

func cmdReconcile(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "reconcile", reconcileSynopsis,
		"engine reconcile -config config.toml -since 72h\n  engine reconcile -since 2025-03-01 -json > report.json\n  engine reconcile -last")
	defaultUsage := fs.Usage
	fs.Usage = func() {
		fmt.Fprint(e.stderr, reconcileAbout+"\n")
		defaultUsage()
	}
	path := fs.String("config", defaultConfigPath, "configuration file: [hercle], [ledger] and [reconcile]")
	sinceFlag := fs.String("since", "", "start of the history to compare: RFC 3339 time, date (UTC), duration (72h) or days (7d); default reconcile.lookback")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	dryRun := fs.Bool("dry-run", false, "compare only: open the ledger read-only, import nothing, store no report")
	last := fs.Bool("last", false, "print the last stored report instead of running (needs no venue)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "reconcile: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	since, err := reconcile.ParseSince(*sinceFlag, e.clock.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "reconcile: -since: %v\n", err)
		return exitUsage
	}
	cfg, secrets, code := loadConfig(e, *path)
	if code != exitOK {
		return code
	}
	rc, err := reconcile.FromConfig(cfg.Reconcile)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *path, err)
		return exitUsage
	}
	rc.DryRun = *dryRun

	if *last {
		s, code := openReconcileLedger(e, cfg, true)
		if s == nil {
			return code
		}
		defer s.Close()
		return printLastReport(ctx, e, s, *asJSON)
	}

	return runReconcile(ctx, e, cfg, secrets, rc, *path, since, *asJSON)
}

// runReconcile reconciles the ledger of cfg against its venue from since
// and prints the report.
func runReconcile(ctx context.Context, e *env, cfg config.Config, secrets config.Secrets, rc reconcile.Config, path string,
	since time.Time, asJSON bool) int {
	if cfg.InProcessVenue() {
		fmt.Fprintf(e.stderr, "reconcile: %s mode has no persistent venue: the simulator runs inside 'engine run' and its history\n"+
			"ends with it, so there is nothing to reconcile this ledger against. The running engine reconciles itself at\n"+
			"start-up and on [reconcile].schedule (%s); 'engine reconcile -last' shows its last report once it is stopped.\n"+
			"To reconcile by hand, start a standalone simulator ('engine sim'), set hercle.base_url in %s and HERCLE_API_KEY\n"+
			"as it prints, or use live mode.\n", cfg.Mode, rc.Schedule, path)
		return exitUsage
	}
	if !secrets.HercleAPIKey.IsSet() {
		fmt.Fprintf(e.stderr, "reconcile: set HERCLE_API_KEY (or HERCLE_API_KEY_FILE) for %s\n", firstNonEmpty(cfg.Hercle.BaseURL, cfg.Hercle.Environment))
		return exitUsage
	}
	logger, err := newLogger(e.stderr, cfg.Log, secrets)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", path, err)
		return exitUsage
	}
	client, err := hercle.NewClient(hercle.Config{
		Environment: cfg.Hercle.Environment, BaseURL: cfg.Hercle.BaseURL, APIKey: secrets.HercleAPIKey.Reveal(),
		Timeout: cfg.Hercle.Timeout.Duration, RateLimit: cfg.Hercle.RateLimit, Burst: cfg.Hercle.Burst,
		MaxRetries: cfg.Hercle.MaxRetries, Logger: logger, Clock: e.clock,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "reconcile: hercle client: %v\n", err)
		return exitUsage
	}
	s, code := openReconcileLedger(e, cfg, rc.DryRun)
	if s == nil {
		return code
	}
	defer s.Close()
	// The Heropayments checks are the running engine's (it holds the
	// client): skipped here, and the report says so when there is
	// something to check.
	rec, err := reconcile.New(rc, reconcile.Deps{Ledger: s, Venue: client, Logger: logger, Clock: e.clock})
	if err != nil {
		fmt.Fprintf(e.stderr, "reconcile: %v\n", err)
		return exitFailure
	}
	rep, err := rec.Run(ctx, since)
	if err != nil {
		fmt.Fprintf(e.stderr, "reconcile: %v\nNothing was stored; run it again once the venue and the ledger answer.\n", err)
		return exitFailure
	}
	return printReport(e, rep, asJSON)
}

// openReconcileLedger opens the ledger of cfg, read-only or read-write,
// explaining the usual problems.
func openReconcileLedger(e *env, cfg config.Config, readOnly bool) (*ledger.Store, int) {
	path := cfg.Ledger.Path
	s, err := ledger.Open(path, ledger.Options{ReadOnly: readOnly, LockTimeout: cfg.Ledger.LockTimeout.Duration, Clock: e.clock})
	switch {
	case err == nil:
		return s, exitOK
	case errors.Is(err, ledger.ErrInUse):
		fmt.Fprintf(e.stderr, "reconcile: %s is in use by a running engine, which reconciles it itself at start-up and on\n"+
			"[reconcile].schedule (see engine_reconcile_* metrics and its log); stop the engine to reconcile by hand\n", path)
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(e.stderr, "reconcile: no ledger file at %s: check ledger.path in the configuration\n", path)
	default:
		fmt.Fprintf(e.stderr, "reconcile: %v\n", err)
	}
	return nil, exitFailure
}

func printLastReport(ctx context.Context, e *env, s *ledger.Store, asJSON bool) int {
	stored, err := s.LastReport(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		fmt.Fprintf(e.stderr, "reconcile: %s holds no report yet\n", s.Path())
		return exitFailure
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "reconcile: %v\n", err)
		return exitFailure
	}
	rep, err := reconcile.DecodeReport(stored.Body)
	if err != nil {
		fmt.Fprintf(e.stderr, "reconcile: report %d: %v\n", stored.ID, err)
		return exitFailure
	}
	rep.ID = stored.ID
	return printReport(e, rep, asJSON)
}

func printReport(e *env, rep reconcile.Report, asJSON bool) int {
	var err error
	if asJSON {
		err = encodeJSON(e.stdout, rep)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "reconcile: print report: %v\n", err)
		return exitFailure
	}
	if !rep.Clean() {
		return exitBreaks
	}
	return exitOK
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

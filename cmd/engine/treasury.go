package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/treasury"
)

const treasuryUsage = `Usage: engine treasury plan [-config FILE] [-json]

Prints what each treasury policy (sweep, convert, settlement) would do now
(amount, destination, reason), reading balances, whitelists and caps and
sending nothing. It reads the
ledger read-only, so it may run beside the engine. In paper mode it plans
against a simulator started from the ledger's balances.

Example:
  engine treasury plan -config config.toml
`

func cmdTreasury(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] != "plan" {
		fmt.Fprint(e.stderr, treasuryUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return exitOK
		}
		return exitUsage
	}
	fs := newFlagSet(e, "treasury plan", "treasury plan [-config FILE] [-json]", "engine treasury plan -config config.toml")
	path := fs.String("config", defaultConfigPath, "configuration file")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "treasury plan: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg, secrets, code := loadConfig(e, *path)
	if code != exitOK {
		return code
	}
	cfg.Log.Level = "warn"
	logger, err := newLogger(e.stderr, cfg.Log, secrets)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", *path, err)
		return exitUsage
	}
	if len(cfg.Treasury.Policies) == 0 {
		fmt.Fprintf(e.stdout, "No treasury policies are configured in %s: nothing to plan.\nAdd [treasury.policies.<name>] sections (see the commented example in config.toml) to sweep, convert or settle balances.\n", *path)
		return exitOK
	}
	plan, err := daemon.Plan(ctx, cfg, secrets, logger)
	if err != nil {
		fmt.Fprintf(e.stderr, "treasury plan: %v\n", err)
		return exitFailure
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(plan); err != nil {
			return exitFailure
		}
		return exitOK
	}
	printPlan(e.stdout, plan)
	return exitOK
}

func printPlan(w io.Writer, plan []treasury.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "POLICY\tOUTCOME\tASSET\tAVAILABLE\tAMOUNT\tDESTINATION\tREASON")
	var walk func(rs []treasury.Result, depth int)
	walk = func(rs []treasury.Result, depth int) {
		for _, r := range rs {
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\n", strings.Repeat("  ", depth), r.Policy, r.Outcome, r.Asset,
				r.Available, r.Amount, r.Destination, r.Reason)
			walk(r.Chained, depth+1)
		}
	}
	walk(plan, 0)
	tw.Flush()
}

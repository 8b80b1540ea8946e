// Command engine is the OTC trading and treasury daemon and its tools.
//
// Exit codes: 0 success, 2 usage or configuration error, 1 runtime failure,
// 3 the books need an operator (the ledger does not verify or cannot be
// read: restarting will not help).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/otcdesk/engine/internal/clock"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitBooks   = 3
)

// env is what a subcommand may touch of the process: its streams, its
// environment and its clock. Tests build one around buffers and a map.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	clock          clock.Clock // main's is the zero value: the system clock
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"run", "run the engine (paper mode: against the in-process simulator)", cmdRun},
		{"sim", "serve the venue simulator on loopback", cmdSim},
		{"config", "check a configuration file", cmdConfig},
		{"status", "what the engine is doing and what its books are worth (admin API, or the ledger)", cmdStatus},
		{"admin", "operator verbs on the running engine: pause, kill, orders, strategies, policies, intents", cmdAdmin},
		{"pnl", "profit and loss from the ledger, by strategy, asset or day", cmdPnL},
		{"ledger", "show balances, journal, intents and the audit trail; export the journal", cmdLedger},
		{"reconcile", "compare the ledger with the venues' history; import what the venue proves missing", cmdReconcile},
		{"record", "record hub price updates to a tick file", cmdRecord},
		{"treasury", "show what each treasury policy would do now (plan)", cmdTreasury},
		{"backtest", "replay recorded ticks through the strategies and report", cmdBacktest},
		{"version", "print the version", cmdVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	code := dispatch(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "engine: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: engine <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'engine <command> -h' for a command's flags and an example.")
}

// newFlagSet returns a flag set that prints usage with an example and never
// exits the process.
func newFlagSet(e *env, name, synopsis, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: engine %s\n\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(e.stderr, "\nExample:\n  %s\n", example)
	}
	return fs
}

// parseFlags parses args; it returns exitOK with done set for -h, and
// exitUsage with done set for a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	return exitOK, false
}

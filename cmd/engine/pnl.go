package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/portfolio"
	"github.com/otcdesk/engine/scheduler"
)

const pnlUsage = `Usage: engine pnl [-config FILE | -db PATH] [-since WHEN] [-by strategy|asset|day] [-prices FILE] [-method fifo|average] [-json]

Profit and loss from the ledger file, the engine stopped: realised and
unrealised PnL, fees and external flows, in risk.reference, per strategy
or treasury policy, per asset or per day (in risk.day_zone), and how the
change of equity reconciles with them. A running engine holds the file:
ask it with 'engine admin pnl' (the same report).

Entries are valued at the journal's own fill prices of their time;
holdings at the last fill of each pair, or at -prices: a file of lines
"PAIR PRICE" (a pair the journal traded, e.g. BTCEUR 60000) or
"BASE/QUOTE PRICE" (any pair, e.g. USDT/EUR 0.92); "#" starts a comment.
A pair never traded and not in -prices leaves the entries of its assets
unbooked: the report says which.

WHEN is today, a date (2025-03-01, midnight in risk.day_zone), an RFC 3339
time, or a duration back from now (72h); without it, since the ledger
began.

Example:
  engine pnl -config config.toml -since 2025-03-01 -by day
  engine pnl -db data/ledger.db -by asset -prices prices.txt -json
`

// offlineBook is the portfolio of a ledger file read by a command.
type offlineBook struct {
	store  *ledger.Store
	tr     *pnl.Tracker
	prices portfolio.Prices
	zone   *time.Location
}

// bookFlags are what engine pnl and engine status read a ledger with.
type bookFlags struct {
	ledgerFlags
	prices, method string
}

func (bf *bookFlags) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.StringVar(&bf.config, "config", defaultConfigPath, "configuration file (ledger.path, risk.reference, risk.day_zone, portfolio.method)")
	fs.StringVar(&bf.db, "db", "", "ledger file; overrides ledger.path")
	fs.BoolVar(&bf.json, "json", false, "print JSON instead of tables")
	fs.StringVar(&bf.prices, "prices", "", "file of current prices, one \"PAIR PRICE\" a line (default: the last fills)")
	fs.StringVar(&bf.method, "method", "", "cost basis: fifo or average (default: portfolio.method)")
}

// load opens the ledger read-only and books it. Without a readable
// configuration it values in EUR, days in UTC.
func (bf *bookFlags) load(ctx context.Context, e *env, cmd string) (*offlineBook, int) {
	cfg, err := config.Load(bf.config)
	switch {
	case err == nil:
	case bf.db != "" && errors.Is(err, fs.ErrNotExist):
		cfg = config.Default()
	default:
		fmt.Fprintf(e.stderr, "%s: %v\n(name the ledger with -db, or a configuration with -config)\n", cmd, err)
		return nil, exitUsage
	}
	if bf.method != "" {
		cfg.Portfolio.Method = bf.method
	}
	pc, err := cfg.Portfolio.Config(cfg.Risk.Reference, cfg.Risk.DayZone)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return nil, exitUsage
	}
	var prices portfolio.Prices
	var pairs []market.Pair
	if bf.prices != "" {
		f, err := os.Open(bf.prices)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: -prices: %v\n", cmd, err)
			return nil, exitUsage
		}
		prices, pairs, err = pnl.ReadPrices(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: -prices %s: %v\n", cmd, bf.prices, err)
			return nil, exitUsage
		}
	}
	if bf.db == "" {
		bf.db = cfg.Ledger.Path
	}
	store, code := bf.ledgerFlags.open(e)
	if store == nil {
		if code == exitFailure && cmd == "pnl" {
			fmt.Fprintln(e.stderr, "(a running engine answers the same report: engine admin pnl)")
		}
		return nil, code
	}
	tr, err := pnl.Load(ctx, store, pnl.Options{Config: pc, Pairs: pairs,
		Fallback: func() portfolio.PriceSource { return prices }})
	if err != nil {
		store.Close()
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return nil, exitFailure
	}
	return &offlineBook{store: store, tr: tr, prices: prices, zone: pc.DayZone}, exitOK
}

// warn says on stderr what the book could not take in, and what to do.
func (b *offlineBook) warn(e *env, st pnl.Status) {
	if st.Pending > 0 || st.Refused > 0 {
		fmt.Fprintf(e.stderr, "warning: %d entries waiting for a price, %d refused (%s): give -prices with a price for the pair it names\n",
			st.Pending, st.Refused, st.Reason)
	}
}

func cmdPnL(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "pnl", "pnl [-config FILE | -db PATH] [-since WHEN] [-by strategy|asset|day] [-prices FILE] [-method fifo|average] [-json]",
		"engine pnl -config config.toml -since 2025-03-01 -by day")
	fs.Usage = func() { fmt.Fprint(e.stderr, pnlUsage) }
	var bf bookFlags
	bf.register(fs)
	since := fs.String("since", "", "start of the window: today, YYYY-MM-DD, RFC 3339 or a duration such as 72h (default: the whole ledger)")
	by := fs.String("by", pnl.ByStrategy, "group by strategy (or treasury policy), asset or day")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "pnl: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	now := e.clock.Now()
	// The query is checked before the file is read: bad input changes
	// and costs nothing.
	zone := time.UTC
	if cfg, err := config.Load(bf.config); err == nil {
		if z, err := scheduler.ParseZone(cfg.Risk.DayZone); err == nil {
			zone = z
		}
	}
	q, err := pnl.ParseQuery(*since, *by, now, zone)
	if err != nil {
		fmt.Fprintf(e.stderr, "pnl: %v\n", err)
		return exitUsage
	}
	b, code := bf.load(ctx, e, "pnl")
	if b == nil {
		return code
	}
	defer b.store.Close()
	v, err := b.tr.PnL(ctx, b.store, q, b.prices, now)
	if err != nil {
		fmt.Fprintf(e.stderr, "pnl: %v\n", err)
		return exitFailure
	}
	b.warn(e, v.Status)
	if bf.json {
		return writeJSON(e, v)
	}
	if err := pnl.WritePnL(e.stdout, v); err != nil {
		return exitFailure
	}
	return exitOK
}

// killFileOf is where the kill switch of the ledger at path is kept.
func killFileOf(path string) string { return filepath.Join(filepath.Dir(path), "KILLED") }

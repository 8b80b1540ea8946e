package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

const ledgerUsage = `Usage: engine ledger <balances|journal|intents|export|verify|audit|backup|restore> [flags]

Reads the ledger file (read-only) and prints what it holds:

  balances   balance of every account and asset
  journal    journal entries with their postings, filtered
  intents    intents (outbox) by state
  export     the journal as CSV (one row per posting) or JSON
  verify     check the invariants: every entry balances, balances equal a
             rebuild from the journal, every other record decodes, bbolt
             pages are sound
  audit      the audit trail of operator actions (who, what, when, result)
  backup     write a verified copy to -out, also while the engine runs
             (then streamed over its admin API: -config, ADMIN_TOKEN)
  restore    replace the ledger with a backup that verifies (engine stopped)

The file is ledger.path from -config, or -db. A running engine holds the
file; stop it first (the command says so if the file is in use), except
for backup.
Tables by default; -json prints JSON for scripts (amounts as exact strings).
Run 'engine ledger <subcommand> -h' for its flags.

Example:
  engine ledger balances -db data/ledger.db
  engine ledger journal -config config.toml -account venue:hercle -kind trade -since 2025-03-01
  engine ledger intents -state unfinished -json
  engine ledger export -format csv -o journal.csv
  engine ledger verify -db data/ledger.db
  engine ledger audit -db data/ledger.db -since 2025-03-01
  engine ledger backup -config config.toml -out /backups/ledger-2026-03-01.db
  engine ledger restore -config config.toml /backups/ledger-2026-03-01.db
`

func cmdLedger(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, ledgerUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stderr, ledgerUsage)
		return exitOK
	case "balances":
		return ledgerBalances(ctx, e, args[1:])
	case "journal":
		return ledgerJournal(ctx, e, args[1:], false)
	case "export":
		return ledgerJournal(ctx, e, args[1:], true)
	case "intents":
		return ledgerIntents(ctx, e, args[1:])
	case "verify":
		return ledgerVerify(ctx, e, args[1:])
	case "audit":
		return ledgerAudit(ctx, e, args[1:])
	case "backup":
		return ledgerBackup(ctx, e, args[1:])
	case "restore":
		return ledgerRestore(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "ledger: unknown subcommand %q\n\n", args[0])
	fmt.Fprint(e.stderr, ledgerUsage)
	return exitUsage
}

// ledgerFlags are the flags every ledger subcommand takes.
type ledgerFlags struct {
	config, db string
	json       bool
}

func (lf *ledgerFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&lf.config, "config", defaultConfigPath, "configuration file naming the ledger (ledger.path)")
	fs.StringVar(&lf.db, "db", "", "ledger file; overrides -config")
	fs.BoolVar(&lf.json, "json", false, "print JSON instead of a table")
}

// resolve names the ledger file: -db, or ledger.path of -config (cfg is
// then the configuration). It prints the problem and returns a non-zero
// exit code on failure.
func (lf *ledgerFlags) resolve(e *env) (path string, timeout time.Duration, cfg *config.Config, code int) {
	if lf.db != "" {
		return lf.db, 0, nil, exitOK
	}
	c, err := config.Load(lf.config)
	if err != nil {
		fmt.Fprintf(e.stderr, "ledger: %v\n(name the file with -db, or a configuration with -config)\n", err)
		return "", 0, nil, exitUsage
	}
	return c.Ledger.Path, c.Ledger.LockTimeout.Duration, &c, exitOK
}

// open opens the ledger read-only. It prints the problem and returns a
// non-zero exit code on failure.
func (lf *ledgerFlags) open(e *env) (*ledger.Store, int) {
	path, timeout, _, code := lf.resolve(e)
	if code != exitOK {
		return nil, code
	}
	s, err := ledger.Open(path, ledger.Options{ReadOnly: true, LockTimeout: timeout})
	switch {
	case err == nil:
		return s, exitOK
	case errors.Is(err, ledger.ErrInUse):
		fmt.Fprintf(e.stderr, "ledger: %s is in use by a running engine (or another writer): stop it and try again, or read a copy taken with the engine stopped\n", path)
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(e.stderr, "ledger: no ledger file at %s: check -db or ledger.path in the configuration\n", path)
	default:
		fmt.Fprintf(e.stderr, "%v\n", err)
	}
	return nil, exitFailure
}

// readFailed prints why reading the ledger at path failed, naming the
// file, and what to do if a record is damaged; it returns the exit code.
func readFailed(e *env, name, path string, err error) int {
	msg := err.Error()
	if !strings.Contains(msg, path) {
		msg = path + ": " + msg
	}
	fmt.Fprintf(e.stderr, "ledger %s: %s\n", name, msg)
	if errors.Is(err, ledger.ErrCorrupt) {
		fmt.Fprintf(e.stderr, "The ledger is damaged: do not trade on it; restore it from a backup (engine ledger verify -db %s lists every problem).\n", path)
	}
	return exitFailure
}

// parseLedgerFlags parses args and refuses positional arguments.
func parseLedgerFlags(e *env, fs *flag.FlagSet, args []string) (int, bool) {
	if code, done := parseFlags(fs, args); done {
		return code, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "ledger %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, true
	}
	return exitOK, false
}

func ledgerBalances(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "balances", "ledger balances [-config FILE | -db PATH] [-account PREFIX] [-asset CODE] [-json]",
		"engine ledger balances -db data/ledger.db -account venue:hercle")
	var lf ledgerFlags
	lf.register(fs)
	account := fs.String("account", "", "only accounts under this prefix, for example venue:hercle or transit")
	asset := fs.String("asset", "", "only this asset, for example BTC")
	if code, done := parseLedgerFlags(e, fs, args); done {
		return code
	}
	if !checkFilterFlags(e, "balances", *account, *asset) {
		return exitUsage
	}
	s, code := lf.open(e)
	if s == nil {
		return code
	}
	defer s.Close()
	all, err := s.Balances(ctx)
	if err != nil {
		return readFailed(e, "balances", s.Path(), err)
	}
	type row struct {
		Account string `json:"account"`
		Asset   string `json:"asset"`
		Amount  string `json:"amount"`
	}
	rows := []row{}
	for _, b := range all {
		if (*account == "" || b.Account.HasPrefix(*account)) && (*asset == "" || string(b.Asset) == strings.ToUpper(*asset)) {
			rows = append(rows, row{b.Account.String(), string(b.Asset), b.Amount.String()})
		}
	}
	if lf.json {
		return writeJSON(e, rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tASSET\tAMOUNT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Account, r.Asset, r.Amount)
	}
	tw.Flush()
	return exitOK
}

// entryJSON is the exported form of a journal entry.
type entryJSON struct {
	Seq      uint64            `json:"seq"`
	Key      string            `json:"key"`
	Kind     string            `json:"kind"`
	Time     time.Time         `json:"time"`
	Recorded time.Time         `json:"recorded"`
	ClientID string            `json:"client_id,omitempty"`
	Refs     map[string]string `json:"refs,omitempty"`
	Reverses string            `json:"reverses,omitempty"`
	Memo     string            `json:"memo,omitempty"`
	Postings []postingJSON     `json:"postings"`
}

type postingJSON struct {
	Account string `json:"account"`
	Asset   string `json:"asset"`
	Amount  string `json:"amount"`
}

func toEntryJSON(en ledger.Entry) entryJSON {
	j := entryJSON{Seq: en.Seq, Key: en.Key, Kind: string(en.Kind), Time: en.Time, Recorded: en.Recorded,
		ClientID: en.ClientID, Refs: en.Refs, Reverses: en.Reverses, Memo: en.Memo}
	for _, p := range en.Postings {
		j.Postings = append(j.Postings, postingJSON{p.Account.String(), string(p.Asset), p.Amount.String()})
	}
	return j
}

// ledgerJournal serves both journal (table or -json) and export (CSV or
// JSON, to a file or stdout).
func ledgerJournal(ctx context.Context, e *env, args []string, export bool) int {
	name, synopsis, example := "journal",
		"ledger journal [-config FILE | -db PATH] [-account PREFIX] [-asset CODE] [-kind KIND] [-since T] [-until T] [-client-id ID] [-limit N] [-json]",
		"engine ledger journal -db data/ledger.db -account transit -since 2025-03-01 -until 2025-03-02T12:00:00Z"
	if export {
		name, synopsis, example = "export",
			"ledger export [-config FILE | -db PATH] [-format csv|json] [-o FILE] [journal filters]",
			"engine ledger export -db data/ledger.db -format csv -since 2025-03-01 -o march.csv"
	}
	fs := newFlagSet(e, name, synopsis, example)
	var lf ledgerFlags
	lf.register(fs)
	account := fs.String("account", "", "only entries with a posting under this account prefix")
	asset := fs.String("asset", "", "only entries with a posting in this asset")
	kind := fs.String("kind", "", "only entries of this kind: "+kindList())
	since := fs.String("since", "", "only entries at or after this time (RFC 3339 or YYYY-MM-DD, UTC)")
	until := fs.String("until", "", "only entries before this time (RFC 3339 or YYYY-MM-DD, UTC)")
	clientID := fs.String("client-id", "", "only entries of this intent Client-Id")
	limit := fs.Int("limit", 0, "stop after this many entries (0: all)")
	var format, out *string
	if export {
		format = fs.String("format", "csv", "csv (one row per posting) or json")
		out = fs.String("o", "", "write to this file (created 0600) instead of stdout")
	}
	if code, done := parseLedgerFlags(e, fs, args); done {
		return code
	}
	if !checkFilterFlags(e, name, *account, *asset) {
		return exitUsage
	}
	f, ok := journalFilter(e, name, *account, *asset, *kind, *since, *until, *clientID, *limit)
	if !ok {
		return exitUsage
	}
	asJSON := lf.json
	if export {
		formatSet := false
		fs.Visit(func(fl *flag.Flag) { formatSet = formatSet || fl.Name == "format" })
		switch *format {
		case "csv":
			if lf.json && formatSet {
				fmt.Fprintf(e.stderr, "ledger export: -json asks for JSON and -format csv for CSV: give one of them\n")
				return exitUsage
			}
		case "json":
			asJSON = true
		default:
			fmt.Fprintf(e.stderr, "ledger export: -format %q: want csv or json\n", *format)
			return exitUsage
		}
	}
	s, code := lf.open(e)
	if s == nil {
		return code
	}
	defer s.Close()
	entries, err := s.Entries(ctx, f)
	if err != nil {
		return readFailed(e, name, s.Path(), err)
	}

	dest := ""
	if export {
		dest = *out
	}
	return writeEntries(e, name, entries, dest, asJSON, export)
}

// journalFilter reads the journal's filter flags, reporting a bad one.
func journalFilter(e *env, name, account, asset, kind, since, until, clientID string, limit int) (ledger.Filter, bool) {
	f := ledger.Filter{Account: account, Asset: market.Asset(strings.ToUpper(asset)), Kind: ledger.Kind(kind),
		ClientID: clientID, Limit: limit}
	var err error
	if f.From, err = parseWhen(since); err != nil {
		fmt.Fprintf(e.stderr, "ledger %s: -since: %v\n", name, err)
		return f, false
	}
	if f.To, err = parseWhen(until); err != nil {
		fmt.Fprintf(e.stderr, "ledger %s: -until: %v\n", name, err)
		return f, false
	}
	switch {
	case !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To):
		fmt.Fprintf(e.stderr, "ledger %s: -until %s is not after -since %s: the window holds no time\n", name, until, since)
		return f, false
	case kind != "" && !validKind(ledger.Kind(kind)):
		fmt.Fprintf(e.stderr, "ledger %s: -kind %q: want one of %s\n", name, kind, kindList())
		return f, false
	case limit < 0:
		fmt.Fprintf(e.stderr, "ledger %s: -limit must not be negative\n", name)
		return f, false
	}
	return f, true
}

// writeEntries writes the entries as JSON, CSV (export) or a table, to
// stdout or to a new file named out.
func writeEntries(e *env, name string, entries []ledger.Entry, out string, asJSON, export bool) int {
	w := e.stdout
	var file *os.File
	var err error
	if out != "" {
		file, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			fmt.Fprintf(e.stderr, "ledger export: %v (the file must not exist yet)\n", err)
			return exitFailure
		}
		w = file
	}
	switch {
	case asJSON:
		rows := make([]entryJSON, 0, len(entries))
		for _, en := range entries {
			rows = append(rows, toEntryJSON(en))
		}
		err = encodeJSON(w, rows)
	case export:
		err = writeCSV(w, entries)
	default:
		err = writeJournalTable(w, entries)
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ledger %s: write: %v\n", name, err)
		return exitFailure
	}
	if file != nil {
		fmt.Fprintf(e.stderr, "ledger export: %d entries written to %s\n", len(entries), out)
	}
	return exitOK
}

func writeJournalTable(w io.Writer, entries []ledger.Entry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tKEY\tCLIENT-ID\tACCOUNT\tASSET\tAMOUNT")
	for _, en := range entries {
		for i, p := range en.Postings {
			if i == 0 {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t", en.Seq, en.Time.Format(time.RFC3339), en.Kind, en.Key, en.ClientID)
			} else {
				fmt.Fprint(tw, "\t\t\t\t\t")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Account, p.Asset, p.Amount)
		}
	}
	return tw.Flush()
}

func writeCSV(w io.Writer, entries []ledger.Entry) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "key", "time", "recorded", "kind", "client_id", "reverses", "account", "asset", "amount"})
	for _, en := range entries {
		for _, p := range en.Postings {
			cw.Write([]string{strconv.FormatUint(en.Seq, 10), en.Key, en.Time.Format(time.RFC3339Nano),
				en.Recorded.Format(time.RFC3339Nano), string(en.Kind), en.ClientID, en.Reverses,
				p.Account.String(), string(p.Asset), p.Amount.String()})
		}
	}
	cw.Flush()
	return cw.Error()
}

func ledgerIntents(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "intents", "ledger intents [-config FILE | -db PATH] [-state STATE] [-json]",
		"engine ledger intents -db data/ledger.db -state unfinished")
	var lf ledgerFlags
	lf.register(fs)
	state := fs.String("state", "", "only intents in this state: pending, submitted, succeeded, failed, unknown, resolved, or unfinished (not final)")
	if code, done := parseLedgerFlags(e, fs, args); done {
		return code
	}
	st := ledger.IntentState(*state)
	if *state != "" && *state != "unfinished" && !st.Valid() {
		fmt.Fprintf(e.stderr, "ledger intents: -state %q: want pending, submitted, succeeded, failed, unknown, resolved or unfinished\n", *state)
		return exitUsage
	}
	s, code := lf.open(e)
	if s == nil {
		return code
	}
	defer s.Close()
	var intents []ledger.Intent
	var err error
	if *state == "unfinished" {
		intents, err = s.Unfinished(ctx)
	} else {
		intents, err = s.Intents(ctx, st)
	}
	if err != nil {
		return readFailed(e, "intents", s.Path(), err)
	}
	if lf.json {
		type row struct {
			ClientID string           `json:"client_id"`
			Kind     string           `json:"kind"`
			Venue    string           `json:"venue"`
			State    string           `json:"state"`
			Outcome  string           `json:"outcome,omitempty"`
			VenueRef string           `json:"venue_ref,omitempty"`
			Request  json.RawMessage  `json:"request,omitempty"`
			Created  time.Time        `json:"created"`
			Updated  time.Time        `json:"updated"`
			History  []ledger.Attempt `json:"history"`
		}
		rows := make([]row, 0, len(intents))
		for _, in := range intents {
			rows = append(rows, row{in.ClientID, string(in.Kind), string(in.Venue), string(in.State), string(in.Outcome),
				in.VenueRef, in.Request, in.Created, in.Updated, in.History})
		}
		return writeJSON(e, rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT-ID\tKIND\tVENUE\tSTATE\tOUTCOME\tVENUE-REF\tCREATED\tUPDATED\tSTEPS")
	for _, in := range intents {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", in.ClientID, in.Kind, in.Venue, in.State,
			dash(string(in.Outcome)), dash(in.VenueRef), in.Created.Format(time.RFC3339), in.Updated.Format(time.RFC3339), len(in.History))
	}
	tw.Flush()
	return exitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSON(e *env, v any) int {
	if err := encodeJSON(e.stdout, v); err != nil {
		fmt.Fprintf(e.stderr, "ledger: write: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// checkFilterFlags refuses an -account or -asset filter that no account
// or asset of the ledger can match (a typo would otherwise print nothing,
// which reads as a zero balance). It prints the problem.
func checkFilterFlags(e *env, name, account, asset string) bool {
	if account != "" {
		switch class, _, _ := strings.Cut(account, ":"); class {
		case "venue", "transit", "external", "counterparty", "fees", "equity":
		default:
			fmt.Fprintf(e.stderr, "ledger %s: -account %q: an account prefix starts with venue, transit, external, counterparty, fees or equity (for example venue:hercle)\n", name, account)
			return false
		}
	}
	if asset != "" {
		code := strings.ToUpper(asset)
		ok := len(code) <= 20
		for i := 0; i < len(code) && ok; i++ {
			c := code[i]
			ok = c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		}
		if !ok {
			fmt.Fprintf(e.stderr, "ledger %s: -asset %q: want one asset code such as BTC or USDT\n", name, asset)
			return false
		}
	}
	return true
}

// parseWhen parses an RFC 3339 time or a UTC date; empty means no bound.
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2025-03-04T10:00:00Z) nor a date (2025-03-04)", s)
}

func validKind(k ledger.Kind) bool {
	for _, known := range ledger.Kinds() {
		if k == known {
			return true
		}
	}
	return false
}

func kindList() string {
	var ks []string
	for _, k := range ledger.Kinds() {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}

func ledgerVerify(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "verify", "ledger verify [-config FILE | -db PATH]",
		"engine ledger verify -db data/ledger.db")
	var lf ledgerFlags
	lf.register(fs)
	if code, done := parseLedgerFlags(e, fs, args); done {
		return code
	}
	s, code := lf.open(e)
	if s == nil {
		return code
	}
	defer s.Close()
	if err := s.Verify(ctx); err != nil {
		fmt.Fprintf(e.stderr, "ledger verify: %s: %v\nThe ledger does not satisfy its invariants: keep the file for investigation and do not restart trading on it.\n", s.Path(), err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s: OK (every entry balances; balances equal the rebuild from the journal)\n", s.Path())
	return exitOK
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/risk"
)

const statusUsage = `Usage: engine status [-config FILE] [-addr HOST:PORT] [-db PATH] [-prices FILE] [-json]

What the engine is doing and what its books are worth. A running engine
answers through its admin API (admin.addr or -addr, token from ADMIN_TOKEN
or ADMIN_TOKEN_FILE): its state (trading, paused, killed, breaker), feed,
prices, open intents and portfolio at the streaming prices. When no engine
answers (or no token is set) the ledger file is read instead: the engine
is stopped, the kill switch is what its file says, and the portfolio is
valued at the last fills (or -prices, as engine pnl reads it).

Example:
  ADMIN_TOKEN=... engine status -config config.toml
  engine status -db data/ledger.db -json
`

// statusAnswer is engine status -json: where the answer came from, the
// engine's status and the portfolio.
type statusAnswer struct {
	// Source is "engine" (its admin API) or "ledger" (the file, the
	// engine stopped).
	Source    string          `json:"source"`
	Status    json.RawMessage `json:"status"`
	Portfolio pnl.Portfolio   `json:"portfolio"`
}

// stoppedStatus is the status of an engine that is not running.
type stoppedStatus struct {
	State       string `json:"state"`
	Killed      bool   `json:"killed"`
	KillReason  string `json:"kill_reason,omitempty"`
	OpenIntents int    `json:"open_intents"`
}

func cmdStatus(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "status", "status [-config FILE] [-addr HOST:PORT] [-db PATH] [-prices FILE] [-json]", "engine status -config config.toml")
	fs.Usage = func() { fmt.Fprint(e.stderr, statusUsage) }
	var cf clientFlags
	cf.register(fs)
	var bf bookFlags
	fs.StringVar(&bf.db, "db", "", "ledger file, when no engine answers; overrides ledger.path")
	fs.StringVar(&bf.prices, "prices", "", "file of current prices, when no engine answers (see engine pnl -h)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "status: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	bf.config, bf.json = cf.config, cf.json
	c, err := cf.client(e)
	switch {
	case errors.Is(err, errNoToken):
		fmt.Fprintln(e.stderr, "ADMIN_TOKEN is not set: reading the ledger file (a running engine holds it; set the token to ask the engine)")
		return statusOffline(ctx, e, &bf)
	case err != nil:
		fmt.Fprintf(e.stderr, "status: %v\n", err)
		return exitUsage
	}
	code, st, err := c.do(ctx, http.MethodGet, "/admin/status", nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "no engine answers at %s (%v): reading the ledger file\n", c.base, err)
		return statusOffline(ctx, e, &bf)
	}
	if code != http.StatusOK {
		fmt.Fprintf(e.stderr, "status: %s (HTTP %d)\n", answerError(code, st), code)
		return exitFailure
	}
	a := statusAnswer{Source: "engine", Status: st}
	code, pf, err := c.do(ctx, http.MethodGet, "/admin/portfolio", nil)
	if err == nil && code == http.StatusOK {
		err = json.Unmarshal(pf, &a.Portfolio)
	} else if err == nil {
		err = errors.New(answerError(code, pf))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "status: portfolio: %v\n", err)
		return exitFailure
	}
	return writeStatus(e, cf.json, a)
}

// statusOffline reads a stopped engine's ledger file.
func statusOffline(ctx context.Context, e *env, bf *bookFlags) int {
	b, code := bf.load(ctx, e, "status")
	if b == nil {
		return code
	}
	defer b.store.Close()
	st := stoppedStatus{State: "stopped"}
	reason, killed, err := risk.KillFile{Path: killFileOf(b.store.Path())}.Read()
	if err != nil {
		fmt.Fprintf(e.stderr, "status: kill switch file: %v\n", err)
		return exitFailure
	}
	st.Killed, st.KillReason = killed, reason
	open, err := b.store.Unfinished(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "status: %v\n", err)
		return exitFailure
	}
	st.OpenIntents = len(open)
	raw, _ := json.Marshal(st)
	p := b.tr.Portfolio(b.prices, "the -prices file", e.clock.Now())
	b.warn(e, p.Status)
	return writeStatus(e, bf.json, statusAnswer{Source: "ledger", Status: raw, Portfolio: p})
}

func writeStatus(e *env, asJSON bool, a statusAnswer) int {
	if asJSON {
		return writeJSON(e, a)
	}
	if err := printStatus(e, a.Status); err != nil {
		fmt.Fprintf(e.stderr, "status: %v\n", err)
		return exitFailure
	}
	fmt.Fprintln(e.stdout)
	if err := pnl.WritePortfolio(e.stdout, a.Portfolio); err != nil {
		return exitFailure
	}
	return exitOK
}

// printStatus prints an engine's status, or a stopped one's, for a
// person.
func printStatus(e *env, b []byte) error {
	var st daemon.Status
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	w := e.stdout
	switch st.State {
	case "stopped":
		fmt.Fprintln(w, "engine: stopped (read from the ledger file)")
	case "":
		return fmt.Errorf("status without a state: %s", b)
	default:
		fmt.Fprintf(w, "engine: %s, %s mode, up since %s\n", st.State, st.Mode, st.Started.UTC().Format(time.RFC3339))
	}
	if st.Paused {
		fmt.Fprintf(w, "paused: %s\n", st.PauseReason)
	}
	if st.Killed {
		fmt.Fprintf(w, "kill switch on: %s (engine admin resume clears it)\n", st.KillReason)
	}
	if st.BreakerOpen {
		fmt.Fprintln(w, "circuit breaker tripped")
	}
	if st.Mode != "" {
		maint := "no"
		if st.Maintenance {
			maint = "yes"
		}
		fmt.Fprintf(w, "maintenance window: %s (next change %s)\n", maint, st.NextChange.UTC().Format(time.RFC3339))
		fmt.Fprintf(w, "price feed: %s since %s, %d reconnects; stale: %s\n", st.Hub, st.HubSince.UTC().Format(time.RFC3339), st.Reconnects, listOrNone(st.Stale))
		pairs := make([]string, 0, len(st.Prices))
		for p := range st.Prices {
			pairs = append(pairs, p)
		}
		sort.Strings(pairs)
		for _, p := range pairs {
			pr := st.Prices[p]
			fmt.Fprintf(w, "  %-10s buy %s sell %s (%s old)\n", p, pr.Buy, pr.Sell, pr.Age)
		}
	}
	fmt.Fprintf(w, "open intents: %d\n", st.OpenIntents)
	return nil
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/pnl"
)

const adminUsage = `Usage: engine admin <verb> [flags] [arguments]

Asks the running engine through its admin API (admin.addr, token from
ADMIN_TOKEN or ADMIN_TOKEN_FILE; -addr overrides the address). Every verb
that changes something is recorded in the ledger's audit trail under
ADMIN_TOKEN_NAME (engine admin audit, engine ledger audit).

  status                         state (trading, paused, killed, breaker), feed, prices, balances
  pause [-reason R]              stop new intents, trading and treasury, until resume
  resume [-reason R]             clear a pause, the kill switch and a tripped breaker
  kill [-reason R]               the kill switch: stopped, across restarts, until resume
  portfolio                      positions valued with their paths, PnL by strategy and day
  pnl [-since WHEN] [-by strategy|asset|day]
  strategies                     every strategy, enabled or not, with its parameters
  strategy enable|disable NAME
  strategy params NAME KEY=VALUE...   new parameters, checked as the file's
  treasury run POLICY            run a treasury policy now
  order -pair P -side buy|sell (-size S | -amount A) [-path otc|rfq] [-slippage PCT] [-limit PRICE]
  convert -from A -to B -amount X [-path otc|rfq] [-slippage PCT]
  intents [-state unfinished|...]
  resolve CLIENT-ID -outcome succeeded|failed -evidence TEXT [-trade-id T -size S -amount A] [-fee F]
  whitelist [list] | whitelist add -name N -asset A -address X -network N | whitelist remove ID
  payee add -type individual|company -name N ... -country CC -city C -address A -postal-code P
  customer deposit -order-id ID -customer-id C -currency X [-network N] [-amount A] [-static]
                                 an address (Heropayments) for a customer to pay to; moves no money
  customer payout -id ID -customer-id C -currency X -network N -address A -amount A
                                 pay a customer out, once, through risk and the payout limits
  audit [-limit N] [-action VERB]
  reload                         re-read the configuration, as SIGHUP does

Every verb takes -addr, -config, -cacert and -json. Exit 0 when the engine
did it, 2 when it refused the input, 1 otherwise.

Example:
  ADMIN_TOKEN=... engine admin pause -reason "venue incident"
  engine admin order -pair BTCEUR -side buy -size 0.05 -path rfq
  engine admin strategy params core band=0.02 every=10s
`

// adminVerb is one verb: its flags are registered on fs, then req turns
// the parsed flags and arguments into a request.
type adminVerb struct {
	flags func(fs *flag.FlagSet) func(args []string) (method, path string, body any, err error)
	print func(e *env, b []byte) error // nil: the answer as JSON
}

func cmdAdmin(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stderr, adminUsage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	name := args[0]
	if name == "strategy" || name == "treasury" || name == "whitelist" || name == "payee" || name == "customer" {
		if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
			name, args = name+" "+args[1], args[1:]
		}
	}
	v, ok := adminVerbs()[name]
	if !ok {
		fmt.Fprintf(e.stderr, "admin: unknown verb %q\n\n", name)
		fmt.Fprint(e.stderr, adminUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("admin "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, adminUsage) }
	var cf clientFlags
	cf.register(fs)
	build := v.flags(fs)
	positional, code, done := parseInterleaved(fs, args[1:])
	if done {
		return code
	}
	method, path, body, err := build(positional)
	if err != nil {
		fmt.Fprintf(e.stderr, "admin %s: %v\n", name, err)
		return exitUsage
	}
	c, err := cf.client(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "admin: %v\n", err)
		return exitUsage
	}
	code, b, err := c.do(ctx, method, path, body)
	if err != nil {
		fmt.Fprintf(e.stderr, "admin %s: %v (is the engine running with its admin API on? see -addr)\n", name, err)
		return exitFailure
	}
	if code >= 300 && code != http.StatusAccepted {
		fmt.Fprintf(e.stderr, "admin %s: %s (HTTP %d)\n", name, answerError(code, b), code)
		if cf.json {
			e.stdout.Write(b)
		}
		if code == http.StatusBadRequest || code == http.StatusNotFound || code == http.StatusUnprocessableEntity || code == http.StatusConflict {
			return exitUsage
		}
		return exitFailure
	}
	if cf.json || v.print == nil {
		_, err = e.stdout.Write(b)
	} else {
		err = v.print(e, b)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "admin %s: %v\n", name, err)
		return exitFailure
	}
	return exitOK
}

// fixed is a verb without flags or arguments.
func fixed(method, path string) func(*flag.FlagSet) func([]string) (string, string, any, error) {
	return func(*flag.FlagSet) func([]string) (string, string, any, error) {
		return func(args []string) (string, string, any, error) {
			if len(args) > 0 {
				return "", "", nil, fmt.Errorf("unexpected argument %q", args[0])
			}
			return method, path, nil, nil
		}
	}
}

// named is a verb of one path argument.
func named(method, pattern, what string) func(*flag.FlagSet) func([]string) (string, string, any, error) {
	return func(*flag.FlagSet) func([]string) (string, string, any, error) {
		return func(args []string) (string, string, any, error) {
			if len(args) != 1 || args[0] == "" {
				return "", "", nil, fmt.Errorf("give the %s", what)
			}
			return method, fmt.Sprintf(pattern, url.PathEscape(args[0])), nil, nil
		}
	}
}

// reason is pause's and kill's verb.
func reason(path string) func(*flag.FlagSet) func([]string) (string, string, any, error) {
	return func(fs *flag.FlagSet) func([]string) (string, string, any, error) {
		r := fs.String("reason", "", "why, for the log, the status and the audit trail")
		return func(args []string) (string, string, any, error) {
			if len(args) > 0 {
				return "", "", nil, fmt.Errorf("unexpected argument %q (quote the reason: -reason \"...\")", args[0])
			}
			var body any
			if *r != "" {
				body = map[string]string{"reason": *r}
			}
			return http.MethodPost, path, body, nil
		}
	}
}

// customerDeposit asks for a customer's deposit address: bodyFlags with
// -static, a boolean.
func customerDeposit(fs *flag.FlagSet) func([]string) (string, string, any, error) {
	static := fs.Bool("static", false, "the customer's static address (Heropayments V2)")
	build := bodyFlags("/admin/customers/deposits", [][2]string{{"order_id", "our id: asking again with it returns the same deposit"},
		{"customer_id", "the customer"}, {"currency", "e.g. USDT"}, {"network", "e.g. TRON"}, {"amount", "expected, if any"}})(fs)
	return func(args []string) (string, string, any, error) {
		method, path, body, err := build(args)
		if err != nil {
			return "", "", nil, err
		}
		out := map[string]any{"static": *static}
		for k, v := range body.(map[string]string) {
			out[k] = v
		}
		return method, path, out, nil
	}
}

// bodyFlags is a verb whose flags are its JSON body's string fields.
func bodyFlags(path string, fields [][2]string) func(*flag.FlagSet) func([]string) (string, string, any, error) {
	return func(fs *flag.FlagSet) func([]string) (string, string, any, error) {
		vals := map[string]*string{}
		for _, f := range fields {
			flagName := strings.ReplaceAll(f[0], "_", "-")
			if f[0] == "max_slippage" {
				flagName = "slippage"
			}
			if f[0] == "limit_price" {
				flagName = "limit"
			}
			vals[f[0]] = fs.String(flagName, "", f[1])
		}
		return func(args []string) (string, string, any, error) {
			if len(args) > 0 {
				return "", "", nil, fmt.Errorf("unexpected argument %q", args[0])
			}
			body := map[string]string{}
			for k, v := range vals {
				if *v != "" {
					body[k] = *v
				}
			}
			return http.MethodPost, path, body, nil
		}
	}
}

var orderFields = [][2]string{
	{"pair", "venue symbol, e.g. BTCEUR"}, {"side", "buy or sell (of the base)"},
	{"size", "base amount"}, {"amount", "quote amount, instead of -size"},
	{"path", "otc (default) or rfq"}, {"max_slippage", "percent (default 0.5)"},
	{"limit_price", "worst acceptable price"}, {"reason", "why, for the log and the audit trail"},
}

var convertFields = [][2]string{
	{"from", "asset sold"}, {"to", "asset bought"}, {"amount", "of from"},
	{"path", "otc (default) or rfq"}, {"max_slippage", "percent (default 0.5)"}, {"reason", "why"},
}

func adminVerbs() map[string]adminVerb {
	return map[string]adminVerb{
		"status":           {fixed(http.MethodGet, "/admin/status"), printStatus},
		"pause":            {reason("/admin/pause"), nil},
		"resume":           {reason("/admin/resume"), nil},
		"kill":             {reason("/admin/kill"), nil},
		"portfolio":        {fixed(http.MethodGet, "/admin/portfolio"), printPortfolio},
		"pnl":              {pnlQuery, printPnL},
		"strategies":       {fixed(http.MethodGet, "/admin/strategies"), nil},
		"strategy enable":  {named(http.MethodPost, "/admin/strategies/%s/enable", "strategy's name"), nil},
		"strategy disable": {named(http.MethodPost, "/admin/strategies/%s/disable", "strategy's name"), nil},
		"strategy params":  {strategyParams, nil},
		"treasury run":     {named(http.MethodPost, "/admin/treasury/%s/run", "policy's name"), nil},
		"order":            {bodyFlags("/admin/order", orderFields), nil},
		"convert":          {bodyFlags("/admin/convert", convertFields), nil},
		"intents":          {intentsQuery, nil},
		"resolve":          {resolveFlags, nil},
		"whitelist":        {fixed(http.MethodGet, "/admin/whitelist"), nil},
		"whitelist list":   {fixed(http.MethodGet, "/admin/whitelist"), nil},
		"whitelist add":    {bodyFlags("/admin/whitelist", [][2]string{{"name", "label"}, {"asset", "e.g. BTC"}, {"address", "the address"}, {"network", "as the venue names it, e.g. Bitcoin"}}), nil},
		"whitelist remove": {named(http.MethodDelete, "/admin/whitelist/%s", "address id (engine admin whitelist)"), nil},
		"payee add": {bodyFlags("/admin/payees", [][2]string{{"type", "individual or company"}, {"name", "first name"}, {"surname", "an individual's"},
			{"company", "a company's name"}, {"country", "ISO 3166-1 alpha-2"}, {"state", "state or province"}, {"city", "city"},
			{"address", "street address"}, {"postal_code", "postal code"}, {"end_user_id", "end user, if any"}}), nil},
		"customer deposit": {customerDeposit, nil},
		"customer payout": {bodyFlags("/admin/customers/payouts", [][2]string{{"id", "the payout's Client-Id: asking again with it never pays twice"},
			{"customer_id", "the customer"}, {"currency", "e.g. USDT"}, {"network", "e.g. TRON"}, {"address", "the customer's address"}, {"amount", "of currency"}}), nil},
		"audit":  {auditQuery, printAuditAnswer},
		"reload": {fixed(http.MethodPost, "/admin/reload"), nil},
	}
}

func pnlQuery(fs *flag.FlagSet) func([]string) (string, string, any, error) {
	since := fs.String("since", "", "today, YYYY-MM-DD, RFC 3339 or a duration such as 72h (default: the whole ledger)")
	by := fs.String("by", pnl.ByStrategy, "strategy, asset or day")
	return func(args []string) (string, string, any, error) {
		if len(args) > 0 {
			return "", "", nil, fmt.Errorf("unexpected argument %q", args[0])
		}
		q := url.Values{"since": {*since}, "by": {*by}}
		return http.MethodGet, "/admin/pnl?" + q.Encode(), nil, nil
	}
}

func intentsQuery(fs *flag.FlagSet) func([]string) (string, string, any, error) {
	state := fs.String("state", "unfinished", "unfinished, pending, submitted, succeeded, failed, unknown or resolved")
	return func(args []string) (string, string, any, error) {
		if len(args) > 0 {
			return "", "", nil, fmt.Errorf("unexpected argument %q", args[0])
		}
		return http.MethodGet, "/admin/intents?state=" + url.QueryEscape(*state), nil, nil
	}
}

func auditQuery(fs *flag.FlagSet) func([]string) (string, string, any, error) {
	limit := fs.Int("limit", 100, "the newest N records")
	action := fs.String("action", "", "only this verb")
	return func(args []string) (string, string, any, error) {
		if len(args) > 0 {
			return "", "", nil, fmt.Errorf("unexpected argument %q", args[0])
		}
		q := url.Values{"limit": {fmt.Sprint(*limit)}}
		if *action != "" {
			q.Set("action", *action)
		}
		return http.MethodGet, "/admin/audit?" + q.Encode(), nil, nil
	}
}

func resolveFlags(fs *flag.FlagSet) func([]string) (string, string, any, error) {
	build := bodyFlags("", [][2]string{{"outcome", "succeeded or failed"}, {"evidence", "what shows the outcome (required)"},
		{"trade_id", "the venue's trade id of a filled order"}, {"size", "its base size"}, {"amount", "its quote amount"},
		{"fee", "what the venue kept of a movement"}, {"venue_ref", "the venue's id of a movement"}})(fs)
	return func(args []string) (string, string, any, error) {
		if len(args) != 1 {
			return "", "", nil, fmt.Errorf("give the intent's Client-Id (engine admin intents), then the flags")
		}
		_, _, body, err := build(nil)
		return http.MethodPost, "/admin/intents/" + url.PathEscape(args[0]) + "/resolve", body, err
	}
}

// strategyParams reads NAME KEY=VALUE...: each VALUE as TOML (a table,
// an array, an integer, a boolean, a quoted string); a decimal or any
// other bare word is sent as a string, as decimal parameters are written.
func strategyParams(fs *flag.FlagSet) func([]string) (string, string, any, error) {
	return func(args []string) (string, string, any, error) {
		if len(args) < 2 {
			return "", "", nil, fmt.Errorf("give the strategy's name and at least one KEY=VALUE")
		}
		params := map[string]any{}
		for _, kv := range args[1:] {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return "", "", nil, fmt.Errorf("%q: want KEY=VALUE", kv)
			}
			params[k] = paramValue(strings.TrimSpace(v))
		}
		return http.MethodPost, "/admin/strategies/" + url.PathEscape(args[0]) + "/params", map[string]any{"params": params}, nil
	}
}

func paramValue(v string) any {
	var m map[string]any
	if _, err := toml.Decode("v = "+v, &m); err != nil {
		return v
	}
	switch x := m["v"].(type) {
	case float64:
		return v // a decimal: as the file writes it, a string
	default:
		return x
	}
}

func printPortfolio(e *env, b []byte) error {
	var p pnl.Portfolio
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	return pnl.WritePortfolio(e.stdout, p)
}

func printPnL(e *env, b []byte) error {
	var v pnl.PnL
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return pnl.WritePnL(e.stdout, v)
}

func printAuditAnswer(e *env, b []byte) error {
	var recs []ledger.AuditRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		return err
	}
	writeAudit(e, recs)
	return nil
}

// parseInterleaved parses flags before, between and after the positional
// arguments ("strategy params core band=0.02 -addr ..."), which it
// returns in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var positional []string
	for {
		if code, done := parseFlags(fs, args); done {
			return nil, code, true
		}
		if fs.NArg() == 0 {
			return positional, exitOK, false
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

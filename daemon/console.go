package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/otcdesk/engine/console"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/treasury"
)

// consoleDesk is the daemon as the web console sees it (console.Desk and
// console.Tokens): the admin API's own views and verbs, called in process,
// so the console shows what the API answers and its actions are the API's,
// audited alike.
type consoleDesk struct{ d *Daemon }

// consoleHandler is the web console on the admin listener.
func (d *Daemon) consoleHandler(secure bool) (http.Handler, error) {
	return console.New(console.Options{Desk: consoleDesk{d}, Tokens: consoleDesk{d}, Clock: d.o.Clock, Secure: secure,
		Logger: d.log.With("component", "console")})
}

// CheckToken checks a token typed into the console's login form with the
// admin API's comparison and throttle.
func (c consoleDesk) CheckToken(r *http.Request, token string) (int, string) {
	return c.d.auth.checkToken(r, token, token != "")
}

// viaConsoleKey marks an admin action's context as the console's, for its
// audit record.
type viaConsoleKey struct{}

func viaConsole(ctx context.Context) bool { return ctx.Value(viaConsoleKey{}) != nil }

// call runs an admin handler in process on a request to path with body.
func call(ctx context.Context, method, path string, body []byte, h func(*http.Request) (int, any)) (int, any) {
	r, err := http.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
	if err != nil {
		return http.StatusInternalServerError, errBody(err.Error())
	}
	return h(r)
}

// view runs an admin view in process and returns its answer, or the error
// it answered.
func view[T any](ctx context.Context, path string, h func(*http.Request) (int, any)) (T, error) {
	var zero T
	code, body := call(ctx, http.MethodGet, path, nil, h)
	if code != http.StatusOK {
		if m, ok := body.(map[string]string); ok {
			return zero, errors.New(m["error"])
		}
		return zero, errors.New(http.StatusText(code))
	}
	v, ok := body.(T)
	if !ok {
		return zero, fmt.Errorf("%s answered %T", path, body)
	}
	return v, nil
}

// Overview gathers the console's overview from the admin API's views.
func (c consoleDesk) Overview(ctx context.Context) console.Overview {
	d := c.d
	ov := console.Overview{At: d.o.Clock.Now(), Mode: d.cfg.Mode, Policies: d.cfg.Treasury.PolicyNames()}
	problem := func(section string, err error) { ov.Problems = append(ov.Problems, section+": "+err.Error()) }
	if st, err := view[Status](ctx, "/admin/status", d.status); err != nil {
		problem("status", err)
	} else {
		consoleStatus(&ov, st)
	}
	if p, err := view[pnl.Portfolio](ctx, "/admin/portfolio", d.portfolioView); err != nil {
		problem("portfolio", err)
	} else {
		ov.Portfolio = &p
	}
	if list, err := view[[]ledger.Intent](ctx, "/admin/intents", d.intents); err != nil {
		problem("intents", err)
	} else {
		ov.Intents = list
	}
	if es, err := view[[]ledger.Entry](ctx, "/admin/journal?limit=500", d.journal); err != nil {
		problem("journal", err)
	} else {
		ov.Activity = activity(es, 30)
	}
	if ss, err := view[[]StrategyInfo](ctx, "/admin/strategies", d.strategiesList); err != nil {
		problem("strategies", err)
	} else {
		for _, s := range ss {
			ov.Strategies = append(ov.Strategies, console.Strategy{Name: s.Name, Kind: s.Kind, Enabled: s.Enabled, Open: s.Open})
		}
	}
	if err := c.reconciliation(ctx, &ov); err != nil {
		problem("reconciliation", err)
	}
	ov.Risk.Limits = d.cfg.Risk
	if rk := d.riskOrNil(); rk != nil {
		u, err := rk.Usage(ctx, ov.At)
		if err != nil {
			problem("risk usage", err)
		} else {
			ov.Risk.Usage = &u
		}
	}
	return ov
}

// consoleStatus copies the admin status into the overview.
func consoleStatus(ov *console.Overview, st Status) {
	ov.State, ov.Maintenance, ov.Hub, ov.Risk.OpenIntents = st.State, st.Maintenance, st.Hub, st.OpenIntents
	switch {
	case st.Killed:
		ov.Reason = st.KillReason
	case st.Paused:
		ov.Reason = st.PauseReason
	}
	pairs := make([]string, 0, len(st.Prices))
	for p := range st.Prices {
		pairs = append(pairs, p)
	}
	for _, p := range st.Stale {
		if _, ok := st.Prices[p]; !ok {
			pairs = append(pairs, p)
		}
	}
	slices.Sort(pairs)
	for _, p := range pairs {
		pr := st.Prices[p]
		ov.Feeds = append(ov.Feeds, console.Feed{Pair: p, Buy: pr.Buy, Sell: pr.Sell, Age: pr.Age, Stale: slices.Contains(st.Stale, p)})
	}
}

// activity keeps the fills and movements of es (oldest first), the newest
// n of them, newest first.
func activity(es []ledger.Entry, n int) []ledger.Entry {
	var out []ledger.Entry
	for i := len(es) - 1; i >= 0 && len(out) < n; i-- {
		switch es[i].Kind {
		case ledger.KindTrade, ledger.KindWithdrawal, ledger.KindWithdrawalSettled, ledger.KindWithdrawalFailed,
			ledger.KindDeposit, ledger.KindTransfer, ledger.KindTransferSettled:
			out = append(out, es[i])
		}
	}
	return out
}

// reconciliation reads the last stored reconciliation report.
func (c consoleDesk) reconciliation(ctx context.Context, ov *console.Overview) error {
	c.d.mu.Lock()
	store := c.d.store
	c.d.mu.Unlock()
	if store == nil {
		return errors.New("starting up")
	}
	last, err := store.LastReport(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := reconcile.DecodeReport(last.Body)
	if err != nil {
		return err
	}
	rep.ID = last.ID
	ov.Reconcile = &rep
	return nil
}

// Plan is what every treasury policy would do now, from the running
// treasury: `engine treasury plan` beside the engine.
func (c consoleDesk) Plan(ctx context.Context) ([]treasury.Result, error) {
	c.d.mu.Lock()
	tr, trading := c.d.tr, c.d.trading
	c.d.mu.Unlock()
	if tr == nil || !trading {
		if len(c.d.cfg.Treasury.Policies) == 0 {
			return nil, nil
		}
		return nil, errors.New("starting up")
	}
	return tr.Plan(ctx)
}

// consoleVerb is an admin verb the console may call: its audit action, the
// path value naming its target, and its handler.
type consoleVerb struct {
	param string
	h     func(*http.Request) (int, any)
}

// Act performs an operator action through the admin API's handler for it,
// audited as the API audits it (who: the token's name, via console).
func (c consoleDesk) Act(ctx context.Context, a console.Action) console.Outcome {
	d := c.d
	verbs := map[string]consoleVerb{
		console.Pause: {"", d.pause}, console.Resume: {"", d.resume}, console.Kill: {"", d.killSwitch},
		console.StrategyEnable: {"name", d.strategyEnable}, console.StrategyDisable: {"name", d.strategyDisable},
		console.TreasuryRun: {"policy", d.runPolicy},
	}
	v, ok := verbs[a.Verb]
	if !ok {
		return console.Outcome{Code: http.StatusBadRequest, Message: "unknown action " + a.Verb}
	}
	var body []byte
	if a.Reason != "" {
		body, _ = json.Marshal(actionBody{Reason: a.Reason})
	}
	r, err := http.NewRequestWithContext(context.WithValue(ctx, viaConsoleKey{}, true), http.MethodPost, "/console/act", bytes.NewReader(body))
	if err != nil {
		return console.Outcome{Code: http.StatusInternalServerError, Message: err.Error()}
	}
	if v.param != "" {
		r.SetPathValue(v.param, a.Target)
	}
	code, resp := d.audited(r, a.Verb, v.h)
	d.m.admin.WithLabelValues(a.Verb, fmt.Sprint(code)).Inc()
	return console.Outcome{Code: code, Message: strings.TrimPrefix(result(code, resp), "ok")}
}

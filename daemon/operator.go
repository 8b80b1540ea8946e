package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/treasury"
)

// tradeWait bounds how long an admin order waits for its outcome, under
// the admin listener's write timeout. An order still running then goes
// on, and is followed like any other.
const tradeWait = 25 * time.Second

// orderBody is the body of POST /admin/order: one of size (base) or
// amount (quote) is positive.
type orderBody struct {
	Pair        string `json:"pair"`
	Side        string `json:"side"`
	Size        string `json:"size"`
	Amount      string `json:"amount"`
	Path        string `json:"path"`         // "otc" (default) or "rfq"
	MaxSlippage string `json:"max_slippage"` // percent; default 0.5
	LimitPrice  string `json:"limit_price"`
	Reason      string `json:"reason"`
}

// convertBody is the body of POST /admin/convert: amount of from into to,
// over the pair that joins them.
type convertBody struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Amount      string `json:"amount"`
	Path        string `json:"path"`
	MaxSlippage string `json:"max_slippage"`
	Reason      string `json:"reason"`
}

// TradeAnswer is what a manual order or conversion answers.
type TradeAnswer struct {
	ClientID string `json:"client_id"`
	// Status is filled, failed (the venue refused it), rejected (risk
	// refused it: nothing was recorded or sent) or unresolved (sent, its
	// outcome still being looked up).
	Status  string `json:"status"`
	Intent  string `json:"intent"`
	TradeID string `json:"trade_id,omitempty"`
	Size    string `json:"size,omitempty"`
	Amount  string `json:"amount,omitempty"`
	Price   string `json:"price,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

func (a TradeAnswer) auditNote() string {
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", a.Status, a.ClientID, a.TradeID))
}

func decimalField(name, s string, ps *[]string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	v, err := decimal.NewFromString(s)
	if err != nil || v.IsNegative() {
		*ps = append(*ps, fmt.Sprintf("%s %q: want a non-negative decimal string", name, s))
		return decimal.Zero
	}
	return v
}

// manualIntent checks the common fields of a manual trade.
func manualIntent(path, slippage, limit, reason string, ps *[]string) strategy.Intent {
	in := strategy.Intent{Strategy: pnl.Manual, Path: strategy.OTC, MaxSlippage: decimal.RequireFromString("0.5"), Reason: "manual"}
	if path != "" {
		p, err := strategy.ParsePath(path)
		if err != nil {
			*ps = append(*ps, fmt.Sprintf("path %q: want otc or rfq", path))
		}
		in.Path = p
	}
	if slippage != "" {
		in.MaxSlippage = decimalField("max_slippage", slippage, ps)
	}
	in.LimitPrice = decimalField("limit_price", limit, ps)
	if reason != "" {
		in.Reason = "manual: " + clipAudit(reason, 200)
	}
	return in
}

// order answers POST /admin/order: a trade placed by hand goes through
// the loop like a strategy's: risk checks it against the same limits and
// balances, execution sends it under the one protocol.
func (d *Daemon) order(r *http.Request) (int, any) {
	var b orderBody
	if err := decodeBody(r, &b); err != nil {
		return http.StatusBadRequest, errBody(err.Error())
	}
	var ps []string
	in := manualIntent(b.Path, b.MaxSlippage, b.LimitPrice, b.Reason, &ps)
	in.Pair, in.Side = b.Pair, market.Side(strings.ToLower(b.Side))
	in.Size, in.Amount = decimalField("size", b.Size, &ps), decimalField("amount", b.Amount, &ps)
	return d.trade(r, in, ps)
}

// convert answers POST /admin/convert: amount of from sold for to, on
// the pair that joins them (a sell of the base, or a buy spending the
// quote), through risk and execution like any trade.
func (d *Daemon) convert(r *http.Request) (int, any) {
	var b convertBody
	if err := decodeBody(r, &b); err != nil {
		return http.StatusBadRequest, errBody(err.Error())
	}
	var ps []string
	in := manualIntent(b.Path, b.MaxSlippage, "", b.Reason, &ps)
	amount := decimalField("amount", b.Amount, &ps)
	from, to := market.Asset(strings.ToUpper(b.From)), market.Asset(strings.ToUpper(b.To))
	d.mu.Lock()
	specs := d.specs
	d.mu.Unlock()
	for _, p := range specs {
		switch {
		case p.Base == from && p.Quote == to:
			in.Pair, in.Side, in.Size = p.Symbol, market.Sell, amount
		case p.Base == to && p.Quote == from:
			in.Pair, in.Side, in.Amount = p.Symbol, market.Buy, amount
		}
	}
	if in.Pair == "" && specs != nil {
		ps = append(ps, fmt.Sprintf("no pair joins %s and %s at the venue", from, to))
	}
	return d.trade(r, in, ps)
}

// trade validates a manual intent and hands it to the loop.
func (d *Daemon) trade(r *http.Request, in strategy.Intent, ps []string) (int, any) {
	d.mu.Lock()
	loop, specs, trading := d.loop, d.specs, d.trading
	d.mu.Unlock()
	if !trading {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	if _, ok := specs[in.Pair]; !ok && in.Pair != "" {
		ps = append(ps, fmt.Sprintf("pair %q: the venue does not list it", in.Pair))
	}
	if len(ps) == 0 {
		if err := in.Validate(); err != nil {
			ps = append(ps, err.Error())
		}
	}
	if len(ps) > 0 {
		return http.StatusBadRequest, errBody(strings.Join(ps, "; "))
	}
	ctx, cancel := context.WithTimeout(r.Context(), tradeWait)
	defer cancel()
	res := loop.Trade(ctx, in)
	a := TradeAnswer{ClientID: res.ClientID(), Intent: in.String(), Detail: res.Detail, TradeID: res.TradeID}
	code := http.StatusOK
	switch res.Status {
	case execution.Filled:
		a.Status, a.Size, a.Amount, a.Price = "filled", res.Size.String(), res.Amount.String(), res.Price.String()
	case execution.Rejected:
		a.Status, code = "rejected", http.StatusUnprocessableEntity
	case execution.Failed:
		a.Status, code = "failed", http.StatusBadGateway
	default:
		a.Status, code = "unresolved", http.StatusAccepted
	}
	d.log.Warn("manual trade by admin", "by", d.who(), "intent", a.Intent, "status", a.Status, "client_id", a.ClientID, "detail", a.Detail)
	return code, a
}

// sweepAnswer is what POST /admin/treasury/{policy}/run answers.
type sweepAnswer struct {
	treasury.Result
	Error string `json:"error,omitempty"`
}

func (a sweepAnswer) auditNote() string {
	return strings.TrimSpace(fmt.Sprintf("%s %s %s %s", a.Action, a.Outcome, a.Amount, a.ClientID))
}

// runPolicy answers POST /admin/treasury/{policy}/run: the policy runs
// now, as its schedule would run it (and the policies it chains to),
// with every safety rule and risk's transfer check.
func (d *Daemon) runPolicy(r *http.Request) (int, any) {
	d.mu.Lock()
	tr, trading := d.tr, d.trading
	d.mu.Unlock()
	if tr == nil || !trading {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	ctx, cancel := context.WithTimeout(r.Context(), tradeWait)
	defer cancel()
	res, err := tr.Sweep(ctx, r.PathValue("policy"))
	switch {
	case errors.Is(err, treasury.ErrUnknownPolicy):
		return http.StatusNotFound, errBody(err.Error())
	case err != nil:
		return http.StatusConflict, sweepAnswer{Result: res, Error: err.Error()}
	}
	d.log.Warn("treasury policy run by admin", "policy", res.Policy, "by", d.who(), "action", res.Action, "outcome", res.Outcome)
	return http.StatusOK, sweepAnswer{Result: res}
}

// resolveBody is the body of POST /admin/intents/{id}/resolve.
type resolveBody struct {
	Outcome  string `json:"outcome"` // succeeded or failed
	Evidence string `json:"evidence"`
	TradeID  string `json:"trade_id"`
	Size     string `json:"size"`
	Amount   string `json:"amount"`
	Fee      string `json:"fee"`
	VenueRef string `json:"venue_ref"`
}

// intentAnswer is an intent as the admin verbs show it.
type intentAnswer struct {
	ledger.Intent
}

func (a intentAnswer) auditNote() string { return fmt.Sprintf("%s %s", a.State, a.Outcome) }

// resolve answers POST /admin/intents/{id}/resolve: the outcome an
// operator established is recorded with the evidence, as a lookup would
// record it; nothing is sent.
func (d *Daemon) resolve(r *http.Request) (int, any) {
	var b resolveBody
	if err := decodeBody(r, &b); err != nil {
		return http.StatusBadRequest, errBody(err.Error())
	}
	var ps []string
	ev := execution.Evidence{Outcome: ledger.IntentState(b.Outcome), Note: clipAudit(b.Evidence, 250), TradeID: b.TradeID, VenueRef: b.VenueRef,
		Size: decimalField("size", b.Size, &ps), Amount: decimalField("amount", b.Amount, &ps), Fee: decimalField("fee", b.Fee, &ps)}
	if len(ps) > 0 {
		return http.StatusBadRequest, errBody(strings.Join(ps, "; "))
	}
	d.mu.Lock()
	x := d.exec
	d.mu.Unlock()
	if x == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	it, err := x.ResolveByHand(r.Context(), r.PathValue("id"), d.who(), ev)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		return http.StatusNotFound, errBody(err.Error())
	case errors.Is(err, execution.ErrNotOpen):
		return http.StatusConflict, errBody(err.Error())
	case err != nil:
		return http.StatusBadRequest, errBody(err.Error())
	}
	return http.StatusOK, intentAnswer{it}
}

// intents answers GET /admin/intents?state=: unfinished (the default),
// or pending, submitted, succeeded, failed, unknown, resolved.
func (d *Daemon) intents(r *http.Request) (int, any) {
	d.mu.Lock()
	store := d.store
	d.mu.Unlock()
	if store == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	st := r.URL.Query().Get("state")
	var list []ledger.Intent
	var err error
	switch {
	case st == "" || st == "unfinished":
		list, err = store.Unfinished(r.Context())
	case ledger.IntentState(st).Valid():
		list, err = store.Intents(r.Context(), ledger.IntentState(st))
	default:
		return http.StatusBadRequest, errBody("state: want unfinished, pending, submitted, succeeded, failed, unknown or resolved")
	}
	if err != nil {
		return http.StatusInternalServerError, errBody(err.Error())
	}
	if list == nil {
		list = []ledger.Intent{}
	}
	return http.StatusOK, list
}

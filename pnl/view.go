package pnl

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/portfolio"
)

// Portfolio is the book valued now: what GET /admin/portfolio answers and
// engine status shows. It is a portfolio.Report (positions per asset and
// venue, money in transit, each asset's valuation path, PnL in total, per
// attribution key and per day) with what the book could not take in.
type Portfolio struct {
	portfolio.Report
	// Prices says where the valuation's prices came from.
	Prices string `json:"prices"`
	Status
}

// Groupings of a PnL view.
const (
	ByStrategy = "strategy" // attribution key: a strategy, "treasury:<policy>", manual, unattributed
	ByAsset    = "asset"
	ByDay      = "day" // in the day zone
)

// Query asks for the PnL of a window, grouped.
type Query struct {
	// Since starts the window; zero: since the ledger began.
	Since time.Time
	// By is ByStrategy (the default), ByAsset or ByDay.
	By string
}

// ParseQuery reads the since and by parameters of /admin/pnl and engine
// pnl. since is empty (everything), "today" (midnight in zone), a date
// (2006-01-02, midnight in zone), an RFC 3339 time, or a duration back
// from now ("72h"). Every problem is reported.
func ParseQuery(since, by string, now time.Time, zone *time.Location) (Query, error) {
	var q Query
	var errs []error
	switch by {
	case "", ByStrategy:
		q.By = ByStrategy
	case ByAsset, ByDay:
		q.By = by
	default:
		errs = append(errs, fmt.Errorf("by %q: want strategy, asset or day", by))
	}
	t, err := parseSince(since, now, zone)
	if err != nil {
		errs = append(errs, err)
	}
	q.Since = t
	return q, errors.Join(errs...)
}

func parseSince(s string, now time.Time, zone *time.Location) (time.Time, error) {
	if zone == nil {
		zone = time.UTC
	}
	switch {
	case s == "":
		return time.Time{}, nil
	case s == "today":
		y, m, d := now.In(zone).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, zone), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, zone); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("since %q: want today, a date (2006-01-02), an RFC 3339 time or a duration such as 72h", s)
}

// PnL is the profit and loss of a window, in total and grouped: what GET
// /admin/pnl answers and engine pnl prints.
type PnL struct {
	// From is the window's start (zero: since the ledger began); To its
	// end, now.
	From      time.Time        `json:"from"`
	To        time.Time        `json:"to"`
	Reference market.Asset     `json:"reference"`
	Method    portfolio.Method `json:"method"`
	By        string           `json:"by"`
	// Totals are the window's realised and unrealised PnL, fees and
	// external flows.
	Totals portfolio.PnL `json:"totals"`
	// Equity is the value held at To; EquityChange its change over the
	// window, which is Realised + Unrealised - Fees + Inflows - Outflows
	// up to Residual (zero when both ends are Complete).
	Equity       decimal.Decimal `json:"equity"`
	EquityChange decimal.Decimal `json:"equity_change"`
	Residual     decimal.Decimal `json:"residual"`
	Complete     bool            `json:"complete"`
	Rows         []Row           `json:"rows"`
	Status
}

// Row is one group of a PnL view.
type Row struct {
	// Key is the attribution key, the asset or the day.
	Key string `json:"key"`
	portfolio.Amounts
	// Unrealised is null by day: it is a valuation at one instant.
	Unrealised decimal.NullDecimal `json:"unrealised"`
}

// Window returns the PnL view of the change from one report of a book to
// a later one, grouped by by. A zero from (no entries, no time) is the
// start of the ledger.
func Window(from, to portfolio.Report, by string) (PnL, error) {
	if from.Reference == "" {
		from.Reference, from.Method = to.Reference, to.Method
	}
	c, err := portfolio.Between(from, to)
	if err != nil {
		return PnL{}, err
	}
	v := PnL{From: from.At, To: to.At, Reference: to.Reference, Method: to.Method, By: by,
		Totals: c.PnL, Equity: to.Equity, EquityChange: c.Equity, Residual: c.Residual,
		Complete: to.Complete && (from.Complete || from.At.IsZero())}
	switch by {
	case ByAsset:
		v.Rows = diffRows(assetRows(from), assetRows(to), true)
	case ByDay:
		v.Rows = diffRows(dayRows(from), dayRows(to), false)
	default:
		v.Rows = diffRows(keyRows(from), keyRows(to), true)
	}
	return v, nil
}

type rowValue struct {
	a portfolio.Amounts
	u decimal.NullDecimal
}

func keyRows(r portfolio.Report) map[string]rowValue {
	out := map[string]rowValue{}
	for _, k := range r.ByKey {
		out[k.Key] = rowValue{k.Amounts, decimal.NewNullDecimal(k.Unrealised)}
	}
	return out
}

func assetRows(r portfolio.Report) map[string]rowValue {
	out := map[string]rowValue{}
	for _, a := range r.Assets {
		out[string(a.Asset)] = rowValue{a.Amounts, a.Unrealised}
	}
	return out
}

func dayRows(r portfolio.Report) map[string]rowValue {
	out := map[string]rowValue{}
	for _, d := range r.ByDay {
		out[d.Day] = rowValue{a: d.Amounts}
	}
	return out
}

// diffRows returns to minus from per key, leaving out keys with nothing
// in the window, sorted by key. A missing unrealised counts as zero on
// the from side; with unrealised false the rows have none.
func diffRows(from, to map[string]rowValue, unrealised bool) []Row {
	keys := map[string]bool{}
	for k := range from {
		keys[k] = true
	}
	for k := range to {
		keys[k] = true
	}
	out := []Row{}
	for k := range keys {
		f, t := from[k], to[k]
		r := Row{Key: k, Amounts: portfolio.Amounts{
			Realised: t.a.Realised.Sub(f.a.Realised), Fees: t.a.Fees.Sub(f.a.Fees),
			Inflows: t.a.Inflows.Sub(f.a.Inflows), Outflows: t.a.Outflows.Sub(f.a.Outflows),
		}}
		if unrealised && t.u.Valid {
			r.Unrealised = decimal.NewNullDecimal(t.u.Decimal.Sub(f.u.Decimal))
		}
		if r.Realised.IsZero() && r.Fees.IsZero() && r.Inflows.IsZero() && r.Outflows.IsZero() &&
			(!r.Unrealised.Valid || r.Unrealised.Decimal.IsZero()) {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// pricesNote says where a daemon's or a command's valuation prices come
// from, for Portfolio.Prices.
func pricesNote(sources ...string) string {
	return strings.Join(append(sources, "else the last fill in the journal"), ", ")
}

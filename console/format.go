package console

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
)

// funcs are the templates' helpers.
var funcs = map[string]any{
	"money":    func(d decimal.Decimal) string { return d.StringFixed(2) },
	"nmoney":   nullMoney,
	"when":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"age":      age,
	"request":  request,
	"postings": postings,
	"pct":      percent,
}

func nullMoney(d decimal.NullDecimal) string {
	if !d.Valid {
		return "no price"
	}
	return d.Decimal.StringFixed(2)
}

// age is how long before now t was, to the second.
func age(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return now.Sub(t).Round(time.Second).String()
}

// request is an intent's request as compact JSON, clipped for a table.
func request(raw json.RawMessage) string {
	s := string(raw)
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// postings are an entry's movements of the desk's own money (venues and
// transit), as "account asset amount".
func postings(e ledger.Entry) []string {
	var out []string
	for _, p := range e.Postings {
		a := p.Account.String()
		if strings.HasPrefix(a, "venue:") || strings.HasPrefix(a, "transit:") {
			out = append(out, fmt.Sprintf("%s %s %s", a, p.Asset, p.Amount.String()))
		}
	}
	return out
}

// percent is used of limit in percent, or "" without a limit.
func percent(used, limit decimal.Decimal) string {
	if !limit.IsPositive() {
		return ""
	}
	return used.Mul(decimal.NewFromInt(100)).Div(limit).StringFixed(1) + "%"
}

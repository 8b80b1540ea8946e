package pnl

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
)

// WritePortfolio writes p as tables for a person: totals, then each asset
// with its valuation path, then the PnL of each attribution key.
func WritePortfolio(w io.Writer, p Portfolio) error {
	fmt.Fprintf(w, "Portfolio at %s in %s (%s cost); prices: %s\n", p.At.UTC().Format(time.RFC3339), p.Reference, p.Method, p.Prices)
	fmt.Fprintf(w, "equity %s  in transit %s  basis %s\n", p.Equity, p.InTransit, p.Basis)
	fmt.Fprintf(w, "realised %s  unrealised %s  fees %s  inflows %s  outflows %s\n",
		p.Totals.Realised, p.Totals.Unrealised, p.Totals.Fees, p.Totals.Inflows, p.Totals.Outflows)
	writeIncomplete(w, p.Complete, fmt.Sprint(p.Unvalued), p.Status)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\nASSET\tQUANTITY\tIN TRANSIT\tBASIS\tVALUE\tUNREALISED\tREALISED\tFEES\t PATH")
	for _, a := range p.Assets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t %s\n", a.Asset, a.Quantity, a.InTransit, a.Basis,
			null(a.Value), null(a.Unrealised), a.Realised, a.Fees, a.Path)
	}
	fmt.Fprintln(tw, "\nKEY\tREALISED\tUNREALISED\tFEES\tINFLOWS\tOUTFLOWS\t")
	for _, k := range p.ByKey {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", k.Key, k.Realised, k.Unrealised, k.Fees, k.Inflows, k.Outflows)
	}
	return tw.Flush()
}

// WritePnL writes v as a table for a person, its totals and how the
// change of equity reconciles with them.
func WritePnL(w io.Writer, v PnL) error {
	from := "the start of the ledger"
	if !v.From.IsZero() {
		from = v.From.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "PnL from %s to %s in %s (%s cost), by %s\n", from, v.To.UTC().Format(time.RFC3339), v.Reference, v.Method, v.By)
	writeIncomplete(w, v.Complete, "", v.Status)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tREALISED\tUNREALISED\tFEES\tINFLOWS\tOUTFLOWS\t\n", strings.ToUpper(v.By))
	for _, r := range v.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Key, r.Realised, null(r.Unrealised), r.Fees, r.Inflows, r.Outflows)
	}
	t := v.Totals
	fmt.Fprintf(tw, "total\t%s\t%s\t%s\t%s\t%s\t\n", t.Realised, t.Unrealised, t.Fees, t.Inflows, t.Outflows)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "equity %s; change %s = realised + unrealised - fees + inflows - outflows (residual %s)\n", v.Equity, v.EquityChange, v.Residual)
	return err
}

func writeIncomplete(w io.Writer, complete bool, unvalued string, st Status) {
	if !complete && unvalued != "" && unvalued != "[]" {
		fmt.Fprintf(w, "incomplete: no price path for %s (left out of equity and unrealised)\n", unvalued)
	}
	if st.Pending > 0 || st.Refused > 0 {
		fmt.Fprintf(w, "not booked: %d entries waiting for a price, %d refused: %s\n", st.Pending, st.Refused, st.Reason)
	}
}

func null(d decimal.NullDecimal) string {
	if !d.Valid {
		return "-"
	}
	return d.Decimal.String()
}

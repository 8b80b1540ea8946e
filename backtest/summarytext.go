package backtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// pct writes a fraction as a percentage ("0.0512" as "5.12%").
func pct(f string) string {
	d, err := decimal.NewFromString(f)
	if err != nil {
		return "n/a"
	}
	return d.Shift(2).StringFixed(2) + "%"
}

// signed puts a plus before a positive amount.
func signed(a string) string {
	if a != "" && !strings.HasPrefix(a, "-") {
		return "+" + a
	}
	return a
}

// ratioOrNA writes a ratio to two places, or n/a.
func ratioOrNA(x *float64) string {
	if x == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", *x)
}

// WriteText prints the summary for a terminal.
func (s *Summary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Backtest of %d ticks from %s to %s (%s)\n", s.Ticks, s.FirstTick.Format(time.RFC3339), s.LastTick.Format(time.RFC3339),
		strings.Join(s.Feeds, ", "))
	fmt.Fprintf(w, "Strategies       %s\n", strings.Join(s.Strategies, ", "))
	for i, n := range s.Notes {
		label := "Derived"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "%-16s %s\n", label, n)
	}
	ret := "n/a"
	if s.Return != "" {
		ret = signed(pct(s.Return))
	}
	fmt.Fprintf(w, "Return           %s  (%s -> %s %s)\n", ret, s.StartEquity, s.EndEquity, s.Reference)
	fmt.Fprintf(w, "PnL              %s %s\n", signed(s.PnL), s.Reference)
	if p := s.Portfolio; p != nil {
		fees := p.Fees
		if fees != "0" {
			fees = "-" + fees
		}
		fmt.Fprintf(w, "  of which       realised %s, unrealised %s, fees %s (%s cost basis)\n",
			signed(p.Realised), signed(p.Unrealised), fees, strings.ToUpper(p.Method))
		var parts []string
		for _, k := range p.ByKey {
			parts = append(parts, k.Key+" "+signed(k.PnL))
		}
		fmt.Fprintf(w, "  by whom        %s\n", strings.Join(parts, ", "))
		if p.Outflows != "0" {
			fmt.Fprintf(w, "  swept out      %s %s when it left (a flow, still held); its price since %s\n", p.Outflows, s.Reference, signed(p.AwayEffect))
		}
	}
	if t := s.Treasury; t != nil {
		for _, name := range slices.Sorted(maps.Keys(t.Runs)) {
			fmt.Fprintf(w, "Treasury         %s: %s\n", name, counts(t.Runs[name]))
		}
		if len(t.Away) > 0 {
			var parts []string
			for _, a := range slices.Sorted(maps.Keys(t.Away)) {
				parts = append(parts, t.Away[a]+" "+a)
			}
			fmt.Fprintf(w, "  withdrawn      %s to the desk's destinations\n", strings.Join(parts, ", "))
		}
	}
	if s.BenchmarkReturn != "" {
		fmt.Fprintf(w, "Benchmark        %s holding the opening balances (%s %s); excess return %s\n",
			signed(pct(s.BenchmarkReturn)), s.BenchmarkEquity, s.Reference, signed(pct(s.ExcessReturn)))
	}
	s.writeAssets(w)
	dd := pct(s.MaxDrawdown) + " (" + s.MaxDrawdownAmount + " " + s.Reference + ")"
	if s.MaxDrawdownPeak != nil {
		dd += ", peak " + s.MaxDrawdownPeak.Format(time.RFC3339) + ", trough " + s.MaxDrawdownTrough.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "Max drawdown     %s\n", dd)
	short := ""
	if s.Days < minDaysForRatios {
		short = "; see caveats"
	}
	fmt.Fprintf(w, "Sharpe           %s  (daily, %d days, annualised%s)\n", ratioOrNA(s.Sharpe), s.Days, short)
	fmt.Fprintf(w, "Sortino          %s\n", ratioOrNA(s.Sortino))
	fmt.Fprintf(w, "Trades           %d, turnover %s %s, fees %s %s\n", s.Trades, s.Turnover, s.Reference, s.Fees, s.Reference)
	fmt.Fprintf(w, "Exposure         average %s, max %s\n", pct(s.ExposureAverage), pct(s.ExposureMax))
	fmt.Fprintf(w, "Intents          %d decided: %d filled, %d failed, %d rejected by risk\n",
		s.Intents.Decided, s.Intents.Filled, s.Intents.Failed, s.Intents.Rejected)
	fmt.Fprintf(w, "Rejections       risk: %s; venue: %s\n", counts(s.Rejections.Risk), counts(s.Rejections.Venue))
	for i, c := range s.Caveats {
		label := "Caveats"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "%-16s %s\n", label, c)
	}
}

// writeAssets prints each asset's quantity and value apart: what the
// quantity did, then what the value did and why (the price moving under
// the opening quantity, and the trading).
func (s *Summary) writeAssets(w io.Writer) {
	fmt.Fprintf(w, "Assets           quantity: start -> end (change); value in %s: start -> end (change = price effect + trading)\n", s.Reference)
	for _, a := range slices.Sorted(maps.Keys(s.Assets)) {
		p := s.Assets[a]
		fmt.Fprintf(w, "  %-14s %s -> %s %s (%s); %s -> %s (%s = %s %s)\n", a, p.Start, p.End, a, signed(p.Change),
			p.StartValue, p.EndValue, signed(p.ValueChange), signed(p.PriceEffect), signed(p.TradeEffect))
	}
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

package backtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

// Defaults complete a configuration whose [backtest] section is missing or
// partial, as the daemon's own config.toml is: the caller gives what the
// daemon would trade with (in paper mode, the simulator's listing and
// opening balances) and the reference its risk limits use.
type Defaults struct {
	// Reference is the currency results are valued in when
	// backtest.reference is not set: the [risk] section's.
	Reference string
	// Listing is the venue's pairs with their size limits; a recorded pair
	// it lists takes its limits.
	Listing []market.Pair
	// Balances are the opening balances when backtest.balances is not
	// set; only the assets the pairs can value are kept.
	Balances map[market.Asset]decimal.Decimal
}

// Complete returns c with what it leaves out derived, and a note for
// each thing derived (for the report):
//
//   - reference: d.Reference;
//   - pairs: every pair the recordings' headers list, with the size limits
//     d.Listing gives it (none if it does not list it; base and quote split
//     from the symbol then), less those whose assets cannot be valued in the
//     reference through a recorded pair;
//   - balances: d.Balances, less the assets no kept pair values;
//   - the venue model and the equity interval keep their zero defaults (no
//     latency, slippage, markup or fee; RFQs live 30 s; a sample a minute).
//
// What c sets is kept as it is. feeds are the recordings; only their
// headers are read.
func (c Config) Complete(feeds []string, d Defaults) (Config, []string, error) {
	var notes []string
	if c.Reference == "" {
		c.Reference = d.Reference
		notes = append(notes, fmt.Sprintf("reference %s: the [risk] section's", c.Reference))
	}
	if len(c.Pairs) == 0 {
		pairs, dropped, err := recordedPairs(feeds, d.Listing, c.Reference)
		if err != nil {
			return c, nil, err
		}
		c.Pairs = pairs
		var names []string
		for _, p := range pairs {
			names = append(names, p.Symbol)
		}
		note := fmt.Sprintf("pairs %s: the recordings', with the venue's size limits", strings.Join(names, ", "))
		if len(dropped) > 0 {
			note += fmt.Sprintf(" (left out, no recorded pair values them in %s: %s)", c.Reference, strings.Join(dropped, ", "))
		}
		notes = append(notes, note)
	}
	if len(c.Balances) == 0 {
		valued := map[string]bool{c.Reference: true}
		for _, p := range c.Pairs {
			if p.Quote == c.Reference {
				valued[p.Base] = true
			}
			if p.Base == c.Reference {
				valued[p.Quote] = true
			}
		}
		c.Balances = map[string]tomlval.Decimal{}
		var kept, left []string
		for _, a := range slices.Sorted(maps.Keys(d.Balances)) {
			if valued[string(a)] {
				c.Balances[string(a)] = tomlval.Dec(d.Balances[a])
				kept = append(kept, fmt.Sprintf("%s %s", a, d.Balances[a]))
			} else {
				left = append(left, string(a))
			}
		}
		note := "balances " + strings.Join(kept, ", ") + ": the simulator's opening balances"
		if len(left) > 0 {
			note += " (left out, no pair values them: " + strings.Join(left, ", ") + ")"
		}
		notes = append(notes, note)
	}
	if c.Venue == (VenueConfig{}) {
		notes = append(notes, "venue model: no latency, slippage, RFQ markup or fee; RFQs live 30s (add [backtest.venue] to model costs)")
	}
	return c, notes, nil
}

// recordedPairs returns the pairs the recordings' headers list, in order,
// as listing lists them or split from their symbols, keeping those whose
// assets the reference can value; dropped are the others' symbols.
func recordedPairs(paths []string, listing []market.Pair, ref string) (kept []PairConfig, dropped []string, err error) {
	var symbols []string
	for _, path := range paths {
		f, err := openFeed(path)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range f.r.Header.Pairs {
			if !slices.Contains(symbols, s) {
				symbols = append(symbols, s)
			}
		}
		f.close()
	}
	if len(symbols) == 0 {
		return nil, nil, fmt.Errorf("backtest: %v: the recordings' headers list no pairs: list them in [[backtest.pair]] tables", paths)
	}
	var all []PairConfig
	for _, s := range symbols {
		p, ok := listed(listing, s)
		if !ok {
			if p, ok = market.SplitSymbol(s, market.CommonQuotes); !ok {
				return nil, nil, fmt.Errorf("backtest: recorded pair %s: cannot tell its base from its quote: list it in a [[backtest.pair]] table", s)
			}
		}
		all = append(all, PairConfig{Symbol: p.Symbol, Base: string(p.Base), Quote: string(p.Quote),
			MinSize: tomlval.Dec(p.MinSize), MaxSize: tomlval.Dec(p.MaxSize),
			MinQuoteSize: tomlval.Dec(p.MinQuoteSize), MaxQuoteSize: tomlval.Dec(p.MaxQuoteSize)})
	}
	joined := map[string]bool{ref: true}
	for _, p := range all {
		if p.Quote == ref {
			joined[p.Base] = true
		}
		if p.Base == ref {
			joined[p.Quote] = true
		}
	}
	for _, p := range all {
		if joined[p.Base] && joined[p.Quote] {
			kept = append(kept, p)
		} else {
			dropped = append(dropped, p.Symbol)
		}
	}
	if len(kept) == 0 {
		return nil, nil, fmt.Errorf("backtest: no recorded pair (%s) can be valued in %s: set backtest.reference or list pairs", strings.Join(symbols, ", "), ref)
	}
	return kept, dropped, nil
}

func listed(listing []market.Pair, symbol string) (market.Pair, bool) {
	for _, p := range listing {
		if p.Symbol == symbol {
			return p, true
		}
	}
	return market.Pair{}, false
}

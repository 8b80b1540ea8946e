package strategy

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func dp(s string) tomlval.Decimal { return tomlval.Dec(d(s)) }

// newState returns a state at t0 with a 10s staleness limit.
func newState() *State {
	return &State{
		Clock:    t0,
		MaxAge:   10 * time.Second,
		Ticks:    map[string]market.Tick{},
		Specs:    map[string]market.Pair{},
		Balances: map[market.Asset]Balance{},
	}
}

func (s *State) pair(sym string, base, quote market.Asset, minSize, maxSize string) *State {
	p := market.Pair{Symbol: sym, Base: base, Quote: quote}
	if minSize != "" {
		p.MinSize = d(minSize)
	}
	if maxSize != "" {
		p.MaxSize = d(maxSize)
	}
	s.Specs[sym] = p
	return s
}

// price sets a fresh tick received at Clock.
func (s *State) price(sym, buy, sell string) *State {
	s.Ticks[sym] = market.Tick{Pair: sym, BuyPrice: d(buy), SellPrice: d(sell), Time: s.Clock, Received: s.Clock}
	return s
}

func (s *State) bal(a market.Asset, total, avail string) *State {
	s.Balances[a] = Balance{Total: d(total), Available: d(avail)}
	return s
}

func sumQty(ins []Intent) decimal.Decimal {
	sum := decimal.Zero
	for _, in := range ins {
		sum = sum.Add(in.Size).Add(in.Amount)
	}
	return sum
}

// floatDecimal is a decimal written as a TOML float: it keeps its error.
func floatDecimal() tomlval.Decimal {
	var x tomlval.Decimal
	_ = x.UnmarshalTOML(0.1)
	return x
}

// intDuration is a duration written as a TOML integer: it keeps its error.
func intDuration() tomlval.Duration {
	var x tomlval.Duration
	_ = x.UnmarshalTOML(int64(60))
	return x
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

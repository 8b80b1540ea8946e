// Package recording writes tick files from the venue simulator's price
// walk on a simulated clock: the sample recording in backtest/testdata, and
// the recordings the backtest's tests and benchmarks replay. It writes
// through the feeds recorder, so the files are exactly what `engine
// record` makes.
package recording

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// Options describe a recording.
type Options struct {
	// Start is the first tick's venue time; Duration how much is recorded.
	Start    time.Time
	Duration time.Duration
	// Every is the time between two ticks of one pair; the pairs tick in
	// turn, evenly staggered.
	Every time.Duration
	// Pairs are the simulator's pairs; nil means Pairs().
	Pairs []sim.PairConfig
	// Seed drives the price walk and the receive delays.
	Seed uint64
	// Outages are feed drops: no tick within [At, At+For), and the first
	// tick after one is marked as a gap, as the recorder does.
	Outages []Outage
	// MaxTicks stops the recording early when positive.
	MaxTicks int
}

// Outage is a period without ticks.
type Outage struct {
	At  time.Time
	For time.Duration
}

// Pairs returns BTCEUR and ETHEUR as the simulator lists them, with a
// volatility of 1 bp per second (about 3% a day).
func Pairs() []sim.PairConfig {
	var out []sim.PairConfig
	for _, p := range sim.DefaultPairs() {
		if p.Symbol == "BTCEUR" || p.Symbol == "ETHEUR" {
			p.VolatilityBps = 1
			out = append(out, p)
		}
	}
	return out
}

// Write records o into path (gzip when it ends in .gz) and returns the
// number of ticks written.
func Write(path string, o Options) (int, error) {
	if o.Every <= 0 || o.Duration <= 0 || o.Start.IsZero() {
		return 0, errors.New("recording: Start, a positive Duration and a positive Every are required")
	}
	if o.Pairs == nil {
		o.Pairs = Pairs()
	}
	clk := clock.NewManual(o.Start)
	venue := sim.NewVenue(sim.Options{Seed: o.Seed, Clock: clk.Clock(), Pairs: o.Pairs})
	names := make([]string, len(o.Pairs))
	for i, p := range o.Pairs {
		names[i] = p.Symbol
	}
	rec, err := feeds.CreateRecorder(path, feeds.Header{Venue: "hercle-sim", Pairs: names, Started: o.Start.UTC()})
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x7ec0))
	stagger := o.Every / time.Duration(len(o.Pairs))
	maxDelay := min(40*time.Millisecond, stagger/2)
	gap := make([]bool, len(o.Pairs))
	n := 0
	end := o.Start.Add(o.Duration)
	for step := 0; ; step++ {
		for i, p := range o.Pairs {
			now := o.Start.Add(time.Duration(step)*o.Every + time.Duration(i)*stagger)
			if !now.Before(end) || (o.MaxTicks > 0 && n >= o.MaxTicks) {
				return n, rec.Close()
			}
			clk.Set(now) // ticks come in time order, so the clock only moves forward
			if down(o.Outages, now) {
				gap[i] = true
				continue
			}
			t, err := venue.Tick(p.Symbol)
			if err != nil {
				rec.Close()
				return n, fmt.Errorf("recording: %w", err)
			}
			if maxDelay > 0 {
				t.Received = t.Time.Add(time.Duration(rng.Int64N(int64(maxDelay))) + time.Millisecond)
			} else {
				t.Received = t.Time
			}
			if err := rec.Write(feeds.Update{Tick: t, Gap: gap[i]}); err != nil {
				rec.Close()
				return n, err
			}
			gap[i] = false
			n++
		}
	}
}

func down(outages []Outage, t time.Time) bool {
	for _, o := range outages {
		if !t.Before(o.At) && t.Before(o.At.Add(o.For)) {
			return true
		}
	}
	return false
}

// Balances are starting balances that suit Pairs: half in EUR, half in
// crypto, worth about 100 000 EUR.
func Balances() map[market.Asset]decimal.Decimal {
	return map[market.Asset]decimal.Decimal{
		"EUR": decimal.RequireFromString("50000"),
		"BTC": decimal.RequireFromString("0.5"),
		"ETH": decimal.RequireFromString("8"),
	}
}

// Path is a constructed recording: each pair's mid price is a function of
// time, quoted with a spread around it. Tests whose outcome must be known
// in advance (a sweep's best parameters, a regime change) replay one.
type Path struct {
	// Start is the first tick's time; Duration how much is recorded; Every
	// the time between two ticks of one pair (the pairs tick in turn).
	Start    time.Time
	Duration time.Duration
	Every    time.Duration
	// Pairs are the pair symbols; Mid gives a pair's mid price at a time,
	// rounded to Decimals places.
	Pairs    []string
	Mid      func(pair string, at time.Time) decimal.Decimal
	Decimals int32
	// SpreadBps is the spread between buy and sell prices, in basis
	// points of the mid; Size the size the prices are for.
	SpreadBps int64
	Size      decimal.Decimal
}

// WritePath records p into path (gzip when it ends in .gz) and returns the
// number of ticks written. Receive times are the venue times plus 10 ms.
func WritePath(path string, p Path) (int, error) {
	if p.Every <= 0 || p.Duration <= 0 || p.Start.IsZero() || len(p.Pairs) == 0 || p.Mid == nil {
		return 0, errors.New("recording: Start, Duration, Every, Pairs and Mid are required")
	}
	rec, err := feeds.CreateRecorder(path, feeds.Header{Venue: "constructed", Pairs: p.Pairs, Started: p.Start.UTC()})
	if err != nil {
		return 0, err
	}
	half := decimal.New(p.SpreadBps, -4).Div(decimal.NewFromInt(2))
	one := decimal.NewFromInt(1)
	stagger := p.Every / time.Duration(len(p.Pairs))
	n := 0
	for at := p.Start; at.Before(p.Start.Add(p.Duration)); at = at.Add(p.Every) {
		for i, pair := range p.Pairs {
			t := at.Add(time.Duration(i) * stagger)
			mid := p.Mid(pair, t)
			tick := market.Tick{Pair: pair, Size: p.Size, Time: t.UTC(), Received: t.Add(10 * time.Millisecond).UTC(),
				BuyPrice:  mid.Mul(one.Add(half)).Round(p.Decimals),
				SellPrice: mid.Mul(one.Sub(half)).Round(p.Decimals)}
			if err := rec.Write(feeds.Update{Tick: tick}); err != nil {
				rec.Close()
				return n, err
			}
			n++
		}
	}
	return n, rec.Close()
}

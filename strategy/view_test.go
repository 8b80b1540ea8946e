package strategy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/otcdesk/engine/market"
)

func TestStateStale(t *testing.T) {
	s := newState()
	tests := []struct {
		name string
		tick market.Tick
		want bool
	}{
		{"fresh", market.Tick{Time: t0, Received: t0}, false},
		{"at the limit", market.Tick{Time: t0.Add(-10 * time.Second), Received: t0}, false},
		{"venue time too old though received now", market.Tick{Time: t0.Add(-11 * time.Second), Received: t0}, true},
		{"received too long ago", market.Tick{Time: t0, Received: t0.Add(-11 * time.Second)}, true},
		{"only received time", market.Tick{Received: t0.Add(-time.Second)}, false},
		{"no time at all", market.Tick{}, true},
		{"venue clock ahead", market.Tick{Time: t0.Add(time.Minute), Received: t0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Stale(tt.tick); got != tt.want {
				t.Errorf("Stale(%v) = %v, want %v", tt.tick, got, tt.want)
			}
		})
	}
	var zero State
	if !zero.Stale(market.Tick{Time: t0, Received: t0}) {
		t.Error("zero State: a tick is fresh, want every tick stale")
	}
}

func TestConvert(t *testing.T) {
	s := newState().
		pair("BTCEUR", "BTC", "EUR", "", "").price("BTCEUR", "60010", "59990").
		pair("EURUSDT", "EUR", "USDT", "", "").price("EURUSDT", "1.2", "1.0").
		pair("ETHEUR", "ETH", "EUR", "", "")
	s.Ticks["XRPEUR"] = market.Tick{Pair: "XRPEUR", BuyPrice: d("1"), SellPrice: d("1"), Time: t0.Add(-time.Hour), Received: t0}
	s.pair("XRPEUR", "XRP", "EUR", "", "")
	tests := []struct {
		amount   string
		from, to market.Asset
		want     string
		err      error
	}{
		{"2", "BTC", "EUR", "120000", nil},
		{"120000", "EUR", "BTC", "2", nil},
		{"5", "EUR", "EUR", "5", nil},
		{"110", "USDT", "EUR", "100", nil}, // EURUSDT mid 1.1, inverted
		{"100", "EUR", "USDT", "110", nil},
		{"1", "ETH", "EUR", "", ErrNoPrice},
		{"1", "XRP", "EUR", "", ErrStalePrice},
		{"1", "DOGE", "EUR", "", ErrNoPair},
	}
	for _, tt := range tests {
		got, err := Convert(s, d(tt.amount), tt.from, tt.to)
		if !errors.Is(err, tt.err) {
			t.Errorf("Convert(%s %s→%s) error = %v, want %v", tt.amount, tt.from, tt.to, err, tt.err)
			continue
		}
		if tt.err == nil && !got.Equal(d(tt.want)) {
			t.Errorf("Convert(%s %s→%s) = %s, want %s", tt.amount, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestSplitSumsExactly(t *testing.T) {
	tests := []struct {
		total, hi string
		parts     int
	}{
		{"10", "", 1},
		{"10", "10", 1},
		{"10.00000001", "5", 3},
		{"1", "0.3", 4},
		{"0.99999999", "0.33333333", 3},
		{"1.00000000", "0.33333333", 4},
	}
	for _, tt := range tests {
		var hi = d("0")
		if tt.hi != "" {
			hi = d(tt.hi)
		}
		parts := split(d(tt.total), hi, 8)
		if len(parts) != tt.parts {
			t.Errorf("split(%s, %s) = %v, want %d parts", tt.total, tt.hi, parts, tt.parts)
		}
		sum := d("0")
		for _, p := range parts {
			if !p.IsPositive() || above(p, hi) {
				t.Errorf("split(%s, %s) part %s outside (0, %s]", tt.total, tt.hi, p, tt.hi)
			}
			sum = sum.Add(p)
		}
		if !sum.Equal(d(tt.total)) {
			t.Errorf("split(%s, %s) sums to %s", tt.total, tt.hi, sum)
		}
	}
}

// listed is a View that FindPair can only scan through Pairs.
type listed struct{ View }

// TestFindPairAsScan: FindPair on a State (its index, unsorted) finds what
// the scan of the sorted Pairs finds, on 20,000 seeded random listings of
// up to nine pairs over four assets, several joining the same two assets
// either way round (and a few an asset with itself): scanning Specs, from
// the index IndexPairs makes (whether it scans its few answers or hashes),
// and scanning again once Specs has changed.
func TestFindPairAsScan(t *testing.T) {
	const seed = 22
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	assets := []market.Asset{"A", "B", "C", "D"}
	pick := func() market.Asset { return assets[rng.IntN(len(assets))] }
	few, many := 0, 0
	for i := range 20_000 {
		s := newState()
		for range rng.IntN(10) {
			base, quote := pick(), pick()
			sym := fmt.Sprintf("%s%s%d", base, quote, rng.IntN(3))
			s.Specs[sym] = market.Pair{Symbol: sym, Base: base, Quote: quote}
		}
		a, b := pick(), pick()
		wp, winv, wok := FindPair(listed{s}, a, b)
		for _, how := range []string{"scanned", "indexed", "indexed, then a pair added"} {
			switch how {
			case "indexed":
				s.IndexPairs()
				if len(s.index.answers) <= maxScannedAnswers {
					few++
				} else {
					many++
				}
			case "indexed, then a pair added":
				s.Specs["ZZ"] = market.Pair{Symbol: "ZZ", Base: "Z", Quote: "Z"}
			}
			p, inv, ok := FindPair(s, a, b)
			if p.Symbol != wp.Symbol || inv != winv || ok != wok {
				t.Fatalf("listing %d %v, %s: FindPair(%s, %s) = %s %v %v, the scan finds %s %v %v", i, s.Pairs(), how, a, b, p.Symbol, inv, ok, wp.Symbol, winv, wok)
			}
		}
	}
	if few == 0 || many == 0 {
		t.Fatalf("%d indexes with few answers, %d with many: both ways of finding one are to be tried", few, many)
	}
}

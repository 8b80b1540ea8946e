package strategy

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// View is the read-only picture of market and portfolio a strategy (and
// risk) decides on. The event loop owns the state behind it; a View is only
// valid during the call it is passed to.
type View interface {
	// Now is the loop's clock: wall time live, simulated time in backtests.
	Now() time.Time
	// Tick returns the last tick of pair, and false if none was seen.
	Tick(pair string) (market.Tick, bool)
	// Stale reports whether t is too old to trade on at Now.
	Stale(t market.Tick) bool
	// Pair returns the spec of a listed pair, with its size limits.
	Pair(symbol string) (market.Pair, bool)
	// Pairs returns every listed pair, sorted by symbol.
	Pairs() []market.Pair
	// Available is what may be spent of asset now: the balance less what
	// open intents and pending transfers hold.
	Available(asset market.Asset) decimal.Decimal
	// Total is the whole balance of asset, held amounts included.
	Total(asset market.Asset) decimal.Decimal
	// OpenIntents returns the intents sent and not yet resolved, of every
	// strategy, in the order they were created.
	OpenIntents() []Intent
}

// Balance is one asset's holdings in a State.
type Balance struct {
	Total     decimal.Decimal
	Available decimal.Decimal
}

// State is a plain View: the event loop keeps one up to date, and tests and
// backtests build them directly. Its zero value is an empty market in which
// every tick is stale (MaxAge zero), which is the safe default.
//
// State is not safe for concurrent use; the loop owns it.
type State struct {
	Clock    time.Time
	MaxAge   time.Duration // a tick older than this is stale; zero: all are
	Ticks    map[string]market.Tick
	Specs    map[string]market.Pair
	Balances map[market.Asset]Balance
	Open     []Intent
	// index is FindPair's answers, when IndexPairs made them.
	index *pairIndex
}

// pairIndex holds FindPair's answer for every two assets a pair joins.
type pairIndex struct {
	n       int // len(Specs) when made
	answers map[[2]market.Asset]pairAnswer
	// few are the answers, when there are at most maxScannedAnswers:
	// comparing a few assets' names costs less than hashing two of them.
	few []keyedAnswer
}

type pairAnswer struct {
	p        market.Pair
	inverted bool
}

type keyedAnswer struct {
	key [2]market.Asset
	pairAnswer
}

// maxScannedAnswers bounds pairIndex.few: four pairs' answers.
const maxScannedAnswers = 8

// IndexPairs indexes Specs for FindPair, which strategies call on every
// check: one map access (or for up to four pairs, a scan of their few
// answers) then answers it, instead of a walk over every pair. Call it
// again after changing Specs: an index made for another number of pairs
// is not used, but one made before a pair was replaced would answer with
// the old one.
func (s *State) IndexPairs() {
	x := &pairIndex{n: len(s.Specs), answers: map[[2]market.Asset]pairAnswer{}}
	for _, q := range s.Specs {
		for _, k := range [][2]market.Asset{{q.Base, q.Quote}, {q.Quote, q.Base}} {
			if p, inverted, ok := s.scanPairs(k[0], k[1]); ok {
				x.answers[k] = pairAnswer{p, inverted}
			}
		}
	}
	if len(x.answers) <= maxScannedAnswers {
		for k, ans := range x.answers {
			x.few = append(x.few, keyedAnswer{k, ans})
		}
	}
	s.index = x
}

var _ View = (*State)(nil)

// Now returns s.Clock.
func (s *State) Now() time.Time { return s.Clock }

// Tick returns the last tick of pair.
func (s *State) Tick(pair string) (market.Tick, bool) {
	t, ok := s.Ticks[pair]
	return t, ok
}

// Stale reports whether t is older than MaxAge at Clock (see Age).
func (s *State) Stale(t market.Tick) bool {
	age, ok := Age(t, s.Clock)
	return !ok || age > s.MaxAge || s.MaxAge <= 0
}

// Pair returns the spec of symbol.
func (s *State) Pair(symbol string) (market.Pair, bool) {
	p, ok := s.Specs[symbol]
	return p, ok
}

// Pairs returns every spec sorted by symbol.
func (s *State) Pairs() []market.Pair {
	out := make([]market.Pair, 0, len(s.Specs))
	for _, p := range s.Specs {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b market.Pair) int { return strings.Compare(a.Symbol, b.Symbol) })
	return out
}

// findPair is FindPair over Specs, unsorted: of several pairs joining a
// and b the same way, the first in symbol order is the one FindPair's scan
// of Pairs would meet first.
func (s *State) findPair(a, b market.Asset) (p market.Pair, inverted, ok bool) {
	if x := s.index; x != nil && x.n == len(s.Specs) {
		if ans, ok := x.find(a, b); ok {
			return ans.p, ans.inverted, true
		}
		return market.Pair{}, true, false // as the scan answers
	}
	return s.scanPairs(a, b)
}

// find returns the answer for a and b.
func (x *pairIndex) find(a, b market.Asset) (pairAnswer, bool) {
	if len(x.answers) <= maxScannedAnswers {
		for i := range x.few {
			if x.few[i].key[0] == a && x.few[i].key[1] == b {
				return x.few[i].pairAnswer, true
			}
		}
		return pairAnswer{}, false
	}
	ans, ok := x.answers[[2]market.Asset{a, b}]
	return ans, ok
}

// scanPairs is findPair without the index.
func (s *State) scanPairs(a, b market.Asset) (p market.Pair, inverted, ok bool) {
	var direct, alt market.Pair
	var hasDirect, hasAlt bool
	for _, q := range s.Specs {
		switch {
		case q.Base == a && q.Quote == b:
			if !hasDirect || q.Symbol < direct.Symbol {
				direct, hasDirect = q, true
			}
		case q.Base == b && q.Quote == a:
			if !hasAlt || q.Symbol < alt.Symbol {
				alt, hasAlt = q, true
			}
		}
	}
	if hasDirect {
		return direct, false, true
	}
	return alt, true, hasAlt
}

// Available returns the available balance of asset; zero if none.
func (s *State) Available(asset market.Asset) decimal.Decimal { return s.Balances[asset].Available }

// Total returns the total balance of asset; zero if none.
func (s *State) Total(asset market.Asset) decimal.Decimal { return s.Balances[asset].Total }

// OpenIntents returns a copy of Open.
func (s *State) OpenIntents() []Intent { return slices.Clone(s.Open) }

// Age returns how old t is at now, measured from the earlier of its venue
// time and its receive time, so that neither a venue replaying old prices
// nor a feed delivering late hides its age. A time ahead of now counts as
// age zero. It reports false for a tick with neither time set.
func Age(t market.Tick, now time.Time) (time.Duration, bool) {
	from := t.Received
	if from.IsZero() || (!t.Time.IsZero() && t.Time.Before(from)) {
		from = t.Time
	}
	if from.IsZero() {
		return 0, false
	}
	return max(now.Sub(from), 0), true
}

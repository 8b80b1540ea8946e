package feeds

import (
	"fmt"
	"strings"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
)

// Settings is the [feeds] section: the price subscriptions the engine
// trades on.
type Settings struct {
	// Pairs are subscribed on the hub at start-up and after every
	// reconnect. Strategies only see ticks of these pairs.
	Pairs []PairSettings `toml:"pairs"`
	// StaleAfter is how long a pair may go without a tick before it is
	// reported stale (metrics, /readyz). Risk's max_price_age decides
	// whether a price may be traded on.
	StaleAfter tomlval.Duration `toml:"stale_after"`
}

// PairSettings is one price subscription: a pair at a size in its base
// asset.
type PairSettings struct {
	Pair string          `toml:"pair"`
	Size tomlval.Decimal `toml:"size"`
}

// DefaultSettings is the section a file leaves out: no pairs, stale after
// 5 s.
func DefaultSettings() Settings { return Settings{StaleAfter: tomlval.Dur(5 * time.Second)} }

// Symbols returns the subscribed pairs' symbols.
func (s Settings) Symbols() []string {
	out := make([]string, len(s.Pairs))
	for i, p := range s.Pairs {
		out[i] = p.Pair
	}
	return out
}

// Problems lists what is wrong with the section, keys relative to it.
func (s Settings) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	seen := map[string]bool{}
	for i, p := range s.Pairs {
		key := fmt.Sprintf("pairs[%d]", i)
		switch {
		case p.Pair == "" || strings.ToUpper(p.Pair) != p.Pair:
			ps.Add(key+".pair", "must be an upper-case pair symbol such as \"BTCUSDT\", got %q", p.Pair)
		case seen[p.Pair]:
			ps.Add(key+".pair", "%s is listed twice; one size per pair", p.Pair)
		}
		seen[p.Pair] = true
		ps.Positive(key+".size", p.Size)
	}
	// A pair must be reported stale while its price is still worth
	// something; "2562047h" would never report it.
	ps.DurationIn("stale_after", s.StaleAfter, 100*time.Millisecond, time.Hour)
	return ps
}

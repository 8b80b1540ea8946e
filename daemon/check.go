package daemon

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/strategy"
)

// Check refuses what `engine run` would get wrong with cfg, before
// anything is created and without the network: every strategy's params
// (its kind's factory), what each strategy needs against the price feeds
// and the risk limits (a strategy that could never trade), and the files
// the configuration names (the ledger's path, the webhook's keys and
// certificates, the admin certificate). It returns a *config.Error
// listing every problem with its key path, or nil. `engine config check`
// runs it, and so does New.
func Check(cfg config.Config, reg *strategy.Registry) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	var ps tomlval.Problems
	strategies := buildChecked(cfg, reg, &ps)
	needs := map[int]strategy.Needs{}
	known := []market.Asset{cfg.Risk.Reference}
	for i, s := range strategies {
		if n, ok := s.(strategy.Needer); ok {
			needs[i] = n.Needs()
			for _, j := range needs[i].Joins {
				known = append(known, j[0], j[1])
			}
		}
	}
	fed := feedPairs(cfg, known)
	for i := range cfg.Strategies {
		if n, ok := needs[i]; ok {
			for _, why := range cfg.Risk.Unreachable(n, fed) {
				ps.Add(fmt.Sprintf("strategy[%d]", i), "%s %s", strategies[i].Name(), why)
			}
		}
	}
	if err := ledger.CheckPath(cfg.Ledger.Path); err != nil {
		ps.Add("ledger.path", "%v", err)
	}
	if cfg.Webhook.Enabled {
		for i, p := range cfg.Webhook.PublicKeys {
			if _, err := webhook.LoadKeys(p); err != nil {
				ps.Add(fmt.Sprintf("webhook.public_keys[%d]", i), "%v", err)
			}
		}
		keyPair(&ps, "webhook.tls_cert", cfg.Webhook.TLSCert, cfg.Webhook.TLSKey)
	}
	if cfg.Admin.Addr != "" {
		keyPair(&ps, "admin.tls_cert", cfg.Admin.TLSCert, cfg.Admin.TLSKey)
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	return ps.Err("config")
}

// buildChecked builds the enabled strategies, recording each refusal under
// its table's key; it returns the ones that built, by table index.
func buildChecked(cfg config.Config, reg *strategy.Registry, ps *tomlval.Problems) map[int]strategy.Strategy {
	out := map[int]strategy.Strategy{}
	for i, sc := range cfg.Strategies {
		if sc.Disabled {
			continue
		}
		s, err := reg.New(sc.Kind, sc.Name, sc.Decode)
		key := fmt.Sprintf("strategy[%d]", i)
		var te *tomlval.Error
		switch {
		case errors.As(err, &te):
			ps.Under(key+".params", te.Problems)
		case err != nil:
			ps.Add(key, "%v", err)
		default:
			out[i] = s
		}
	}
	return out
}

// feedPairs reads feeds.pairs as pairs, splitting each symbol with the
// assets the configuration names: offline, the venue's listing is not at
// hand (the run checks again against it). A symbol that cannot be split
// is left out, so only what is provably unreachable is refused.
func feedPairs(cfg config.Config, known []market.Asset) []market.Pair {
	known = append(known, market.CommonQuotes...)
	for a := range cfg.Risk.Assets {
		known = append(known, market.Asset(strings.ToUpper(a)))
	}
	var out []market.Pair
	for _, fp := range cfg.Feeds.Pairs {
		if p, ok := market.SplitSymbol(fp.Pair, known); ok {
			out = append(out, p)
		}
	}
	return out
}

// keyPair checks a certificate and key given together load as a pair.
func keyPair(ps *tomlval.Problems, key, cert, priv string) {
	if cert == "" || priv == "" {
		return // both or neither: the section's own check
	}
	if _, err := tls.LoadX509KeyPair(cert, priv); err != nil {
		ps.Add(key, "%s and its key %s do not load as a pair: %v", cert, priv, err)
	}
}

// unreachable is Check's strategy rule against the venue's own listing of
// the fed pairs, once it is known at start-up.
func unreachable(lim risk.Limits, strategies []strategy.Strategy, fed []market.Pair) error {
	var ps tomlval.Problems
	for _, s := range strategies {
		if n, ok := s.(strategy.Needer); ok {
			for _, why := range lim.Unreachable(n.Needs(), fed) {
				ps.Add("strategy "+s.Name(), "%s", why)
			}
		}
	}
	return ps.Err("configuration against the venue's pairs")
}

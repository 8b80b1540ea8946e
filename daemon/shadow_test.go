package daemon_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// TestShadowModeSendsNothingUpstream: in shadow mode the engine's prices
// come from the real venue's hub (a second simulator here, behind a proxy
// that records every request) and its orders fill at those prices in the
// in-process simulator. The upstream venue sees the hub's negotiate and
// connection only: no REST request, no order.
func TestShadowModeSendsNothingUpstream(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	up, err := sim.Start(ctx, sim.Options{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	if err := up.Venue().SetPrice("BTCEUR", decimal.NewFromInt(43210)); err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(up.URL())
	var mu sync.Mutex
	var paths []string
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	cfg := paperConfig(t.TempDir())
	cfg.Mode = config.ModeShadow
	cfg.Hercle.BaseURL = proxy.URL
	cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always("buy", "BTCEUR", "0.001", "otc")}}
	h := startEnv(t, cfg, daemon.Options{}, map[string]string{"HERCLE_API_KEY": up.APIKey()})
	if h.info.Sim == nil {
		t.Fatal("shadow mode started no simulator to fill its orders")
	}
	h.waitMetric("engine_intents_total", map[string]string{"outcome": "filled"}, 2)
	h.stop()

	store, err := ledger.Open(cfg.Ledger.Path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	fills, err := store.Entries(context.Background(), ledger.Filter{Kind: ledger.KindTrade})
	if err != nil || len(fills) < 2 {
		t.Fatalf("fills %d, %v", len(fills), err)
	}
	for _, e := range fills {
		var btc, eur decimal.Decimal
		for _, p := range e.Postings {
			if p.Account == ledger.VenueAvailable(ledger.Hercle) {
				switch p.Asset {
				case "BTC":
					btc = p.Amount.Abs()
				case "EUR":
					eur = p.Amount.Abs()
				}
			}
		}
		if btc.IsZero() || eur.Div(btc).Sub(decimal.NewFromInt(43210)).Abs().GreaterThan(decimal.NewFromInt(100)) {
			t.Errorf("fill %s: %s EUR for %s BTC, want near the upstream price 43210", e.Key, eur, btc)
		}
	}
	if n := len(venueTrades(t, up.Venue())); n != 0 {
		t.Errorf("the upstream venue executed %d trades", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) == 0 {
		t.Fatal("the upstream venue saw no request: prices did not come from it")
	}
	for _, p := range paths {
		if !strings.Contains(p, hub.Path) {
			t.Errorf("a request other than the hub's reached the upstream venue: %s", p)
		}
	}
}

package risk

import (
	"testing"
	"time"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

func TestCheckQuote(t *testing.T) {
	sell := func(in *strategy.Intent) { in.Side = market.Sell }
	tests := []struct {
		name   string
		setup  func(*Engine, *strategy.State)
		intent func(*strategy.Intent)
		quote  Quote
		want   Reason // 0: accepted
	}{
		{name: "slightly worse than streaming", quote: Quote{Price: d("60050"), Expires: t0.Add(time.Second)}},
		{name: "better than streaming within the deviation", quote: Quote{Price: d("59500")}},
		{name: "sell slightly worse", intent: sell, quote: Quote{Price: d("59900")}},
		{name: "expired", quote: Quote{Price: d("60050"), Expires: t0}, want: QuoteExpired},
		{name: "no price", quote: Quote{Price: d("0")}, want: Invalid},
		{name: "above the limit price", intent: func(in *strategy.Intent) { in.LimitPrice = d("60049") }, quote: Quote{Price: d("60050")}, want: LimitPrice},
		{name: "sell below the limit price", intent: func(in *strategy.Intent) { sell(in); in.LimitPrice = d("59991") }, quote: Quote{Price: d("59990")}, want: LimitPrice},
		{name: "worse than the intent's slippage", quote: Quote{Price: d("60311")}, want: Slippage}, // 0.5016%
		{name: "sell worse than the intent's slippage", intent: sell, quote: Quote{Price: d("59689")}, want: Slippage},
		{name: "far better than streaming", quote: Quote{Price: d("59409")}, want: QuoteDeviation}, // 1.0015%
		{name: "worse, within slippage, beyond deviation", intent: func(in *strategy.Intent) { in.MaxSlippage = d("5") }, quote: Quote{Price: d("60620")}, want: QuoteDeviation},
		{name: "stale stream", setup: func(_ *Engine, s *strategy.State) {
			tk := s.Ticks["BTCEUR"]
			tk.Time = t0.Add(-time.Minute)
			s.Ticks["BTCEUR"] = tk
		}, quote: Quote{Price: d("60050")}, want: StalePrice},
		{name: "kill switch", setup: func(e *Engine, _ *strategy.State) { e.Kill("x") }, quote: Quote{Price: d("60050")}, want: KillSwitch},
		{name: "breaker", setup: func(e *Engine, _ *strategy.State) {
			for range 6 {
				e.VenueRejected(t0)
			}
		}, quote: Quote{Price: d("60050")}, want: CircuitBreaker},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			s := baseState()
			if tt.setup != nil {
				tt.setup(f.e, s)
			}
			in := baseIntent()
			if tt.intent != nil {
				tt.intent(&in)
			}
			err := f.e.CheckQuote(t0, s, in, tt.quote)
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("CheckQuote(%s) = %v, want accepted", tt.quote.Price, err)
				}
				return
			}
			f.expectReason(t, err, tt.want)
		})
	}
}

func TestCheckQuoteMaintenance(t *testing.T) {
	f := newFixture(t, func(_ *Limits, o *Options) { o.Gate = closedGate{} })
	f.expectReason(t, f.e.CheckQuote(t0, baseState(), baseIntent(), Quote{Price: d("60050")}), Maintenance)
}

type closedGate struct{}

func (closedGate) Open(time.Time) bool { return false }

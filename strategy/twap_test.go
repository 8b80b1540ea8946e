package strategy

import (
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/market"
)

func twapParams(size string, period, every time.Duration) TWAPParams {
	p := DefaultTWAPParams()
	p.Pair, p.Side, p.Start = "BTCEUR", market.Buy, t0
	p.Size, p.Period, p.Every = dp(size), tomlval.Dur(period), tomlval.Dur(every)
	return p
}

// runTWAP drives tw from t0 by its own timers, with a fresh price at every
// activation, until it asks for no timer or 50 activations pass. fate
// decides each intent's status, by slice order; nil fills everything.
func runTWAP(t *testing.T, tw *TWAP, s *State, fate func(n int) Status) (slices []Intent, times []time.Time) {
	t.Helper()
	s.Clock = t0.Add(-time.Minute)
	for range 50 {
		next := tw.NextTimer(s.Clock)
		if next.IsZero() {
			return slices, times
		}
		s.Clock = next
		s.price("BTCEUR", "60010", "59990")
		dec := tw.Handle(s, Timer{Due: next})
		for _, in := range dec.Intents {
			st := Filled
			if fate != nil {
				st = fate(len(slices))
			}
			slices = append(slices, in)
			times = append(times, next)
			tw.Handle(s, Outcome{Intent: in, Status: st, Time: next})
		}
	}
	t.Fatal("TWAP still asking for timers after 50 activations")
	return nil, nil
}

func sizes(ins []Intent) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.Size.Add(in.Amount).String()
	}
	return out
}

func TestTWAP(t *testing.T) {
	tests := []struct {
		name     string
		params   func() TWAPParams
		state    func() *State
		fate     func(n int) Status
		want     []string
		filled   string
		lastWhen time.Duration // after t0, of the last slice
	}{
		{
			name:   "thirds truncate and the last slice takes the remainder",
			params: func() TWAPParams { return twapParams("1", 3*time.Hour, time.Hour) },
			want:   []string{"0.33333333", "0.33333333", "0.33333334"}, filled: "1", lastWhen: 2 * time.Hour,
		},
		{
			name:   "slices below the pair minimum merge into later ones",
			params: func() TWAPParams { return twapParams("1", 4*time.Hour, time.Hour) },
			state:  func() *State { return newState().pair("BTCEUR", "BTC", "EUR", "0.4", "") },
			want:   []string{"0.5", "0.5"}, filled: "1", lastWhen: 3 * time.Hour,
		},
		{
			name:   "a slice above the pair maximum is split",
			params: func() TWAPParams { return twapParams("1", time.Hour, time.Hour) },
			state:  func() *State { return newState().pair("BTCEUR", "BTC", "EUR", "", "0.4") },
			want:   []string{"0.33333334", "0.33333334", "0.33333332"}, filled: "1",
		},
		{
			name:   "a failed slice returns to the remainder",
			params: func() TWAPParams { return twapParams("0.9", 3*time.Hour, time.Hour) },
			fate: func(n int) Status {
				if n == 0 {
					return Failed
				}
				return Filled
			},
			want: []string{"0.3", "0.45", "0.45"}, filled: "0.9", lastWhen: 2 * time.Hour,
		},
		{
			name:   "a last slice refused is retried after the period",
			params: func() TWAPParams { return twapParams("0.9", 3*time.Hour, time.Hour) },
			fate: func(n int) Status {
				if n == 2 {
					return Rejected
				}
				return Filled
			},
			want: []string{"0.3", "0.3", "0.3", "0.3"}, filled: "0.9", lastWhen: 3 * time.Hour,
		},
		{
			name: "a quote amount is sliced as Amount",
			params: func() TWAPParams {
				p := twapParams("0", 3*time.Hour, time.Hour)
				p.Amount = dp("100")
				return p
			},
			want: []string{"33.33333333", "33.33333333", "33.33333334"}, filled: "100", lastWhen: 2 * time.Hour,
		},
		{
			name: "cron activations in the period",
			params: func() TWAPParams {
				p := twapParams("3", 24*time.Hour, 0)
				p.Cron = "0 */8 * * *" // 16:00, 00:00, 08:00 after a 09:00 start
				return p
			},
			want: []string{"1", "1", "1"}, filled: "3", lastWhen: 23 * time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw, err := NewTWAP("dca", tt.params())
			if err != nil {
				t.Fatal(err)
			}
			s := newState().pair("BTCEUR", "BTC", "EUR", "", "")
			if tt.state != nil {
				s = tt.state()
			}
			slices, times := runTWAP(t, tw, s, tt.fate)
			if got := sizes(slices); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("slices = %v, want %v", got, tt.want)
			}
			if !tw.Filled().Equal(d(tt.filled)) || !tw.Done() {
				t.Errorf("filled = %s (done %v), want %s and done", tw.Filled(), tw.Done(), tt.filled)
			}
			if len(times) > 0 && !times[len(times)-1].Equal(t0.Add(tt.lastWhen)) {
				t.Errorf("last slice at %v, want %v", times[len(times)-1], t0.Add(tt.lastWhen))
			}
			for _, in := range slices {
				if err := in.Validate(); err != nil {
					t.Errorf("slice %s: %v", in.Ref, err)
				}
			}
		})
	}
}

// TestTWAPSumsExactly checks that slices sum to the total for awkward
// totals and counts, with and without a pair maximum.
func TestTWAPSumsExactly(t *testing.T) {
	maxFor := map[string]string{"1": "0.05", "0.00000007": "0.00000002", "12345.67890123": "1000", "0.1": "0.03"}
	for _, total := range []string{"1", "0.00000007", "12345.67890123", "0.1"} {
		for _, n := range []int{1, 3, 7, 24} {
			for _, maxSize := range []string{"", maxFor[total]} {
				tw, err := NewTWAP("t", twapParams(total, time.Duration(n)*time.Hour, time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				slices, _ := runTWAP(t, tw, newState().pair("BTCEUR", "BTC", "EUR", "", maxSize), nil)
				if sum := sumQty(slices); !sum.Equal(d(total)) {
					t.Errorf("total %s over %d, max %q: slices sum to %s", total, n, maxSize, sum)
				}
				for _, in := range slices {
					if !in.Size.IsPositive() || (maxSize != "" && in.Size.GreaterThan(d(maxSize))) {
						t.Errorf("total %s over %d, max %q: slice %s", total, n, maxSize, in.Size)
					}
				}
			}
		}
	}
}

func TestTWAPCapsPartsPerActivation(t *testing.T) {
	tw, err := NewTWAP("t", twapParams("100", time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s := newState().pair("BTCEUR", "BTC", "EUR", "", "1")
	slices, times := runTWAP(t, tw, s, nil)
	if len(slices) != 100 || !sumQty(slices).Equal(d("100")) {
		t.Fatalf("%d slices summing to %s, want 100 summing to 100", len(slices), sumQty(slices))
	}
	perActivation := map[time.Time]int{}
	for _, at := range times {
		perActivation[at]++
	}
	for at, n := range perActivation {
		if n > maxParts {
			t.Errorf("%d intents at %v, want at most %d", n, at, maxParts)
		}
	}
}

func TestTWAPSkips(t *testing.T) {
	tw, err := NewTWAP("t", twapParams("1", 2*time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s := newState().pair("BTCEUR", "BTC", "EUR", "", "")
	s.Clock = t0
	s.Ticks["BTCEUR"] = market.Tick{Pair: "BTCEUR", BuyPrice: d("1"), SellPrice: d("1"), Time: t0.Add(-time.Hour), Received: t0.Add(-time.Hour)}
	dec := tw.Handle(s, Timer{Due: t0})
	if len(dec.Intents) != 0 {
		t.Fatalf("on a stale price: intents %v, want none", dec.Intents)
	}
	// Before any fresh price (at start-up, the feed may not have priced
	// the pair yet) the first slice is tried again a second later, not
	// merged into an activation an hour away.
	checkSkip(t, dec.Skips, "no fresh price yet")
	if next := tw.NextTimer(s.Clock); !next.Equal(t0.Add(primeRetry)) {
		t.Fatalf("NextTimer after the first slice found no price = %v, want %v", next, t0.Add(primeRetry))
	}
	s.Clock = t0.Add(primeRetry)
	s.price("BTCEUR", "1", "1")
	if dec := tw.Handle(s, Timer{Due: s.Clock}); len(dec.Intents) != 1 || !dec.Intents[0].Size.Equal(d("0.5")) {
		t.Fatalf("the first slice once priced: %v, want one slice of 0.5", dec.Intents)
	}
	// Once priced, a slice without a fresh price merges into the next.
	s.Clock = tw.NextTimer(s.Clock)
	s.Ticks["BTCEUR"] = market.Tick{Pair: "BTCEUR", BuyPrice: d("1"), SellPrice: d("1"), Time: t0, Received: t0}
	dec = tw.Handle(s, Timer{Due: s.Clock})
	if len(dec.Intents) != 0 {
		t.Fatalf("on a stale price: intents %v, want none", dec.Intents)
	}
	checkSkip(t, dec.Skips, "no fresh price; slice merged into the next")
	// The missed slice merges into the last activation.
	s.Clock = tw.NextTimer(s.Clock)
	s.price("BTCEUR", "1", "1")
	if dec := tw.Handle(s, Timer{Due: s.Clock}); len(dec.Intents) != 1 || !dec.Intents[0].Size.Equal(d("0.5")) {
		t.Fatalf("after a skipped slice: %v, want one slice of the remaining 0.5", dec.Intents)
	}
	if next := tw.NextTimer(s.Clock); !next.IsZero() {
		t.Errorf("NextTimer with everything in flight = %v, want none", next)
	}

	small, err := NewTWAP("t", twapParams("0.1", time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s = newState().pair("BTCEUR", "BTC", "EUR", "0.5", "").price("BTCEUR", "1", "1")
	dec = small.Handle(s, Timer{Due: t0})
	if len(dec.Intents) != 0 {
		t.Fatalf("remainder under the minimum: intents %v, want none", dec.Intents)
	}
	checkSkip(t, dec.Skips, "cannot finish")
}

func TestTWAPParamsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*TWAPParams)
		keys []string
	}{
		{"valid", func(*TWAPParams) {}, nil},
		{"both size and amount", func(p *TWAPParams) { p.Amount = dp("5") }, []string{"size: set exactly one"}},
		{"neither every nor cron", func(p *TWAPParams) { p.Every = tomlval.Dur(0) }, []string{"every: set exactly one"}},
		{"bad cron", func(p *TWAPParams) { p.Every, p.Cron = tomlval.Dur(0), "61 * * * *" }, []string{"cron: spec"}},
		// The last slice is the exact remainder: a total finer than the
		// precision would send a slice the venue cannot take, again and
		// again, since a failed slice returns to the remainder.
		{"size finer than precision", func(p *TWAPParams) { p.Size, p.Precision = dp("0.123456789"), 8 }, []string{"size: 0.123456789 has more than 8 decimal places"}},
		{"amount finer than precision", func(p *TWAPParams) { p.Size, p.Amount, p.Precision = tomlval.Decimal{}, dp("100.005"), 2 }, []string{"amount: 100.005 has more than 2 decimal places"}},
		{"trailing zeros fit the precision", func(p *TWAPParams) { p.Size, p.Precision = dp("1.500"), 1 }, nil},
		{"cron that never fires", func(p *TWAPParams) { p.Every, p.Cron = tomlval.Dur(0), "0 0 30 2 *" }, []string{"cron: spec \"0 0 30 2 *\" has no activation in the period"}},
		{"too many activations", func(p *TWAPParams) { p.Period, p.Every = tomlval.Dur(365*24*time.Hour), tomlval.Dur(time.Second) }, []string{"period: holds"}},
		{"many at once", func(p *TWAPParams) {
			p.Pair, p.Side, p.Start, p.Period, p.Size = "", "hold", time.Time{}, intDuration(), dp("-1")
		}, []string{"pair:", "side:", "start:", "period:", "size:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := twapParams("1", 3*time.Hour, time.Hour)
			tt.edit(&p)
			err := p.Validate()
			if (err == nil) != (tt.keys == nil) {
				t.Fatalf("Validate() = %v, want problems %v", err, tt.keys)
			}
			for _, k := range tt.keys {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("Validate() = %v, want it to contain %q", err, k)
				}
			}
		})
	}
}

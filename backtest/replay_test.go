package backtest

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/market"
)

// sliceTicks hands over ticks from a slice.
type sliceTicks struct {
	ups []feeds.Update
	pos int
	u   feeds.Update
}

func (s *sliceTicks) first() time.Time              { return time.Time{} }
func (s *sliceTicks) progress() (read, total int64) { return 0, 0 }
func (s *sliceTicks) gaps() int64                   { return 0 }
func (s *sliceTicks) span() (first, last time.Time) { return time.Time{}, time.Time{} }
func (s *sliceTicks) stop()                         {}
func (s *sliceTicks) next() (*feeds.Update, error) {
	if s.pos == len(s.ups) {
		return nil, nil
	}
	s.u = s.ups[s.pos] // valid until the next call, as the stream's
	s.pos++
	return &s.u, nil
}

// With latency, pull hands over every tick in order and keeps ahead
// exactly the tick replayed and those received up to Latency after it,
// and the first one beyond, however the window slides along its buffer:
// bursts grow it, quiet spells shrink it.
func TestPullKeepsTheWindowAhead(t *testing.T) {
	const latency = 3 * time.Second
	rng := rand.New(rand.NewPCG(1, 2))
	at := monday
	var ups []feeds.Update
	for i := range 5000 {
		switch {
		case i%700 < 150: // a burst: many ticks within the latency
			at = at.Add(time.Duration(rng.IntN(50)) * time.Millisecond)
		default:
			at = at.Add(time.Duration(rng.IntN(4000)) * time.Millisecond)
		}
		ups = append(ups, feeds.Update{Tick: market.Tick{Pair: "BTCEUR", Received: at, Time: at}, Gap: i%7 == 0})
	}
	r := &replay{o: Options{Venue: VenueModel{Latency: latency}}, in: &sliceTicks{ups: ups}}
	for i := range ups {
		u, err := r.pull()
		if err != nil || u == nil {
			t.Fatalf("pull %d = %v, %v", i, u, err)
		}
		if u.Tick.Received != ups[i].Tick.Received || u.Gap != ups[i].Gap || u != &r.ahead[0] {
			t.Fatalf("pull %d = %+v, want %+v at the head of ahead", i, u, ups[i])
		}
		end := i + 1
		for end < len(ups) && !ups[end-1].Tick.Received.After(ups[i].Tick.Received.Add(latency)) {
			end++
		}
		want := ups[i:end]
		if len(r.ahead) != len(want) {
			t.Fatalf("pull %d: ahead holds %d ticks, want %d", i, len(r.ahead), len(want))
		}
		for j := range want {
			if r.ahead[j].Tick.Received != want[j].Tick.Received || r.ahead[j].Gap != want[j].Gap {
				t.Fatalf("pull %d: ahead[%d] = %+v, want %+v", i, j, r.ahead[j], want[j])
			}
		}
	}
	if u, err := r.pull(); u != nil || err != nil {
		t.Fatalf("pull after the last = %v, %v", u, err)
	}
}

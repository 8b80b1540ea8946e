package trader

import "time"

// stamps mirrors, for the first few pairs ticked, the Time of each one's
// tick in the loop's State.Ticks. tick reads the previous tick's time on
// every tick, to keep a price from moving backwards: comparing the pair
// with a few names (mostly the very same string, as the feeds intern
// them) costs less than hashing it for the map. Only tick writes
// State.Ticks, and it sets the stamp with it, which keeps the mirror exact.
type stamps struct {
	few []pairStamp
}

type pairStamp struct {
	pair string
	at   time.Time
}

// maxFewStamps bounds stamps.few.
const maxFewStamps = 4

// find returns pair's stamp, nil when pair is not one of the few.
func (s *stamps) find(pair string) *pairStamp {
	for i := range s.few {
		if s.few[i].pair == pair {
			return &s.few[i]
		}
	}
	return nil
}

// add makes at the stamp of pair, not one of the few, if there is room
// for it. A pointer find returned is not valid after it.
func (s *stamps) add(pair string, at time.Time) {
	if len(s.few) < maxFewStamps {
		s.few = append(s.few, pairStamp{pair, at})
	}
}

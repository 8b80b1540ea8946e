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

// get returns pair's stamp, and false when pair is not one of the few.
func (s *stamps) get(pair string) (time.Time, bool) {
	for i := range s.few {
		if s.few[i].pair == pair {
			return s.few[i].at, true
		}
	}
	return time.Time{}, false
}

// set records at as pair's stamp, if pair is one of the few or there is
// room for it.
func (s *stamps) set(pair string, at time.Time) {
	for i := range s.few {
		if s.few[i].pair == pair {
			s.few[i].at = at
			return
		}
	}
	if len(s.few) < maxFewStamps {
		s.few = append(s.few, pairStamp{pair, at})
	}
}

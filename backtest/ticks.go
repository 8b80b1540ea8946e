package backtest

import (
	"context"
	"time"

	"github.com/otcdesk/engine/feeds"
)

// ticks is where a replay's ticks come from: the recordings streamed from
// disk (Run), or a Tape in memory (a sweep, or Run with Options.Tape).
// It belongs to the replay's goroutine.
type ticks interface {
	// first is the receive time of the first tick to replay, zero if
	// there is none; it is known before next is called.
	first() time.Time
	// next returns the next tick, valid until the following call, and
	// nil after the last.
	next() (*feeds.Update, error)
	// progress says how far the replay has read, and out of how much.
	progress() (read, total int64)
	// gaps counts the ticks replayed so far that follow a feed outage.
	gaps() int64
	// span is the receive times of the first and last tick of the
	// recordings, in the range or not, for the empty-range error; zero if
	// they hold none.
	span() (first, last time.Time)
	// stop ends any reading goroutine; it may be called more than once.
	stop()
}

// streamTicks streams the recordings through source's reading goroutine.
type streamTicks struct {
	src     *source
	firstAt time.Time
	st      *stream
	// cur is the batch being replayed, pos the next tick in it.
	cur         *batch
	pos         int
	read, total int64
	stopped     bool
}

// newStreamTicks starts reading src on its own goroutine: from then on
// the source belongs to it until stop.
func newStreamTicks(ctx context.Context, src *source) *streamTicks {
	first := src.from
	for _, f := range src.feeds {
		if f.ok && (first.IsZero() || f.head.Tick.Received.Before(first)) {
			first = f.head.Tick.Received
		}
	}
	return &streamTicks{src: src, firstAt: first, st: src.stream(ctx)}
}

func (s *streamTicks) first() time.Time { return s.firstAt }

func (s *streamTicks) next() (*feeds.Update, error) {
	for s.cur == nil || s.pos == len(s.cur.ups) {
		if s.cur != nil {
			if s.cur.last {
				return nil, s.cur.err
			}
			s.st.free <- s.cur // never blocks: there are only as many batches
			s.cur = nil
		}
		b, ok := <-s.st.out
		if !ok {
			return nil, nil
		}
		s.cur, s.pos, s.read, s.total = b, 0, b.read, b.total
	}
	u := &s.cur.ups[s.pos]
	s.pos++
	return u, nil
}

func (s *streamTicks) progress() (read, total int64) {
	if s.stopped {
		return s.src.progress()
	}
	return s.read, s.total
}

// gaps may be read once stop has returned: the source's counters belong
// to the reading goroutine until then.
func (s *streamTicks) gaps() int64 { return s.src.gaps }

func (s *streamTicks) span() (first, last time.Time) { return s.src.first, s.src.last }

func (s *streamTicks) stop() {
	if !s.stopped {
		s.st.stop()
		s.stopped = true
	}
}

// tapeTicks replays a window of a Tape.
type tapeTicks struct {
	t    *Tape
	win  []tapeTick
	pos  int
	u    feeds.Update
	gapN int64
}

func newTapeTicks(t *Tape, from, to time.Time) *tapeTicks {
	return &tapeTicks{t: t, win: t.window(from, to)}
}

func (s *tapeTicks) first() time.Time {
	if len(s.win) == 0 {
		return time.Time{}
	}
	return unixTime(s.win[0].received)
}

func (s *tapeTicks) next() (*feeds.Update, error) {
	if s.pos == len(s.win) {
		return nil, nil
	}
	x := &s.win[s.pos]
	s.pos++
	s.t.update(x, &s.u)
	if x.gap {
		s.gapN++
	}
	return &s.u, nil
}

func (s *tapeTicks) progress() (read, total int64) { return int64(s.pos), int64(len(s.win)) }

func (s *tapeTicks) gaps() int64 { return s.gapN }

func (s *tapeTicks) span() (first, last time.Time) {
	if len(s.t.ticks) == 0 {
		return s.t.first, s.t.last
	}
	return s.t.Span()
}

func (s *tapeTicks) stop() {}

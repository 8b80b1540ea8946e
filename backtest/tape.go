package backtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/market"
)

// Tape is recordings decoded once into memory, to be replayed many times:
// by a sweep, by walk-forward, by Run with Options.Tape. Reading and
// decoding is most of a plain replay's cost, so a sweep of many runs pays
// it once.
//
// A tick takes 32 bytes: its times as Unix nanoseconds, its pair as an
// index, and its size and prices as indexes into a table of the distinct
// decimals of the recordings (a decimal.Decimal is immutable, so replays
// share them). The recordings' times are kept as UTC instants, as the
// reader decodes them.
//
// A Tape is immutable once loaded and safe for concurrent use: any number
// of replays may read it at once.
type Tape struct {
	feeds []string
	// from and to are the range the tape was loaded with (zero:
	// unbounded); first and last the receive times of the first and the
	// last tick read, kept or not, for the empty-range error.
	from, to    time.Time
	first, last time.Time
	bytes       int64

	pairs []string
	decs  []decimal.Decimal
	ticks []tapeTick
}

// tapeTick is one tick of a Tape.
type tapeTick struct {
	received, time  int64 // Unix nanoseconds; time is noTime when zero
	size, buy, sell uint32
	pair            uint16
	gap             bool
	_               [1]byte
}

// noTime stands for a zero time.Time, which has no Unix nanoseconds.
const noTime = math.MinInt64

// maxTapePairs bounds the pairs a Tape holds (its index is 16 bits).
const maxTapePairs = 1 << 16

// LoadTape reads and decodes the recordings (merged by receive time, as
// Run reads them) received in [from, to) into memory. A zero from or to is
// unbounded. It returns the errors Run returns for a recording that
// cannot be replayed (*FeedError).
func LoadTape(ctx context.Context, paths []string, from, to time.Time) (*Tape, error) {
	if len(paths) == 0 {
		return nil, errors.New("backtest: no recordings: give at least one feed file")
	}
	src, err := openSource(paths, from, to)
	if err != nil {
		return nil, err
	}
	defer src.close()
	t := &Tape{feeds: slices.Clone(paths), from: from, to: to}
	b := tapeBuilder{t: t, pairs: map[string]uint16{}, decs: map[decKey]uint32{}, bigs: map[string]uint32{}}
	// Decoding runs on the stream's goroutine, interning here: on two
	// cores they overlap.
	in := newStreamTicks(ctx, src)
	defer in.stop()
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("backtest: stopped: %w", ctx.Err())
		}
		u, err := in.next()
		if err != nil {
			return nil, err
		}
		if u == nil {
			break
		}
		if err := b.add(*u); err != nil {
			return nil, err
		}
	}
	in.stop() // the source's counters are ours from here
	t.first, t.last = src.first, src.last
	_, t.bytes = src.progress()
	t.ticks = slices.Clip(t.ticks)
	return t, nil
}

// Len returns the number of ticks on the tape.
func (t *Tape) Len() int { return len(t.ticks) }

// Feeds returns the recordings the tape was read from.
func (t *Tape) Feeds() []string { return slices.Clone(t.feeds) }

// Span returns the receive times of the first and the last tick on the
// tape; both are zero for an empty tape.
func (t *Tape) Span() (first, last time.Time) {
	if len(t.ticks) == 0 {
		return time.Time{}, time.Time{}
	}
	return unixTime(t.ticks[0].received), unixTime(t.ticks[len(t.ticks)-1].received)
}

// Pairs returns the pair symbols on the tape, sorted.
func (t *Tape) Pairs() []string {
	out := slices.Clone(t.pairs)
	slices.Sort(out)
	return out
}

// index returns the position of the first tick received at or after at.
func (t *Tape) index(at time.Time) int {
	n := at.UnixNano()
	i, _ := slices.BinarySearchFunc(t.ticks, n, func(x tapeTick, n int64) int {
		switch {
		case x.received < n:
			return -1
		case x.received > n:
			return 1
		}
		return 0
	})
	for i > 0 && t.ticks[i-1].received == n {
		i--
	}
	return i
}

// window returns the ticks received in [from, to); a zero bound is the
// tape's own.
func (t *Tape) window(from, to time.Time) []tapeTick {
	lo, hi := 0, len(t.ticks)
	if !from.IsZero() {
		lo = t.index(from)
	}
	if !to.IsZero() {
		hi = t.index(to)
	}
	if hi < lo {
		hi = lo
	}
	return t.ticks[lo:hi]
}

// update rebuilds tick x into u.
func (t *Tape) update(x *tapeTick, u *feeds.Update) {
	u.Tick = market.Tick{Pair: t.pairs[x.pair], Size: t.decs[x.size], BuyPrice: t.decs[x.buy], SellPrice: t.decs[x.sell],
		Time: unixTime(x.time), Received: unixTime(x.received)}
	u.Gap = x.gap
}

func unixTime(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func unixNano(t time.Time) (int64, bool) {
	if t.IsZero() {
		return noTime, true
	}
	n := t.UnixNano()
	// UnixNano is undefined outside about 1678 to 2262.
	return n, time.Unix(0, n).Equal(t)
}

// decKey identifies a decimal by its representation, not its value: 1.50
// and 1.5 are kept apart, so a replay from a Tape prints what one from the
// files prints. A coefficient beyond 18 digits is keyed by its text in
// tapeBuilder.bigs instead.
type decKey struct {
	coef int64
	exp  int32
}

// tapeBuilder interns pairs and decimals while a Tape loads.
type tapeBuilder struct {
	t     *Tape
	pairs map[string]uint16
	decs  map[decKey]uint32
	bigs  map[string]uint32
	// last is the decimal interned last for each of a tick's three
	// fields: a feed sampled faster than prices move repeats them.
	last [3]struct {
		d decimal.Decimal
		i uint32
	}
}

func (b *tapeBuilder) add(u feeds.Update) error {
	p, ok := b.pairs[u.Tick.Pair]
	if !ok {
		if len(b.t.pairs) == maxTapePairs {
			return fmt.Errorf("backtest: more than %d pairs in %v", maxTapePairs, b.t.feeds)
		}
		p = uint16(len(b.t.pairs))
		b.pairs[u.Tick.Pair] = p
		b.t.pairs = append(b.t.pairs, u.Tick.Pair)
	}
	recv, ok1 := unixNano(u.Tick.Received)
	at, ok2 := unixNano(u.Tick.Time)
	if !ok1 || !ok2 {
		return fmt.Errorf("backtest: %v: a tick of %s at %s is outside the years 1678 to 2262", b.t.feeds, u.Tick.Pair, u.Tick.Received)
	}
	b.t.ticks = append(b.t.ticks, tapeTick{received: recv, time: at, pair: p, gap: u.Gap,
		size: b.intern(0, u.Tick.Size), buy: b.intern(1, u.Tick.BuyPrice), sell: b.intern(2, u.Tick.SellPrice)})
	return nil
}

func (b *tapeBuilder) intern(field int, d decimal.Decimal) uint32 {
	l := &b.last[field]
	if len(b.t.decs) > 0 && l.d.Exponent() == d.Exponent() && l.d.Equal(d) {
		return l.i
	}
	var i uint32
	var ok bool
	if d.NumDigits() <= 18 {
		k := decKey{coef: d.CoefficientInt64(), exp: d.Exponent()}
		if i, ok = b.decs[k]; !ok {
			i = uint32(len(b.t.decs))
			b.decs[k] = i
		}
	} else {
		k := d.Coefficient().String() + "e" + fmt.Sprint(d.Exponent())
		if i, ok = b.bigs[k]; !ok {
			i = uint32(len(b.t.decs))
			b.bigs[k] = i
		}
	}
	if !ok {
		b.t.decs = append(b.t.decs, d)
	}
	l.d, l.i = d, i
	return i
}
